"""Field accuracy of ``netprov request scan`` on letters the project makes itself.

Letters from ``tests/scan_corpus.py`` (five departments x three layouts, numbers with and
without a roman month, dates "20 November 2026" and "20-11-2026", bandwidth in digits and in
Indonesian words), each as: a born-digital PDF (text layer), a clean 200 dpi scan (PNG),
a scanned PDF (200 dpi, rotated 0.5-2 degrees, noise, blur) and a phone photo (JPEG, ~120 dpi,
rotated 1-3 degrees, blur, light fall-off, noise, quality 65-85). Prints per field the share
read exactly (phone numbers: the same digits; text: case and spacing ignored) on clean scans
(clean PNG + scanned PDF; goal 95%) and phone photos (goal 85%), and seconds per page.

Department and site names are matched against the lab's names (inventory/topology.yaml, what
`netprov lab seed` puts in NetBox); no NetBox is needed.

    OMP_THREAD_LIMIT=1 .venv/bin/python benchmarks/bench_scan.py            # 15 letters
    .venv/bin/python benchmarks/bench_scan.py -n 5 -v                       # a quick look, misses shown
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netprov.scan.fields import FIELDS, Known
from netprov.scan.ocr import TesseractOcr
from netprov.scan.reader import read_letter
from tests.scan_corpus import make

KINDS = ("pdf", "clean", "scan", "phone")
GOALS = {"clean": 0.95, "phone": 0.85}


def known() -> Known:
    topo = yaml.safe_load((Path(__file__).resolve().parents[1] / "inventory" / "topology.yaml").read_text())
    return Known([t["name"] for t in topo["tenants"]], [s["name"] for s in topo["sites"]])


def same(field: str, got: Any, want: Any) -> bool:
    if field == "contact.phone":
        return re.sub(r"\D", "", str(got)) == re.sub(r"\D", "", str(want))
    if isinstance(want, str):
        return " ".join(str(got).split()).casefold() == " ".join(want.split()).casefold()
    return bool(got == want)


def run(n: int, verbose: bool) -> int:
    k = known()
    ocr = TesseractOcr()
    hits: dict[str, dict[str, int]] = {kind: dict.fromkeys(FIELDS, 0) for kind in KINDS}
    pages = dict.fromkeys(KINDS, 0)
    seconds = dict.fromkeys(KINDS, 0.0)
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        for seed in range(n):
            for kind in KINDS:
                path, spec = make(seed, kind, Path(tmp))
                t0 = time.monotonic()
                try:
                    fields = read_letter(path, ocr, k).fields
                    got = {f: fields[f].value for f in FIELDS}
                except Exception as exc:  # a refused scan counts as every field missed
                    got = dict.fromkeys(FIELDS)
                    print(f"  seed {seed} {kind}: refused: {exc}")
                seconds[kind] += time.monotonic() - t0
                pages[kind] += 1
                for f, want in spec.truth().items():
                    ok = same(f, got[f], want)
                    hits[kind][f] += ok
                    if verbose and not ok:
                        print(f"  seed {seed} {kind} layout {spec.layout}: {f} = {got[f]!r}, want {want!r}")
    return report(hits, pages, seconds, n)


def report(hits: dict[str, dict[str, int]], pages: dict[str, int], seconds: dict[str, float], n: int) -> int:
    print(f"\n{n} letters; field read exactly, per kind (clean = clean PNG + scanned PDF)")
    print(f"{'field':16s} {'pdf':>6s} {'clean':>6s} {'phone':>6s}  goal clean 95% / phone 85%")
    misses = 0
    for f in FIELDS:
        pdf = hits["pdf"][f] / n
        clean = (hits["clean"][f] + hits["scan"][f]) / (2 * n)
        phone = hits["phone"][f] / n
        flag = []
        if clean < GOALS["clean"]:
            flag.append("clean below goal")
        if phone < GOALS["phone"]:
            flag.append("phone below goal")
        misses += bool(flag)
        print(f"{f:16s} {pdf:6.0%} {clean:6.0%} {phone:6.0%}  {', '.join(flag)}")
    for kind in KINDS:
        print(f"seconds per page, {kind:5s}: {seconds[kind] / max(1, pages[kind]):.2f}")
    return 0 if misses == 0 else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=15, help="letters (default 15: 5 departments x 3 layouts)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every field missed")
    args = ap.parse_args()
    sys.exit(run(args.n, args.verbose))
