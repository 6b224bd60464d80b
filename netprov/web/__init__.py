"""netprov's web pages: the SOP's people sign in and do their steps through the register's service.

Server-rendered (FastAPI + Jinja2, htmx as a static file); every action calls the same
:class:`netprov.sop.service.RequestService` as the CLI, so the rules and the trail are one.
"""
