"""The CLI a careful user can trust: fast imports, exit codes, an 80-column list, --mine, and a
NetBox that never answers (a loopback socket that accepts and stays silent; no lab, no network)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from netprov.errors import NetBoxError
from netprov.netbox.client import call, connect, describe
from tests.letters import distinct_letter_file

DATA = Path(__file__).parent.parent / "data"
NETPROV = str(Path(sys.executable).parent / "netprov")
HEAVY = ("sqlalchemy", "alembic", "napalm", "nornir", "pynetbox", "weasyprint", "zabbix_utils", "requests")


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers; counts what it accepted."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)  # held open, never read, never answered

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        for c in self.accepted:
            c.close()
        self.sock.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def test_importing_the_cli_loads_no_heavy_dependency() -> None:
    probe = f"import sys, netprov.cli.main; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_a_netbox_that_never_answers_times_out_saying_so(silent: SilentServer) -> None:
    api, _ = connect(silent.url, "token-not-shown", timeout=(1, 1))
    t0 = time.monotonic()
    with pytest.raises(NetBoxError) as err:
        call("counting sites", lambda: api.dcim.sites.count())
    assert time.monotonic() - t0 < 10  # one read timeout, not retried into minutes
    msg = str(err.value)
    assert "timed out" in msg and "did not answer" in msg and f"127.0.0.1:{silent.port}" in msg
    assert "token-not-shown" not in msg and "cannot connect" not in msg


def test_a_closed_port_is_refused_not_timed_out() -> None:
    api, _ = connect(f"http://127.0.0.1:{_closed_port()}", "t", timeout=(1, 1))
    with pytest.raises(NetBoxError) as err:
        call("counting sites", lambda: api.dcim.sites.count())
    assert "connection refused" in str(err.value)


def test_a_name_that_does_not_resolve_says_so() -> None:
    from urllib3.exceptions import MaxRetryError, NameResolutionError

    reason = NameResolutionError("netbox.example", None, socket.gaierror("Name or service not known"))  # type: ignore[arg-type]
    exc = requests.ConnectionError(MaxRetryError(None, "/api/", reason))  # type: ignore[arg-type]
    exc.request = requests.Request("GET", "http://netbox.example:8000/api/").prepare()
    assert describe(exc) == "cannot resolve the host name of netbox.example:8000"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    e["NETPROV_DATA_DIR"] = str(tmp_path / "data")
    e["NETPROV_LAB_DIR"] = str(tmp_path / "lab")
    e["COLUMNS"] = "80"
    return e


def _run(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NETPROV, *args], capture_output=True, text=True, env=env, timeout=timeout)


def _submit(env: dict[str, str], opd: str | None = None, tmp: Path | None = None) -> str:
    letter = DATA / "letter-intranet.yaml"
    if opd is None and tmp is not None:
        letter = distinct_letter_file(tmp)
    if opd is not None and tmp is not None:
        text = letter.read_text(encoding="utf-8").replace("opd: Dinas Pendidikan", f"opd: {opd}")
        letter = tmp / "letter-long.yaml"
        letter.write_text(text.replace("005/123", "006/123"), encoding="utf-8")
    proc = _run(env, "request", "submit", str(letter))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_check_asks_netbox_only_when_the_step_may_be_done(env: dict[str, str], silent: SilentServer) -> None:
    env = {
        **env,
        "NETPROV_NETBOX_URL": silent.url,
        "NETPROV_NETBOX_TOKEN": "t0ken",
        "NETPROV_NETBOX_TIMEOUT": "1",
    }
    rid = _submit(env)
    early = _run(env, "--as", "staff1", "request", "check", rid)  # not yet disposed nor assigned
    assert early.returncode == 1 and "cannot check a request that is received" in early.stderr
    assert silent.accepted == []  # refused before any remote call
    assert _run(env, "--as", "kadis", "request", "dispose", rid, "--to", "kabid").returncode == 0
    assert _run(env, "--as", "kabid", "request", "assign", rid, "--to", "staff1").returncode == 0
    t0 = time.monotonic()
    hung = _run(env, "--as", "staff1", "request", "check", rid, timeout=60)
    assert time.monotonic() - t0 < 30
    assert hung.returncode == 1 and "timed out" in hung.stderr and "Traceback" not in hung.stderr
    assert "t0ken" not in hung.stderr
    shown = json.loads(_run(env, "request", "show", rid, "--json").stdout)
    assert shown["state"] == "assigned"  # nothing recorded


def test_exit_codes_usage_2_and_documented(env: dict[str, str]) -> None:
    from netprov.cli.common import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, EXIT_USAGE

    assert len({EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CHANGES}) == 4
    typo = _run(env, "provision", "PJB-2026-0001", "--dry-runn")
    assert typo.returncode == EXIT_USAGE == 2 and "No such option" in typo.stderr
    helped = _run(env, "--help")
    assert helped.returncode == 0
    assert "3 --dry-run: changes pending" in " ".join(helped.stdout.split())
    assert "--install-completion" in helped.stdout and "--verbose" in helped.stdout


def test_list_at_80_columns_never_cuts_the_id(env: dict[str, str], tmp_path: Path) -> None:
    first = _submit(env)
    second = _submit(env, "Badan Perencanaan Pembangunan Daerah dan Penelitian dan Pengembangan", tmp_path)
    out = _run(env, "request", "list").stdout
    assert "…" not in out
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    assert any(line.startswith(first + " ") for line in lines) and any(
        line.startswith(second) for line in lines
    )
    words = " ".join(line[15:50] for line in lines)
    assert "Perencanaan" in words and "Pengembangan" in words  # long names wrap between words


def test_list_mine_is_what_waits_on_me_or_I_acted_on(env: dict[str, str], tmp_path: Path) -> None:
    a = _submit(env)
    b = _submit(env, tmp=tmp_path)
    assert _run(env, "--as", "kadis", "request", "dispose", a, "--to", "kabid").returncode == 0
    assert _run(env, "--as", "kabid", "request", "assign", a, "--to", "staff1").returncode == 0

    def mine(user: str) -> list[str]:
        proc = _run(env, "--as", user, "request", "list", "--mine", "--json")
        assert proc.returncode == 0, proc.stderr
        return [r["id"] for r in json.loads(proc.stdout)]

    assert mine("staff1") == [a]  # assigned to staff1
    assert mine("kadis") == [a, b]  # a: kadis acted (dispose); b waits on the kadis
    assert mine("staff2") == []
    no_user = _run(env, "request", "list", "--mine")
    assert no_user.returncode == 1 and "--as" in no_user.stderr


def test_the_run_log_masks_secrets_and_refuses_a_path_as_id(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from netprov.cli.provision import RunLog, _progress
    from netprov.errors import InputError
    from netprov.settings import load_settings

    settings = load_settings(
        data_dir=tmp_path / "data", lab_dir=tmp_path / "lab", netbox_token=SecretStr("nbT0k")
    )
    log = RunLog(settings, "PJB-2026-0001")
    report = _progress(log, quiet=True)
    report("push", "core1", "snmp-server community s3cr3t RO")
    report("netbox", "", "token nbT0k used for http://127.0.0.1:8001")
    log.close()
    text = log.path.read_text(encoding="utf-8")
    assert log.path.parent == tmp_path / "data" / "logs" and log.path.name.startswith("PJB-2026-0001-")
    assert "push core1: snmp-server community ********" in text
    assert "s3cr3t" not in text and "nbT0k" not in text
    for bad in ("../../x", "/tmp/x", "", "a" * 100, "PJB/1"):
        with pytest.raises(InputError, match="request id"):
            RunLog(settings, bad)
    assert sorted(p.name for p in (tmp_path / "data" / "logs").iterdir()) == [log.path.name]


def test_shell_completion_is_enabled(env: dict[str, str]) -> None:
    shown = _run(env, "--show-completion", "bash")
    assert shown.returncode == 0 and "_netprov_completion" in shown.stdout
    completing = {
        **env,
        "_NETPROV_COMPLETE": "complete_bash",
        "COMP_WORDS": "netprov request li",
        "COMP_CWORD": "2",
    }
    proc = subprocess.run([NETPROV], capture_output=True, text=True, env=completing, timeout=120)
    assert proc.stdout.split() == ["list"]


def test_verbose_and_quiet_together_is_a_usage_error(env: dict[str, str]) -> None:
    proc = _run(env, "--verbose", "--quiet", "request", "list")
    assert proc.returncode == 2 and "--verbose or --quiet" in proc.stderr
