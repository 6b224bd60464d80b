"""CLI start-up: wall time of ``netprov --help`` and ``netprov request list``, against a bare
``python -c pass`` of the same interpreter (the floor every command pays).

Each case runs in a fresh process N times after one warm-up run; the median and the minimum
wall time are printed, the median CPU time (user + system, less sensitive to a busy machine),
and the median's ratio to the bare interpreter's median in the same run. ``request list`` runs
on an empty register and on one of 50 requests, each in its own temporary data directory (no
lab state: nothing is contacted); ``request show``, ``sla`` and ``audit`` on the 50.

Byte-code caches are allowed (``PYTHONDONTWRITEBYTECODE`` is dropped for the children), as an
installed package has them: without them every run compiles every module again.

Usage: ``.venv/bin/python benchmarks/bench_cli.py [--runs 11] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NETPROV = str(Path(sys.executable).parent / "netprov")
LETTER = REPO / "tests" / "data" / "letter-intranet.yaml"


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NETPROV_DATA_DIR"] = str(data / "data")
    env["NETPROV_LAB_DIR"] = str(data / "lab")
    env["COLUMNS"] = "120"
    return env


def _times(argv: list[str], env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` runs of ``argv`` (after one warm-up run)."""
    # warm up (and write byte code); audit exits 1 when records are missing: not an error here
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall, cpu = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        wall.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return wall, cpu


def _fill(data: Path, n: int) -> None:
    """A register of ``n`` requests, written in-process (the benchmark times reading, not this)."""
    os.environ.update({k: v for k, v in _env(data).items() if k.startswith("NETPROV_")})
    from netprov.app import App
    from netprov.domain.letters import load_letter
    from netprov.settings import load_settings

    svc = App(load_settings()).service
    letter = load_letter(LETTER)
    for i in range(n):
        numbered = letter.letter.model_copy(update={"number": f"{i + 1:03d}/123/DISDIK/XI/2026"})
        svc.submit(letter.model_copy(update={"letter": numbered}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as empty_dir, tempfile.TemporaryDirectory() as full_dir:
        empty, full = Path(empty_dir), Path(full_dir)
        _fill(full, 50)
        cases = {
            "python -c pass": ([sys.executable, "-c", "pass"], _env(empty)),
            "netprov --help": ([NETPROV, "--help"], _env(empty)),
            "netprov request list (empty)": ([NETPROV, "request", "list"], _env(empty)),
            "netprov request list (50 requests)": ([NETPROV, "request", "list"], _env(full)),
            "netprov request list --json (50)": ([NETPROV, "request", "list", "--json"], _env(full)),
            "netprov sla (50)": ([NETPROV, "sla"], _env(full)),
            "netprov request show ID (50)": ([NETPROV, "request", "show", "PJB-2026-0001"], _env(full)),
            "netprov audit (50)": ([NETPROV, "audit"], _env(full)),
        }
        results = {name: _times(argv, env, args.runs) for name, (argv, env) in cases.items()}
    floor = statistics.median(results["python -c pass"][0])
    rows = [
        {
            "case": name,
            "median_s": round(statistics.median(wall), 4),
            "min_s": round(min(wall), 4),
            "cpu_s": round(statistics.median(cpu), 4),
            "ratio_to_python": round(statistics.median(wall) / floor, 1),
            "runs": len(wall),
        }
        for name, (wall, cpu) in results.items()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'case':38} {'median s':>9} {'min s':>7} {'cpu s':>7} {'x python':>9}")
    for r in rows:
        times = f"{r['median_s']:9.3f} {r['min_s']:7.3f} {r['cpu_s']:7.3f}"
        print(f"{r['case']:38} {times} {r['ratio_to_python']:9.1f}")


if __name__ == "__main__":
    main()
