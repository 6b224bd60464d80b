"""A generated hostile corpus: every file and argument the CLI reads, run through ``netprov``.

Each case goes through the real entry point (``netprov.cli.main.run``) in-process and must be
refused: exit 1, no traceback, the field named, at most a few lines, nothing written (the data
directory and its surroundings byte for byte unchanged), under 5 s; the big-file cases also in
bounded memory. Property-based cases (Hypothesis) run the loaders directly.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import os
import shutil
import stat
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netprov.domain.letters import parse_form, parse_letter
from netprov.errors import InputError, NetprovError
from netprov.inputs import parse_yaml
from netprov.sop.intake import check_request_id
from tests.form_file import FORM_YAML

DATA = Path(__file__).parent.parent / "data"
LETTER: dict[str, Any] = yaml.safe_load((DATA / "letter-intranet.yaml").read_text())
FORM: dict[str, Any] = yaml.safe_load(FORM_YAML.read_text())
BAD = yaml.safe_load((DATA / "bad_inputs.yaml").read_text())
TODAY = dt.date.today()
HUGE = 100_000

pytestmark = pytest.mark.timeout(5, func_only=True)


@dataclasses.dataclass(frozen=True)
class Case:
    """One hostile invocation: ``args`` (with {rid}, {file}, {tmp} filled in), what it must name."""

    id: str
    args: tuple[str, ...]
    field: str
    state: str = "accepted"  # the register it runs against: "accepted" or "ready" (step 7 next)
    file: Callable[[Path], Path] | None = None  # makes the hostile file in a scratch folder
    env: tuple[tuple[str, str], ...] = ()
    big: bool = False  # measure memory


# --- building hostile files ----------------------------------------------------------------


def _patched(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for path, value in patch.items():
        *parents, leaf = path.split(".")
        node = doc
        for p in parents:
            node = node[p]
        if value == "__delete__":
            node.pop(leaf, None)
        elif value == "__LONG__":
            node[leaf] = "x" * 5000
        else:
            node[leaf] = value
    return doc


def _yaml_file(doc: dict[str, Any]) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / "input.yaml"
        p.write_text(yaml.safe_dump(doc, allow_unicode=False, width=10**9), encoding="utf-8")
        return p

    return make


def _raw_file(text: str | bytes, name: str = "input.yaml") -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / name
        p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        return p

    return make


def _fifo(d: Path) -> Path:
    p = d / "fifo.yaml"
    os.mkfifo(p)
    return p


def _dir(d: Path) -> Path:
    p = d / "folder.yaml"
    p.mkdir()
    return p


def _sparse(size: int) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / "big.yaml"
        with p.open("wb") as f:
            f.truncate(size)
        return p

    return make


def _big_letter(d: Path) -> Path:  # 20 MB of real YAML
    p = d / "big-letter.yaml"
    with p.open("w") as f:
        f.write((DATA / "letter-intranet.yaml").read_text())
        line = "# " + "x" * 1000 + "\n"
        for _ in range(20_000):
            f.write(line)
    return p


def _markup_path(d: Path) -> Path:  # a path holding rich markup: .../x[/]bad[red].yaml
    (d / "x[").mkdir()
    p = d / "x[" / "]bad[red].yaml"
    p.write_text("opd: [x\n")
    return p


def _symlink_to(target: str) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / "link.yaml"
        p.symlink_to(target)
        return p

    return make


def _existing(path: str) -> Callable[[Path], Path]:
    return lambda d: Path(path)


def _named(name: str) -> Callable[[Path], Path]:
    return lambda d: d / name


SPECIAL_FILES: list[tuple[str, Callable[[Path], Path], bool]] = [
    ("fifo", _fifo, False),
    ("dev-zero", _existing("/dev/zero"), True),
    ("dev-null", _existing("/dev/null"), False),
    ("dev-urandom", _existing("/dev/urandom"), True),
    ("symlink-dev-zero", _symlink_to("/dev/zero"), True),
    ("directory", _dir, False),
    ("sparse-20mb", _sparse(20 * 1024 * 1024), True),
    ("missing", _named("missing.yaml"), False),
    ("markup-path", lambda d: _markup_path(d), False),
    ("ansi-path", lambda d: _raw_file("- a\n", "\x1b[31mred.yaml")(d), False),
    ("not-utf8", _raw_file(b"opd: \xff\xfe\x00\n"), False),
    ("empty", _raw_file(""), False),
    ("list", _raw_file("- a\n- b\n"), False),
    ("scalar", _raw_file("just text\n"), False),
]

HOSTILE_TEXT: dict[str, str] = {
    "zwsp": "\u200b\u200b",
    "bom": "\ufeff",
    "nbsp-zwj": "\u00a0\u200d ",
    "nul": "Dinas\x00X",
    "bel": "Dinas\x07X",
    "ansi": "\x1b[31mDinas\x1b[0m",
    "cr": "Dinas\rX",
    "u2028": "Dinas\u2028X",
    "u2029": "Dinas\u2029X",
    "rlo": "Dinas \u202eX",
    "huge": "x" * HUGE,
    "empty": "",
    "combining-only": "\u0301\u0301",
}

LETTER_TEXT_FIELDS = [
    "opd",
    "purpose",
    "letter.number",
    "letter.subject",
    "site.name",
    "site.address",
    "contact.name",
]
FORM_TEXT_FIELDS = ["pic.name", "location.building", "location.room", "equipment.notes"]
MULTILINE_OK = {"purpose", "site.address", "equipment.notes"}  # tabs and newlines allowed there
OPTIONAL = {"equipment.notes"}


def _form(rid: str = "{rid}", **patch: Any) -> dict[str, Any]:
    doc = _patched(FORM, {"request": rid, "schedule.preferred_date": TODAY + dt.timedelta(days=7)})
    return _patched(doc, patch)


# --- the corpus ------------------------------------------------------------------------------


def _letter_cases() -> Iterator[Case]:
    submit = ("request", "submit", "{file}")
    for c in BAD:
        if c["kind"] == "letter":
            yield Case(f"letter-{c['id']}", submit, c["field"], file=_yaml_file(_patched(LETTER, c["patch"])))
    for field in LETTER_TEXT_FIELDS:
        for name, value in HOSTILE_TEXT.items():
            yield Case(
                f"letter-text-{field}-{name}",
                submit,
                field,
                file=_yaml_file(_patched(LETTER, {field: value})),
            )
    text = (DATA / "letter-intranet.yaml").read_text()
    raw = {
        "bandwidth-yes": text.replace("bandwidth_mbps: 50", "bandwidth_mbps: yes"),
        "bandwidth-true": text.replace("bandwidth_mbps: 50", "bandwidth_mbps: true"),
        "bandwidth-on": text.replace("bandwidth_mbps: 50", "bandwidth_mbps: on"),
        "hosts-sexagesimal": text.replace("hosts: 20", "hosts: 1:30"),
        "hosts-false": text.replace("hosts: 20", "hosts: false"),
        "hosts-float": text.replace("hosts: 20", "hosts: 20.0"),
        "hosts-string": text.replace("hosts: 20", 'hosts: "20"'),
        "hosts-1000-digits": text.replace("hosts: 20", "hosts: " + "9" * 1000),
        "hosts-5000-digits": text.replace("hosts: 20", "hosts: " + "9" * 5000),
        "bandwidth-float-huge": text.replace("bandwidth_mbps: 50", "bandwidth_mbps: 1e999"),
        "bandwidth-nan": text.replace("bandwidth_mbps: 50", "bandwidth_mbps: .nan"),
        "duplicate-opd": text + "opd: Dinas Lain\n",
        "duplicate-hosts": text + "hosts: 9000\n",
        "date-month-13": text.replace("date: 2026-11-20", "date: 2026-13-01"),
        "date-feb-30": text.replace("date: 2026-11-20", "date: 2026-02-30"),
        "date-nov-31": text.replace("date: 2026-11-20", "date: 2026-11-31"),
        "date-as-number": text.replace("date: 2026-11-20", "date: 1763596800"),
        "date-year-1999": text.replace("date: 2026-11-20", "date: 1999-12-31"),
        "date-far-future": text.replace("date: 2026-11-20", "date: 9999-12-31"),
        "nested-3000": text.replace("purpose: ", "purpose: " + "[" * 3000 + "]" * 3000 + " #"),
        "nested-25-map": text + "deep: " + "{a: " * 25 + "1" + "}" * 25 + "\n",
        "alias-bomb": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" + text,
        "python-tag": text.replace("hosts: 20", "hosts: !!python/object/apply:os.system [id]"),
        "extra-1000-keys": text + "".join(f"extra{i}: {i}\n" for i in range(1000)),
        "bom-then-list": "\ufeff- a\n",
        "tab-indent": text.replace("letter: {", "letter:\n\t{"),
        "unclosed": text.replace("subject: ", "subject: [unclosed "),
        "complex-key": text + "? [a, b]\n: c\n",
    }
    fields = {
        "bandwidth": "bandwidth_mbps",
        "hosts": "hosts",
        "duplicate": "repeats the key",
        "date": "letter.date",
        "nested": "nested deeper",
        "alias": "anchor",
        "python": "letter",
        "extra": "extra0",
        "bom": "mapping",
        "tab": "YAML",
        "unclosed": "YAML",
        "complex": "key",
    }
    for name, body in raw.items():
        field = next(v for k, v in fields.items() if name.startswith(k))
        if name in {"date-month-13", "date-feb-30", "date-nov-31"}:
            field = "does not exist"
        if name.startswith("hosts-") and "digits" in name:
            field = "digits"
        if name == "bandwidth-float-huge":
            field = "too large"
        yield Case(f"letter-yaml-{name}", submit, field, file=_raw_file(body))
    for name, make, big in SPECIAL_FILES:
        yield Case(f"letter-file-{name}", submit, "letter", file=make, big=big)
    yield Case("letter-file-20mb-real", submit, "too large", file=_big_letter, big=True)
    for name, value in {
        "minus-14": "2026-11-25T10:00-14:00",
        "plus-15": "2026-11-25T10:00+15:00",
        "year-1999": "1999-12-31T10:00+07:00",
        "year-1-plus-14": "0001-01-01T00:00+14:00",
        "year-1-minus-12": "0001-01-01T00:00-12:00",
        "year-9999-minus-12": "9999-12-31T23:59-12:00",
        "future": (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat(),
        "before-letter": "2026-11-19T10:00+07:00",
        "naive": "2026-11-25T10:00",
        "garbage": "yesterday",
        "huge": "2" * HUGE,
        "feb-30": "2026-02-30T10:00+07:00",
        "nul": "2026-11-25T10:00\x00+07:00",
        "empty": "",
    }.items():
        args = ("request", "submit", str(DATA / "letter-intranet.yaml"), "--received-at", value)
        yield Case(f"received-at-{name}", args, "--received-at")


def _form_cases() -> Iterator[Case]:
    fill = ("--as", "staff1", "request", "form", "{rid}", "--fill", "{file}")
    for c in BAD:
        if c["kind"] == "form" and c["id"] != "form-request-bad":
            yield Case(f"form-{c['id']}", fill, c["field"], file=_yaml_file(_patched(_form(), c["patch"])))
    for field in FORM_TEXT_FIELDS:
        for name, value in HOSTILE_TEXT.items():
            if name == "empty" and field in OPTIONAL:
                continue
            yield Case(f"form-text-{field}-{name}", fill, field, file=_yaml_file(_form(**{field: value})))
    for name, nip in {
        "arabic-indic": "١٩٨٠٠١٠١ ٢٠٠٥٠١ ١ ٠٠١",
        "fullwidth": "１９８００１０１ ２００５０１ １ ００１",
        "devanagari": "१९८००१०१२००५०११००१",
        "17-digits": "19800101 200501 1 00",
        "newline": "19800101\n200501 1 001",
        "huge": "1" * HUGE,
        "nul": "19800101\x00200501 1 001",
    }.items():
        yield Case(f"form-nip-{name}", fill, "pic.nip", file=_yaml_file(_form(**{"pic.nip": nip})))
    for name, value in {
        "past-2001": dt.date(2001, 1, 1),
        "year-9999": dt.date(9999, 1, 1),
        "three-years": TODAY + dt.timedelta(days=3 * 366),
        "before-received": TODAY - dt.timedelta(days=30),
    }.items():
        yield Case(
            f"form-preferred-{name}",
            fill,
            "schedule.preferred_date",
            file=_yaml_file(_form(**{"schedule.preferred_date": value})),
        )
    text = yaml.safe_dump(_form(), width=10**9)
    raw = {
        "latitude-true": ("latitude: 1.1301", "latitude: true", "location.latitude"),
        "longitude-yes": ("longitude: 104.0529", "longitude: yes", "location.longitude"),
        "devices-on": ("devices: 12", "devices: on", "equipment.devices"),
        "devices-sexagesimal": ("devices: 12", "devices: 1:30", "equipment.devices"),
        "devices-true": ("devices: 12", "devices: true", "equipment.devices"),
        "latitude-inf": ("latitude: 1.1301", "latitude: .inf", "location.latitude"),
    }
    for name, (old, new, field) in raw.items():
        assert old in text, old
        yield Case(f"form-yaml-{name}", fill, field, file=_raw_file(text.replace(old, new)))
    for name, (old, new) in {
        "date-feb-30": ("preferred_date: ", "preferred_date: 2026-02-30 #"),
        "date-month-13": ("preferred_date: ", "preferred_date: 2026-13-01 #"),
        "duplicate-key": ("schedule:", "equipment: {devices: 1}\nschedule:"),
    }.items():
        yield Case(f"form-yaml-{name}", fill, "line", file=_raw_file(text.replace(old, new, 1)))
    for name, rid in {
        "path": "../../x",
        "absolute": "/tmp/x",
        "other": "PJB-2026-9999",
        "huge": "P" * HUGE,
    }.items():
        yield Case(f"form-request-{name}", fill, "request", file=_yaml_file(_form(rid)))
    for name, make, big in SPECIAL_FILES:
        yield Case(f"form-file-{name}", fill, "form", file=make, big=big)


def _evidence(d: Path) -> Path:
    p = d / "foto.txt"
    p.write_text("foto perangkat terpasang")
    return p


HOSTILE_IDS: dict[str, str] = {
    "dotdot": "../../x",
    "dotdot-evidence": "../../../escaped",
    "absolute": "/tmp/netprov-hostile-{tmp}",
    "id-then-dotdot": "PJB-2026-0001/../../x",
    "trailing-newline": "PJB-2026-0001\n",
    "lowercase": "pjb-2026-0001",
    "other-prefix": "XYZ-2026-0001",
    "too-long-seq": "PJB-2026-0000001",
    "arabic-digits": "PJB-٢٠٢٦-٠٠٠١",
    "dot": ".",
    "empty": "",
    "nul": "PJB-2026-0001\x00",
    "huge": "PJB-" + "9" * HUGE,
    "ansi": "\x1b[31mPJB-2026-0001",
}


def _id_cases() -> Iterator[Case]:
    commands: dict[str, tuple[str, ...]] = {
        "provision-manual": ("--as", "staff1", "provision", "{id}", "--manual", "--evidence", "{file}"),
        "provision-unknown-user": ("--as", "nobody", "provision", "{id}", "--manual", "--evidence", "{file}"),
        "provision-kadis-passwd": (
            "--as",
            "kadis",
            "provision",
            "{id}",
            "--manual",
            "--evidence",
            "/etc/passwd",
        ),
        "provision-dry-run": ("--as", "staff1", "provision", "{id}", "--dry-run"),
        "show": ("request", "show", "{id}"),
        "dispose": ("--as", "kadis", "request", "dispose", "{id}", "--to", "kabid"),
        "form": ("--as", "staff1", "request", "form", "{id}", "--fill", str(FORM_YAML)),
        "check": ("--as", "staff1", "request", "check", "{id}", "--manual", "--bandwidth-ok", "--ip-ok"),
        "report": ("--as", "staff1", "request", "report", "{id}"),
    }
    for cname, args in commands.items():
        for iname, rid in HOSTILE_IDS.items():
            filled = tuple(a.replace("{id}", rid) if a == "{id}" else a for a in args)
            yield Case(f"id-{cname}-{iname}", filled, "request id", state="ready", file=_evidence)


def _evidence_cases() -> Iterator[Case]:
    manual = ("--as", "staff1", "provision", "{rid}", "--manual", "--evidence", "{file}")
    for name, make, big in SPECIAL_FILES:
        if name in {"not-utf8", "empty", "list", "scalar", "markup-path", "ansi-path", "sparse-20mb"}:
            continue  # ordinary files of at most 20 MB are fine evidence
        yield Case(f"evidence-file-{name}", manual, "--evidence", state="ready", file=make, big=big)
    yield Case(
        "evidence-file-over-20mb",
        manual,
        "too large",
        state="ready",
        file=_sparse(20 * 1024 * 1024 + 1),
        big=True,
    )
    for who, field in {
        "nobody": "unknown user",
        "kadis": "may not",
        "kabid": "may not",
        "x" * HUGE: "unknown user",
    }.items():
        args = ("--as", who, "provision", "{rid}", "--manual", "--evidence", "/etc/passwd")
        yield Case(f"evidence-role-{who[:10]}", args, field, state="ready")
    wrong_state = ("--as", "staff1", "provision", "{rid}", "--manual", "--evidence", "/etc/passwd")
    yield Case("evidence-wrong-state", wrong_state, "{rid}", state="accepted")
    for name, value in HOSTILE_TEXT.items():
        if name == "empty":
            continue
        yield Case(
            f"evidence-note-{name}", (*manual, "--note", value), "--note", state="ready", file=_evidence
        )


def _note_cases() -> Iterator[Case]:
    commands = {
        "dispose": ("--as", "kadis", "request", "dispose", "{rid}", "--to", "kabid", "--note"),
        "accept": ("--as", "staff1", "request", "accept", "{rid}", "--note"),
        "report": ("--as", "staff1", "request", "report", "{rid}", "--note"),
        "reject": ("--as", "staff1", "request", "reject", "{rid}", "--reason"),
        "review-return": ("--as", "kadis", "request", "review", "{rid}", "--return", "--note"),
    }
    for cname, args in commands.items():
        for name, value in HOSTILE_TEXT.items():
            if name == "empty" and cname not in {"reject", "review-return"}:
                continue
            field = "--reason" if cname == "reject" else "--note"
            yield Case(f"note-{cname}-{name}", (*args, value), field)
    for name, who in {"huge": "k" * HUGE, "ansi": "\x1b[2Jkabid", "nul": "kabid\x00"}.items():
        args = ("--as", "kadis", "request", "dispose", "{rid}", "--to", who)
        yield Case(f"to-{name}", args, "--to")


def _users_cases() -> Iterator[Case]:
    def users(doc: Any) -> Callable[[Path], Path]:
        return _yaml_file(doc)

    base = {"users": {"staff1": {"role": "staff", "name": "Rizky Pratama", "nip": "19900115 201503 1 001"}}}
    docs: dict[str, Callable[[Path], Path]] = {
        "name-zwsp": users(_patched(base, {"users.staff1.name": "\u200b"})),
        "name-ansi": users(_patched(base, {"users.staff1.name": "\x1b[31mX"})),
        "name-huge": users(_patched(base, {"users.staff1.name": "x" * HUGE})),
        "nip-arabic": users(_patched(base, {"users.staff1.nip": "١٩٩٠٠١١٥ ٢٠١٥٠٣ ١ ٠٠١"})),
        "role-bad": users(_patched(base, {"users.staff1.role": "root"})),
        "username-path": users({"users": {"../x": {"role": "staff", "name": "X"}}}),
        "username-int": users({"users": {1: {"role": "staff", "name": "X"}}}),
        "not-mapping": users({"users": ["staff1"]}),
        "duplicate": _raw_file("users:\n  a: {role: staff, name: A}\n  a: {role: kasi, name: B}\n"),
        "many-extra": users(_patched(base, {f"users.staff1.x{i}": i for i in range(500)})),
    }
    for name, make in docs.items():
        yield Case(
            f"users-{name}",
            ("request", "list"),
            "users file",
            file=make,
            env=(("NETPROV_USERS_FILE", "{file}"),),
        )
    for name, make, big in SPECIAL_FILES:
        if name in {"list", "scalar"}:
            continue
        env = (("NETPROV_USERS_FILE", "{file}"),)
        yield Case(f"users-file-{name}", ("request", "list"), "users file", file=make, env=env, big=big)


CASES = [*_letter_cases(), *_form_cases(), *_id_cases(), *_evidence_cases(), *_note_cases(), *_users_cases()]


def test_the_corpus_is_large_and_unique() -> None:
    assert len(CASES) >= 300, len(CASES)
    assert len({c.id for c in CASES}) == len(CASES)


# --- running a case ----------------------------------------------------------------------------


def _netprov(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``netprov ARGS`` in-process through the console-script entry point: (exit code, output)."""
    from netprov.cli import main

    old = sys.argv
    sys.argv = ["netprov", *args]
    try:
        main.run()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, out.out + out.err


def _listing(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        # SQLite's WAL index (-shm) and an empty WAL come and go with a reading connection;
        # a write would leave the -wal non-empty (or change the database file).
        filenames = [f for f in filenames if not f.endswith("-shm")]
        filenames = [
            f
            for f in filenames
            if not (f.endswith("-wal") and os.path.getsize(os.path.join(dirpath, f)) == 0)
        ]
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            st_ = os.lstat(p)
            if stat.S_ISREG(st_.st_mode) and st_.st_size < 1_000_000:
                out[os.path.relpath(p, root)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
            else:  # links, FIFOs, big files: their kind, size and time
                out[os.path.relpath(p, root)] = f"{st_.st_mode:o} {st_.st_size} {st_.st_mtime_ns}"
    return out


@pytest.fixture(scope="module")
def registers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Two registers made once: one request accepted (form next), one ready for step 7."""
    from netprov.app import App
    from netprov.domain.letters import load_letter
    from netprov.settings import Settings

    out = {}
    for state in ("accepted", "ready"):
        data = tmp_path_factory.mktemp(f"register-{state}") / "data"
        s = Settings(data_dir=data, lab_dir=data.parent / "lab")
        svc = App(s).service
        rid = svc.submit(load_letter(DATA / "letter-intranet.yaml")).id
        svc.dispose(rid, "kadis", "kabid")
        svc.assign(rid, "kabid", "staff1")
        from netprov.cli.request_check import manual_feasibility

        svc.check(rid, "staff1", manual_feasibility(svc.get(rid), True, True, True, True, ""))
        svc.accept(rid, "staff1")
        if state == "ready":
            svc.fill_form(rid, "staff1", parse_form(_form(rid)))
        out[state] = (data, rid)
    return out


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for k in list(os.environ):
        if k.startswith("NETPROV_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("COLUMNS", "100")
    return monkeypatch


def _fill(value: str, rid: str, file: Path | None, tmp: Path) -> str:
    if value == "{file}":
        assert file is not None
        return str(file)
    return value.replace("{rid}", rid).replace("{tmp}", tmp.name)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_cleanly(
    case: Case,
    registers: dict[str, tuple[Path, str]],
    tmp_path: Path,
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    template, rid = registers[case.state]
    data = tmp_path / "data"
    shutil.copytree(template, data)
    scratch = tmp_path / "in"
    scratch.mkdir()
    file = case.file(scratch) if case.file else None
    small = file is not None and file.is_relative_to(scratch) and file.is_file() and not file.is_symlink()
    if file is not None and small and file.stat().st_size < 1_000_000:
        file.write_bytes(file.read_bytes().replace(b"{rid}", rid.encode()))
    env.setenv("NETPROV_DATA_DIR", str(data))
    env.setenv("NETPROV_LAB_DIR", str(tmp_path / "lab"))
    for k, v in case.env:
        env.setenv(k, _fill(v, rid, file, tmp_path))
    args = [_fill(a, rid, file, tmp_path) for a in case.args]
    before = _listing(tmp_path)
    if case.big:
        tracemalloc.start()
    try:
        code, out = _netprov(args, capsys)
    finally:
        peak = tracemalloc.get_traced_memory()[1] if case.big else 0
        if case.big:
            tracemalloc.stop()
    assert code == 1, out[-2000:]
    assert "Traceback" not in out, out[-2000:]
    assert _fill(case.field, rid, None, tmp_path) in out, out[-2000:]
    assert len(out) < 3000 and out.count("\n") <= 14, out[:3000]
    assert _listing(tmp_path) == before, "something was written"
    assert not Path(f"/tmp/netprov-hostile-{tmp_path.name}").exists()
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_a_good_case_passes_the_same_harness(
    registers: dict[str, tuple[Path, str]],
    tmp_path: Path,
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The harness itself can see success and writes (so its refusals mean something)."""
    template, rid = registers["ready"]
    data = tmp_path / "data"
    shutil.copytree(template, data)
    env.setenv("NETPROV_DATA_DIR", str(data))
    env.setenv("NETPROV_LAB_DIR", str(tmp_path / "lab"))
    before = _listing(data)
    evidence = _evidence(tmp_path)
    code, out = _netprov(
        ["--as", "staff1", "provision", rid, "--manual", "--evidence", str(evidence)], capsys
    )
    assert code == 0, out
    written = set(_listing(data)) - set(before)
    assert any(p.startswith("evidence/" + rid + "/") for p in written), written


# --- property-based: the loaders never crash, and what they accept is clean text -----------

HYPO = settings(
    max_examples=150, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@HYPO
@given(st.text(max_size=300))
def test_any_opd_is_clean_text_or_refused_naming_opd(opd: str) -> None:
    try:
        letter = parse_letter(_patched(LETTER, {"opd": opd}))
    except InputError as exc:
        assert any(p.startswith("opd:") for p in exc.problems), exc.problems
        assert len(exc.problems) <= 11
        return
    assert letter.opd.strip() and letter.opd == letter.opd.strip()
    assert not any(ord(c) < 32 or c in "\u2028\u2029\u202e\x7f" for c in letter.opd)


@HYPO
@given(st.text(max_size=2000))
def test_any_yaml_text_parses_or_is_an_input_error(text: str) -> None:
    try:
        parse_yaml(text, "letter x")
    except InputError as exc:
        assert len(str(exc)) < 1000


@HYPO
@given(st.one_of(st.text(max_size=200), st.from_regex(r"PJB-20[0-9]{2}-[0-9]{4}", fullmatch=True)))
def test_request_ids_match_the_pattern_or_are_refused_briefly(rid: str) -> None:
    try:
        assert check_request_id(rid, "PJB") == rid
    except InputError as exc:
        assert len(str(exc)) < 200, str(exc)
        return
    assert rid.startswith("PJB-") and rid.isascii() and "/" not in rid and "\n" not in rid


@HYPO
@given(
    st.dictionaries(
        st.sampled_from(["latitude", "longitude", "devices"]),
        st.one_of(st.booleans(), st.integers(), st.floats(), st.text(max_size=5), st.none()),
        min_size=1,
    )
)
def test_form_numbers_are_never_booleans(patch: dict[str, Any]) -> None:
    where = {
        "latitude": "location.latitude",
        "longitude": "location.longitude",
        "devices": "equipment.devices",
    }
    doc = _form("PJB-2026-0001", **{where[k]: v for k, v in patch.items()})
    try:
        form = parse_form(doc)
    except NetprovError:
        return
    for k, v in patch.items():
        assert not isinstance(v, bool | str) and v is not None
        got = (
            form.location.latitude
            if k == "latitude"
            else form.location.longitude
            if k == "longitude"
            else form.equipment.devices
        )
        assert got == v and type(got) is type(v)
