"""The sample completeness form, ``tests/data/form.yaml``, with a preferred date that does not rot.

The file's own date (2026-12-03) passed long ago for a request that arrives today (Batam time:
after 17:00 UTC it is already tomorrow there); the copy the tests use is dated two weeks from
today in WIB.
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from pathlib import Path

DATA = Path(__file__).parent / "data"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
_FIXED = "preferred_date: 2026-12-03"


def preferred_date() -> dt.date:
    return dt.datetime.now(WIB).date() + dt.timedelta(days=14)


def _write() -> Path:
    text = (DATA / "form.yaml").read_text(encoding="utf-8")
    assert _FIXED in text, "tests/data/form.yaml changed: update tests/form_file.py"
    folder = Path(tempfile.mkdtemp(prefix="netprov-form-"))
    atexit.register(shutil.rmtree, folder, True)
    out = folder / "form.yaml"
    out.write_text(text.replace(_FIXED, f"preferred_date: {preferred_date().isoformat()}"), encoding="utf-8")
    return out


#: Path of the dated copy (one per test process).
FORM_YAML = _write()
