"""``netprov request scan`` and ``request submit --scan`` with the real Tesseract, on letters
rendered by ``tests/scan_corpus.py`` (a clean scan, a phone photo, a scanned PDF, a
born-digital PDF), through the installed ``netprov`` entry point."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netprov.scan.fields import FIELDS
from netprov.scan.ocr import TesseractOcr
from netprov.scan.reader import read_letter
from tests.scan_corpus import make

NETPROV = str(Path(sys.executable).parent / "netprov")


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env["NETPROV_DATA_DIR"] = str(tmp_path / "data")
    env["NETPROV_LAB_DIR"] = str(tmp_path / "lab")  # no lab: NetBox not configured
    env["OMP_THREAD_LIMIT"] = "1"

    def _run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([NETPROV, *args], capture_output=True, text=True, env=env, timeout=180)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    return _run


def test_scan_then_submit_with_the_scan_attached(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo, spec = make(5, "phone", tmp_path)  # layout B (label table), a JPEG photo
    out = tmp_path / "letter.yaml"
    said = run("request", "scan", str(photo), "--out", str(out)).stdout
    assert said.startswith(f"wrote {out}")
    text = out.read_text()
    assert "# note: department and site not matched against NetBox" in text
    assert f'number: "{spec.number}"' in text and f"hosts: {spec.hosts}" in text
    assert run("request", "list", "--json").stdout.strip() == "[]"  # scan never submits
    # the person checks and completes it; the department as the register knows it
    run("request", "submit", str(out), "--scan", str(photo))
    shown = json.loads(run("request", "show", "PJB-2026-0001", "--json").stdout)
    scan = shown["timeline"][0]["outputs"]["scan"]
    assert scan["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    stored = Path(scan["file"])
    assert stored.is_file() and hashlib.sha256(stored.read_bytes()).hexdigest() == scan["sha256"]


@pytest.mark.parametrize("kind", ["scan", "pdf"])
def test_a_scanned_and_a_born_digital_pdf(kind: str, tmp_path: Path) -> None:
    path, spec = make(10, kind, tmp_path)  # layout C: numeric date, number without roman month
    fields = read_letter(path, TesseractOcr()).fields
    truth = spec.truth()
    wrong = [f for f in FIELDS if f not in ("opd", "site.name") and fields[f].value != truth[f]]
    assert wrong == []
    assert fields["letter.number"].page == 1 and fields["letter.number"].box is not None


def test_bad_scans_exit_1_write_nothing_register_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image, ImageFilter

    notes = tmp_path / "notes.pdf"
    from weasyprint import HTML  # type: ignore[import-untyped]

    HTML(
        string="<p>" + "Daftar belanja kantor: kertas, tinta, map, pulpen dan amplop. " * 20 + "</p>"
    ).write_pdf(notes)
    smear = tmp_path / "smear.jpg"
    clean, _ = make(1, "clean", tmp_path)
    Image.open(clean).filter(ImageFilter.GaussianBlur(9)).save(smear)
    blank = tmp_path / "blank.png"
    Image.new("L", (1200, 1600), 255).save(blank)
    for bad, says in [
        (notes, "does not look like a request letter"),
        (smear, "is unreadable (mean OCR confidence"),
        (blank, "page 1 is blank"),
    ]:
        out = tmp_path / f"{bad.stem}.yaml"
        proc = run("request", "scan", str(bad), "--out", str(out), ok=False)
        assert proc.returncode == 1 and says in proc.stderr and "Traceback" not in proc.stderr
        assert not out.exists()
    kept = tmp_path / "kept.yaml"
    kept.write_text("# corrected by hand\n")
    proc = run("request", "scan", str(clean), "--out", str(kept), ok=False)
    assert proc.returncode == 1 and "exists; pass --force" in proc.stderr
    assert kept.read_text() == "# corrected by hand\n"
    typed = tmp_path / "typed.pdf"
    typed.write_text("Nomor : 005/123/DISDIK/XI/2026\n")
    letter = str(Path(__file__).parents[1] / "data" / "letter-intranet.yaml")
    proc = run("request", "submit", letter, "--scan", str(typed), ok=False)
    assert proc.returncode == 1 and "is not a PDF, PNG or JPEG file" in proc.stderr
    assert run("request", "list", "--json").stdout.strip() == "[]"


def test_two_processes_scan_and_submit_at_once(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    letters = [make(seed, "clean", tmp_path) for seed in (0, 6)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env |= {"NETPROV_DATA_DIR": str(tmp_path / "data"), "NETPROV_LAB_DIR": str(tmp_path / "lab")}
    outs = [tmp_path / f"l{i}.yaml" for i in range(2)]
    procs = [
        subprocess.Popen(
            [NETPROV, "request", "scan", str(p), "--out", str(o)], env=env, stderr=subprocess.PIPE
        )
        for (p, _), o in zip(letters, outs, strict=True)
    ]
    assert [p.wait(180) for p in procs] == [0, 0]
    procs = [
        subprocess.Popen(
            [NETPROV, "request", "submit", str(o), "--scan", str(p)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for (p, _), o in zip(letters, outs, strict=True)
    ]
    ids = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert ids == ["PJB-2026-0001", "PJB-2026-0002"]
    hashes = set()
    for rid in ids:
        shown = json.loads(run("request", "show", rid, "--json").stdout)
        hashes.add(shown["timeline"][0]["outputs"]["scan"]["sha256"])
    assert hashes == {hashlib.sha256(p.read_bytes()).hexdigest() for p, _ in letters}


def test_the_demo_letter_3_photo_reads_back(tmp_path: Path) -> None:
    import yaml

    from netprov.domain.letters import load_letter
    from netprov.scan.fields import Known
    from netprov_lab.demo.scan import letter_photo, read_back

    root = Path(__file__).parents[2]
    topo = yaml.safe_load((root / "inventory" / "topology.yaml").read_text())
    known = Known([t["name"] for t in topo["tenants"]], [s["name"] for s in topo["sites"]])
    letter = load_letter(root / "netprov_lab" / "demo" / "letters" / "3-internet-dishub.yaml")
    good, wrong, _ = read_back(letter_photo(letter, tmp_path), letter, known)
    assert (good, wrong) == (13, [])
