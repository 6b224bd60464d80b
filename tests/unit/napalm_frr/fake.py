"""NAPALM-style mocked tests: a fake SSH transport answering from recorded outputs.

Each case folder ``mocked_data/<method>/<case>/`` holds ``responses.json`` (the method's
arguments, or ``steps`` of a config scenario, and an ordered list of ``{match, file|stdout,
rc, once}``: the first unused entry whose regex matches the command (plus its stdin, after a
newline) answers; a ``once`` entry answers one call) and ``expected_result.json`` (the result,
or ``{exception, message}``). The outputs were recorded from the real lab routers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from napalm_frr import FRRDriver
from napalm_frr.transport import Result

MOCKED = Path(__file__).parent / "mocked_data"


class FakeTransport:
    """Answers commands from a list of (regex, stdout, rc); records every call."""

    def __init__(self, responses: list[dict[str, Any]], base: Path | None = None) -> None:
        self.responses = responses
        self.base = base
        self.calls: list[tuple[str, str | None]] = []
        self.used: set[int] = set()
        self.alive = True

    def open(self) -> None:
        self.alive = True

    def close(self) -> None:
        self.alive = False

    def is_alive(self) -> bool:
        return self.alive

    def run(self, command: str, stdin: str | None = None, timeout: float | None = None) -> Result:
        self.calls.append((command, stdin))
        subject = command + ("\n" + stdin if stdin else "")
        for i, r in enumerate(self.responses):
            if r.get("once") and i in self.used:
                continue
            if re.search(r["match"], subject, re.DOTALL):
                self.used.add(i)
                if "file" in r:
                    assert self.base is not None
                    out = (self.base / r["file"]).read_text(encoding="utf-8")
                else:
                    out = r.get("stdout", "")
                return Result(int(r.get("rc", 0)), out, r.get("stderr", ""))
        raise AssertionError(f"unexpected command: {command!r}")


def make_driver(
    responses: list[dict[str, Any]], base: Path | None = None, **optional_args: Any
) -> tuple[FRRDriver, FakeTransport]:
    d = FRRDriver("192.0.2.99", "netprov", "not-a-real-secret", optional_args=optional_args)
    fake = FakeTransport(responses, base)
    d.transport = fake
    return d, fake


def cases(method: str) -> list[str]:
    return sorted(p.name for p in (MOCKED / method).iterdir() if p.is_dir())


def load_case(method: str, case: str) -> tuple[FRRDriver, dict[str, Any], Any]:
    base = MOCKED / method / case
    spec = json.loads((base / "responses.json").read_text(encoding="utf-8"))
    driver, _ = make_driver(spec["responses"], base)
    expected_file = base / "expected_result.json"
    expected = json.loads(expected_file.read_text(encoding="utf-8")) if expected_file.exists() else None
    return driver, spec, expected
