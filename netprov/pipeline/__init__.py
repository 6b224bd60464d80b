"""SOP step 7 as a saga: allocate → render → validate → snapshot → diff → push → verify →
monitor → confirm → record. The engine (``saga``) journals each stage before and after it runs
and undoes the begun ones in reverse; the link stages (``link_stages``) and the check kinds
(``checks``) are its content; ``provision.Provisioner`` is the facade."""
