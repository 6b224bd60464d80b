"""The SOP workflow service: transitions with guards, the audit trail, SLA."""
