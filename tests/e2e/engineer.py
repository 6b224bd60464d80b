"""One engineer at a terminal, as a process: provision request ids one after the other.

``python -m tests.e2e.engineer [--fault-verify ID] [--go FILE] ID ...`` with the register and
the lab given by the usual ``NETPROV_*`` environment. ``--go FILE``: wait until FILE exists (so
several engineers start at the same moment). ``--fault-verify ID``: that request's verify stage
fails after it ran (like the fault tests of test_1_pipeline), so its run is undone.
Prints one JSON line per request: ``{"id", "status" | "error", "seconds", "log"}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from netprov.app import App
from netprov.errors import NetprovError, PipelineError


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("ids", nargs="+")
    ap.add_argument("--fault-verify", default="")
    ap.add_argument("--go", default="")
    ap.add_argument("--actor", default="staff1")
    args = ap.parse_args(argv)
    if args.go:
        while not Path(args.go).exists():
            time.sleep(0.05)
    app = App.load()
    failed = 0
    for rid in args.ids:
        lines: list[str] = []

        def fault(stage: str, rid: str = rid) -> None:
            if stage == "verify" and rid == args.fault_verify:
                raise PipelineError(f"{rid}: injected fault after verify")

        prov = app.provisioner(
            progress=lambda st, dev, msg, lines=lines: lines.append(f"{time.time():.2f} {st} {dev} {msg}"),
            fault=fault,
        )
        t0 = time.monotonic()
        out: dict[str, object] = {"id": rid}
        try:
            out["status"] = prov.run(rid, args.actor).status
        except NetprovError as exc:
            out["error"] = str(exc)
            failed += 1
        out["seconds"] = round(time.monotonic() - t0, 1)
        out["log"] = lines
        print(json.dumps(out), flush=True)
    app.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
