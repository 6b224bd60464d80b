"""Mail: who is told what when a step lands (:mod:`compose`), the SMTP seam (:mod:`smtp`),
and ``netprov notify`` (:mod:`notify`): reminders and the outbox sent, each mail in the trail."""
