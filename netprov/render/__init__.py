"""Device configs for a department link: typed template data, a safe Jinja2 environment,
per-vendor templates (``templates/devices``), service playbooks and validation by parsers."""
