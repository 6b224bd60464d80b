"""Device adapters: connections (NAPALM, Nornir) and tasks."""
