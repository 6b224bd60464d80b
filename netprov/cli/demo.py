"""``netprov demo``: the whole SOP on the local lab, from a clean start."""

from __future__ import annotations

import time

import typer
from rich.markup import escape
from rich.panel import Panel

from netprov.app import App
from netprov.cli.common import EXIT_ERROR, console, invocation
from netprov.cli.lab import lab_required
from netprov.cli.request import print_table
from netprov.settings import lab_state, load_settings


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(ctx: typer.Context) -> None:
        """Bring up the lab (NetBox, routers, Zabbix, Prometheus) and walk four requests through the SOP."""
        from netprov.audit import LiveMonitors, audit_record

        with lab_required():
            from netprov_lab import require_root
            from netprov_lab.demo.scenario import demo_settings, reset_lab, run_scenario

        require_root("netprov demo")
        base = invocation(ctx).settings
        t0 = time.monotonic()

        def say(msg: str) -> None:
            console.print(f"[dim]{time.monotonic() - t0:6.1f}s[/dim] {escape(msg)}", highlight=False)

        console.rule("netprov demo: setting up the lab")
        reset_lab(base, say)
        t_lab = time.monotonic() - t0
        console.rule("a day of the data-center team")
        result = run_scenario(base, say)
        s = demo_settings(load_settings(lab_dir=base.lab_dir))
        app = App(s)
        svc = app.service
        console.rule("the register")
        print_table(svc.find())
        console.rule("audit of the finished requests")
        ipam = app.ipam
        monitors = LiveMonitors(app.monitors)
        ok = True
        for rid in result.finished:
            rep = audit_record(svc.get(rid), ipam, monitors)
            ok = ok and rep.ok
            console.print(
                f"{rid}: "
                + (
                    "[green]every record present[/green]"
                    if rep.ok
                    else "[red]missing: " + escape(", ".join(i.record for i in rep.missing)) + "[/red]"
                )
            )
        from netprov_lab import web as lab_web

        web = lab_web.up(base, say)
        state = lab_state(base.lab_dir)
        nb = state.get("netbox", {})
        zbx = state.get("zabbix", {})
        prom = state.get("prometheus", {})
        lines = [
            f"documents:   {s.documents_dir}/<request>/  (netprov request documents <id>)",
            f"register:    NETPROV_DATA_DIR={s.data_dir} netprov request list",
            f"NetBox:      {nb.get('url')}  (token in {nb.get('token_file')}; search for "
            f"{result.intranet}: its prefixes, addresses, VLAN and port carry it)",
            f"Zabbix:      {zbx.get('url')}  (Admin / zabbix; hosts named after the request ids)",
            f"Prometheus:  {prom.get('url')}/graph?g0.expr=probe_success",
            f"web pages:   {web['url']}  (netprov web over the demo register; stop: netprov lab down web)",
            "lab users:   "
            + ", ".join(f"{u} / {pw}" for u, pw in lab_web.lab_passwords(base).items())
            + "  (lab only)",
            f"timing:      lab ready in {t_lab:.0f}s; provisioning "
            + ", ".join(f"{k} {v:.0f}s" for k, v in result.seconds.items())
            + f"; total {time.monotonic() - t0:.0f}s",
        ]
        console.print(Panel("\n".join(escape(x) for x in lines), title="where to look", expand=False))
        if not ok:
            raise typer.Exit(EXIT_ERROR)
