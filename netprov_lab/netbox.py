"""The NetBox lab part: NetBox 4.7.3 + PostgreSQL + Redis on loopback, idempotent.

``up`` installs what is missing (Debian packages, a Python 3.12 venv with NetBox), starts the
shared PostgreSQL cluster (never stopped again), Redis on 127.0.0.1:6379 when nothing answers
there, restores a cached migrated database dump (seconds) or migrates a new database once
(minutes) and caches the dump, ensures an admin user and a v2 API token, and serves NetBox with
gunicorn on 127.0.0.1:8001. ``down`` stops gunicorn (and Redis if ``up`` started it) and keeps
the venv, the dump and the database for a fast next start.

Layout::

    <cache dir>/netbox-4.7.3/venv                      NetBox's own venv (survives a fresh clone)
    <cache dir>/netbox-4.7.3/migrated.pgdump           pg_dump -Fc of a migrated, empty database
    <cache dir>/netbox-4.7.3/db-password  (0600)       the shared `netbox` role's password (per machine)
    <lab dir>/netbox/secrets.json   (0600)             SECRET_KEY, pepper, DB/admin passwords, token
    <lab dir>/netbox/token          (0600)             the v2 API token (the token file settings read)
    <lab dir>/netbox/root/conf/configuration.py        NetBox configuration (reads secrets.json)
    <lab dir>/netbox/*.log, gunicorn.pid, redis.pid
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import string
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netprov.errors import LabError
from netprov.settings import Settings
from netprov_lab import Progress, clear_state, require_root, write_state
from netprov_lab.proc import pid_alive, read_pid

NETBOX_VERSION = "4.7.3"
HOST = "127.0.0.1"
PORT = 8001
REDIS_PORT = 6379
PG_PORT = 5432
DB_NAME = "netbox"
DB_USER = "netbox"
ADMIN_USER = "admin"
TOKEN_DESCRIPTION = "netprov lab token"  # noqa: S105 (a description, not a secret)
PSYCOPG_OVERRIDE = "psycopg[binary,pool]==3.3.6"
WHITENOISE = "whitenoise>=6.6,<7"
READY_MARK = f"netprov lab: netbox {NETBOX_VERSION} migrated"
APT_TIMEOUT = 900


@dataclass(frozen=True)
class Paths:
    """Where the NetBox lab keeps its files."""

    lab: Path
    cache: Path

    @classmethod
    def of(cls, settings: Settings) -> Paths:
        return cls(lab=settings.lab_dir / "netbox", cache=settings.cache_dir / f"netbox-{NETBOX_VERSION}")

    @property
    def venv(self) -> Path:
        return self.cache / "venv"

    @property
    def dump(self) -> Path:
        return self.cache / "migrated.pgdump"

    @property
    def root(self) -> Path:
        return self.lab / "root"

    @property
    def conf(self) -> Path:
        return self.root / "conf" / "configuration.py"

    @property
    def secrets(self) -> Path:
        return self.lab / "secrets.json"

    @property
    def token(self) -> Path:
        return self.lab / "token"

    @property
    def gunicorn_pid(self) -> Path:
        return self.lab / "gunicorn.pid"

    @property
    def redis_pid(self) -> Path:
        return self.lab / "redis.pid"

    @property
    def redis_marker(self) -> Path:
        return self.lab / "redis.started-by-netprov"


URL = f"http://{HOST}:{PORT}"


# ------------------------------------------------------------------------------ small helpers


def _run(
    cmd: list[str],
    *,
    log: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    what: str,
    timeout: float = 1800,
) -> str:
    """Run a command; on failure raise LabError naming ``what`` and the log file."""
    full_env = {**os.environ, **(env or {})}
    try:
        proc = subprocess.run(
            cmd,
            input=stdin,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise LabError(f"{what}: command not found: {cmd[0]}") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"{what}: timed out after {timeout:.0f} s") from exc
    if log is not None:
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        where = f" (see {log})" if log is not None else ""
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise LabError(f"{what} failed (exit {proc.returncode}){where}: {' | '.join(tail)}")
    return proc.stdout


def _port_open(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _redis_ping(port: int = REDIS_PORT) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _pid_alive(pid_file: Path) -> int | None:
    pid = read_pid(pid_file)
    return pid if pid is not None and pid_alive(pid) else None


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    tmp.replace(path)


def _random(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


# ------------------------------------------------------------------------------ prerequisites


def _apt_install(packages: list[str], paths: Paths, progress: Progress) -> None:
    if not packages:
        return
    progress(f"apt-get install {' '.join(packages)}")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    log = paths.lab / "apt.log"
    base = ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_TIMEOUT}"]
    install = [*base, "install", "-y", "-q", "--no-install-recommends", "--no-upgrade", *packages]
    try:
        _run(install, log=log, env=env, what="apt-get install")
    except LabError:
        _run([*base, "update", "-q"], log=log, env=env, what="apt-get update")
        _run(install, log=log, env=env, what="apt-get install")


def _ensure_packages(paths: Paths, progress: Progress) -> None:
    need = []
    if not shutil.which("pg_ctlcluster") or not shutil.which("pg_restore"):
        need.append("postgresql")
    if not shutil.which("redis-server"):
        need.append("redis-server")
    _apt_install(need, paths, progress)


def _python312() -> str:
    """A Python >= 3.12 interpreter for NetBox's venv, or LabError."""
    candidates: list[str] = []
    if os.environ.get("NETPROV_NETBOX_PYTHON"):
        candidates.append(os.environ["NETPROV_NETBOX_PYTHON"])
    if shutil.which("pyenv"):
        for ver, exe in (("3.12.1", "python3.12"), ("3.12", "python3.12"), ("3.13.0", "python3.13")):
            try:
                out = subprocess.run(
                    ["pyenv", "which", exe],
                    capture_output=True,
                    text=True,
                    check=False,
                    env={**os.environ, "PYENV_VERSION": ver},
                    timeout=30,
                )
            except (OSError, subprocess.TimeoutExpired):
                continue
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(out.stdout.strip())
    for exe in ("python3.12", "python3.13"):
        found = shutil.which(exe)
        if found:
            candidates.append(found)
    for cand in candidates:
        try:
            out = subprocess.run(
                [cand, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                capture_output=True,
                text=True,
                check=False,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == "True":
            return cand
    raise LabError(
        "NetBox 4.7 needs Python >= 3.12 and none was found: install python3.12 (or pyenv "
        "3.12) or name one with NETPROV_NETBOX_PYTHON"
    )


def _uv(paths: Paths, progress: Progress) -> str:
    found = shutil.which("uv")
    if found:
        try:
            subprocess.run([found, "--version"], capture_output=True, check=True, timeout=30)
            return found
        except (OSError, subprocess.SubprocessError):
            pass
    tool = paths.cache / "uvtool"
    uv = tool / "bin" / "uv"
    if not uv.exists():
        progress("installing uv (from PyPI) for the NetBox venv")
        py = _python312()
        _run([py, "-m", "venv", str(tool)], what="python -m venv (uv)")
        _run(
            [str(tool / "bin" / "pip"), "install", "-q", "uv"],
            log=paths.lab / "pip.log",
            what="pip install uv",
        )
    return str(uv)


def _netbox_version(paths: Paths) -> str | None:
    exe = paths.venv / "bin" / "python"
    if not exe.exists():
        return None
    try:
        out = subprocess.run(
            [str(exe), "-c", "import importlib.metadata as m; print(m.version('netbox'))"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _has_whitenoise(paths: Paths) -> bool:
    return any(paths.venv.glob("lib/python3*/site-packages/whitenoise/__init__.py"))


def _ensure_venv(paths: Paths, progress: Progress) -> None:
    if _netbox_version(paths) == NETBOX_VERSION and (paths.venv / "bin" / "gunicorn").exists():
        if not _has_whitenoise(paths):
            progress("installing whitenoise (serves the web UI's static files)")
            _run(
                [_uv(paths, progress), "pip", "install", "-q", WHITENOISE],
                log=paths.lab / "pip.log",
                env={"VIRTUAL_ENV": str(paths.venv)},
                what="installing whitenoise",
            )
        return
    py = _python312()
    uv = _uv(paths, progress)
    progress(f"installing NetBox {NETBOX_VERSION} into {paths.venv} with uv (binary psycopg)")
    paths.cache.mkdir(parents=True, exist_ok=True)
    overrides = paths.cache / "uv-overrides.txt"
    overrides.write_text(PSYCOPG_OVERRIDE + "\n", encoding="utf-8")
    log = paths.lab / "pip.log"
    if not (paths.venv / "bin" / "python").exists():
        _run([uv, "venv", "-q", "-p", py, str(paths.venv)], log=log, what="uv venv")
    _run(
        [
            uv,
            "pip",
            "install",
            "-q",
            "--compile-bytecode",
            "--override",
            str(overrides),
            f"netbox=={NETBOX_VERSION}",
            WHITENOISE,
        ],
        log=log,
        env={"VIRTUAL_ENV": str(paths.venv)},
        what=f"installing netbox=={NETBOX_VERSION}",
    )
    if _netbox_version(paths) != NETBOX_VERSION:
        raise LabError(f"NetBox venv at {paths.venv} does not hold netbox {NETBOX_VERSION}")


# ------------------------------------------------------------------------------ secrets + config


def _db_password(paths: Paths, current: str | None) -> str:
    """The ``netbox`` role's password: one per machine (the role and database are shared by
    every checkout), kept 0600 beside the NetBox venv."""
    f = paths.cache / "db-password"
    with contextlib.suppress(OSError):
        value = f.read_text(encoding="utf-8").strip()
        if value:
            return value
    value = current or _random(32)
    _write_private(f, value + "\n")
    return value


def _secrets(paths: Paths) -> dict[str, str]:
    """Lab secrets, generated once and kept 0600 under the lab dir."""
    keys = ("secret_key", "pepper", "db_password", "admin_password", "token_key", "token_secret")
    data: dict[str, str] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(paths.secrets.read_text(encoding="utf-8"))
        if isinstance(loaded, dict) and all(k in loaded for k in keys):
            data = {str(k): str(v) for k, v in loaded.items()}
    if not data:
        data = {
            "secret_key": _random(60),
            "pepper": _random(60),
            "db_password": "",
            "admin_password": _random(24),
            "token_key": _random(12, string.ascii_lowercase + string.digits),
            "token_secret": _random(40),
        }
        paths.token.unlink(missing_ok=True)
    password = _db_password(paths, data["db_password"] or None)
    if data["db_password"] != password or not paths.secrets.exists():
        data["db_password"] = password
        _write_private(paths.secrets, json.dumps(data, indent=2))
    return data


def _token(sec: dict[str, str]) -> str:
    return f"nbt_{sec['token_key']}.{sec['token_secret']}"


CONFIG_TEMPLATE = """\
# NetBox {version} lab configuration written by netprov (netprov_lab/netbox.py).
# Secrets are read from {secrets} (mode 0600), never written here.
import json

with open({secrets!r}, encoding="utf-8") as _fh:
    _S = json.load(_fh)

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {{
    "default": {{
        "NAME": "{db}", "USER": "{user}", "PASSWORD": _S["db_password"],
        "HOST": "127.0.0.1", "PORT": "{pg_port}", "CONN_MAX_AGE": 300,
    }}
}}
REDIS = {{
    "tasks": {{"HOST": "127.0.0.1", "PORT": {redis_port}, "DATABASE": 0, "SSL": False}},
    "caching": {{"HOST": "127.0.0.1", "PORT": {redis_port}, "DATABASE": 1, "SSL": False}},
}}
SECRET_KEY = _S["secret_key"]
API_TOKEN_PEPPERS = {{1: _S["pepper"]}}
CENSUS_REPORTING_ENABLED = False
ISOLATED_DEPLOYMENT = True
RELEASE_CHECK_URL = None
TIME_ZONE = "UTC"
"""


def _write_config(paths: Paths) -> None:
    text = CONFIG_TEMPLATE.format(
        version=NETBOX_VERSION,
        secrets=str(paths.secrets),
        db=DB_NAME,
        user=DB_USER,
        pg_port=PG_PORT,
        redis_port=REDIS_PORT,
    )
    (paths.root / "conf").mkdir(parents=True, exist_ok=True)
    (paths.root / "conf" / "__init__.py").touch()
    if not paths.conf.exists() or paths.conf.read_text(encoding="utf-8") != text:
        paths.conf.write_text(text, encoding="utf-8")


WSGI_WRAPPER = '''\
"""NetBox's WSGI app with its static files served by WhiteNoise (written by netprov)."""
import os

from netbox.wsgi import application as _netbox
from whitenoise import WhiteNoise

application = WhiteNoise(_netbox, root=os.path.join(os.environ["NETBOX_ROOT"], "static"),
                         prefix="static/")
'''


def _ensure_static(paths: Paths, progress: Progress) -> None:
    """Collect NetBox's static files once per machine (cache dir) and link them in."""
    static = paths.cache / "static"
    marker = static / f".collected-{NETBOX_VERSION}"
    link = paths.root / "static"
    if not link.is_symlink() or link.resolve() != static.resolve():
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.is_dir():
            shutil.rmtree(link)
        static.mkdir(parents=True, exist_ok=True)
        link.symlink_to(static, target_is_directory=True)
    if not marker.exists():
        progress("collecting the web UI's static files (once per machine)")
        _run(
            [str(paths.venv / "bin" / "netbox"), "collectstatic", "--no-input"],
            log=paths.lab / "collectstatic.log",
            env=_nb_env(paths),
            what="netbox collectstatic",
        )
        marker.write_text(NETBOX_VERSION, encoding="utf-8")
    wrapper = paths.root / "netprov_wsgi.py"
    if not wrapper.exists() or wrapper.read_text(encoding="utf-8") != WSGI_WRAPPER:
        wrapper.write_text(WSGI_WRAPPER, encoding="utf-8")


def _nb_env(paths: Paths) -> dict[str, str]:
    return {"NETBOX_ROOT": str(paths.root)}


# ------------------------------------------------------------------------------ PostgreSQL, Redis


def _psql_su(sql: str, *, db: str = "postgres", what: str) -> str:
    """Run SQL as the postgres superuser over the local socket (SQL on stdin, not argv)."""
    return _run(
        ["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db],
        stdin=sql,
        what=what,
    )


def _ensure_postgres(paths: Paths, progress: Progress) -> None:
    out = _run(["pg_lsclusters", "-h"], what="pg_lsclusters")
    rows = [line.split() for line in out.splitlines() if line.strip()]
    if not rows:
        progress("creating PostgreSQL cluster")
        ver = sorted(p.name for p in Path("/usr/lib/postgresql").iterdir())[-1]
        _run(["pg_createcluster", ver, "main"], what="pg_createcluster")
        rows = [[ver, "main", str(PG_PORT), "down"]]
    ver, cluster, status = rows[0][0], rows[0][1], rows[0][3]
    if status != "online":
        progress(f"starting PostgreSQL {ver}/{cluster}")
        subprocess.run(["pg_ctlcluster", ver, cluster, "start"], capture_output=True, check=False)
    for _ in range(150):
        if _port_open(PG_PORT):
            ready = subprocess.run(["pg_isready", "-q", "-h", HOST, "-p", str(PG_PORT)], check=False)
            if ready.returncode == 0:
                return
        time.sleep(0.1)
    raise LabError(f"PostgreSQL is not accepting connections on {HOST}:{PG_PORT}")


def _ensure_redis(paths: Paths, progress: Progress) -> None:
    if _redis_ping():
        return
    if _port_open(REDIS_PORT):
        raise LabError(f"port {REDIS_PORT} is taken by something that is not Redis")
    progress(f"starting redis-server on {HOST}:{REDIS_PORT}")
    _run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--port",
            str(REDIS_PORT),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--pidfile",
            str(paths.redis_pid),
            "--logfile",
            str(paths.lab / "redis.log"),
            "--dir",
            str(paths.lab),
        ],
        what="redis-server",
    )
    paths.redis_marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S"), encoding="utf-8")
    for _ in range(50):
        if _redis_ping():
            return
        time.sleep(0.1)
    raise LabError(f"redis-server did not answer on {HOST}:{REDIS_PORT}")


def _redis_flush_cache_db() -> None:
    """Drop NetBox's cache (Redis DB 1) after the database was replaced."""
    try:
        with socket.create_connection((HOST, REDIS_PORT), timeout=2) as s:
            s.sendall(b"SELECT 1\r\nFLUSHDB\r\n")
            s.recv(64)
    except OSError:
        pass


def _db_state() -> tuple[bool, str, bool]:
    """(database exists, its comment, has django_migrations)."""
    exists = (
        _psql_su(
            f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'",  # noqa: S608
            what="psql",
        ).strip()
        == "1"
    )
    if not exists:
        return False, "", False
    comment = "coalesce(shobj_description(oid, 'pg_database'), '')"
    mark_sql = f"SELECT {comment} FROM pg_database WHERE datname = '{DB_NAME}'"  # noqa: S608
    mark = _psql_su(mark_sql, what="psql").strip()
    schema = (
        _psql_su(
            "SELECT to_regclass('public.django_migrations') IS NOT NULL", db=DB_NAME, what="psql"
        ).strip()
        == "t"
    )
    return True, mark, schema


def _pg_env(sec: dict[str, str]) -> dict[str, str]:
    return {"PGPASSWORD": sec["db_password"], "PGHOST": HOST, "PGPORT": str(PG_PORT), "PGUSER": DB_USER}


def _ensure_database(paths: Paths, sec: dict[str, str], progress: Progress) -> bool:
    """Make sure database ``netbox`` is migrated. Returns True when it was (re)created."""
    pw = sec["db_password"].replace("'", "''")
    try:
        _psql_su(
            f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DB_USER}') THEN "
            f"CREATE ROLE {DB_USER} LOGIN CREATEDB; END IF; END$$;\n"
            f"ALTER ROLE {DB_USER} WITH LOGIN CREATEDB PASSWORD '{pw}';",
            what="creating the netbox database role",
        )
    except LabError:  # psql may echo the statement: never show the password
        raise LabError(
            f"creating or updating PostgreSQL role {DB_USER!r} failed "
            f"(run: runuser -u postgres -- psql -c '\\du')"
        ) from None
    exists, mark, schema = _db_state()
    if mark == READY_MARK:
        return False
    _redis_flush_cache_db()
    log = paths.lab / "db.log"
    env = _pg_env(sec)
    if exists and schema:
        progress(f"database {DB_NAME} exists but is not marked migrated: migrating in place")
        _migrate(paths, progress)
    elif paths.dump.exists() and paths.dump.stat().st_size > 0:
        progress(f"restoring the migrated database from {paths.dump}")
        _psql_su(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", what="drop database")
        _psql_su(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}", what="create database")
        _run(
            [
                "pg_restore",
                "-d",
                DB_NAME,
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                str(paths.dump),
            ],
            log=log,
            env=env,
            what="pg_restore",
        )
    else:
        if not exists:
            _psql_su(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}", what="create database")
        _migrate(paths, progress)
        progress(f"saving the migrated database to {paths.dump} for fast restarts")
        paths.cache.mkdir(parents=True, exist_ok=True)
        tmp = paths.dump.with_name(paths.dump.name + ".tmp")
        _run(["pg_dump", "-Fc", "-f", str(tmp), DB_NAME], log=log, env=env, what="pg_dump")
        tmp.replace(paths.dump)
    _psql_su(f"COMMENT ON DATABASE {DB_NAME} IS '{READY_MARK}'", what="marking the database")
    return True


def _migrate(paths: Paths, progress: Progress) -> None:
    progress("running NetBox migrations (slow: about 4-5 minutes, once per machine)")
    _run(
        [str(paths.venv / "bin" / "netbox"), "migrate", "--no-input"],
        log=paths.lab / "migrate.log",
        env=_nb_env(paths),
        what="netbox migrate",
    )


ADMIN_SCRIPT = """\
import json
from users.models import User, Token
with open({secrets!r}, encoding="utf-8") as fh:
    s = json.load(fh)
u, created = User.objects.get_or_create(username={admin!r},
                                        defaults={{"is_superuser": True, "is_active": True}})
if created or not u.check_password(s["admin_password"]):
    u.is_superuser = True
    u.set_password(s["admin_password"])
    u.save()
if not Token.objects.filter(key=s["token_key"]).exists():
    t = Token(user=u, version=2, key=s["token_key"], token=s["token_secret"], description={desc!r})
    t.full_clean()
    t.save()
print("netprov-admin-ok")
"""


def _ensure_admin_and_token(paths: Paths, progress: Progress) -> None:
    progress("creating the admin user and the API token")
    script = ADMIN_SCRIPT.format(secrets=str(paths.secrets), admin=ADMIN_USER, desc=TOKEN_DESCRIPTION)
    out = _run(
        [str(paths.venv / "bin" / "netbox"), "shell"],
        stdin=script,
        env=_nb_env(paths),
        what="creating the NetBox admin and token",
        log=paths.lab / "admin.log",
    )
    if "netprov-admin-ok" not in out:
        raise LabError(f"creating the NetBox admin and token failed (see {paths.lab / 'admin.log'})")


# ------------------------------------------------------------------------------ gunicorn + HTTP


def _api_status(token: str | None, timeout: float = 5) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(f"{URL}/api/status/")  # noqa: S310 (fixed loopback URL)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Accept", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            body = json.loads(resp.read().decode("utf-8"))
            return int(resp.status), body if isinstance(body, dict) else {}
    except urllib.error.HTTPError as exc:
        return int(exc.code), {}
    except (urllib.error.URLError, OSError, ValueError):
        return 0, {}


def _start_gunicorn(paths: Paths, progress: Progress) -> subprocess.Popen[bytes] | None:
    if _pid_alive(paths.gunicorn_pid):
        return None
    if _port_open(PORT):
        raise LabError(f"port {PORT} on {HOST} is taken by another program: stop it first")
    progress(f"starting gunicorn on {URL}")
    paths.gunicorn_pid.unlink(missing_ok=True)
    out = (paths.lab / "gunicorn.out").open("ab")
    try:
        return subprocess.Popen(
            [
                str(paths.venv / "bin" / "gunicorn"),
                "netprov_wsgi:application",
                "--pythonpath",
                str(paths.root),
                "--bind",
                f"{HOST}:{PORT}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--keep-alive",
                "30",
                "--no-control-socket",
                "--preload",
                "--pid",
                str(paths.gunicorn_pid),
                "--error-logfile",
                str(paths.lab / "gunicorn.log"),
                "--access-logfile",
                str(paths.lab / "gunicorn-access.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            env={**os.environ, **_nb_env(paths)},
            cwd=str(paths.lab),
        )
    finally:
        out.close()


def _wait_http(paths: Paths, token: str, proc: subprocess.Popen[bytes] | None) -> int:
    code = 0
    for _ in range(1200):
        code, _body = _api_status(token, timeout=2)
        if code in (200, 401, 403):
            return code
        if proc is not None and proc.poll() is not None:
            raise LabError(f"gunicorn exited during startup (see {paths.lab / 'gunicorn.log'})")
        time.sleep(0.1)
    raise LabError(f"NetBox did not answer on {URL} within 120 s (last HTTP {code})")


# ------------------------------------------------------------------------------ the part contract


def up(settings: Settings, progress: Progress) -> dict[str, object]:
    """Bring NetBox up (idempotent); return its status including url, token_file and token."""
    require_root("netprov lab up netbox")
    paths = Paths.of(settings)
    paths.lab.mkdir(parents=True, exist_ok=True)
    if not _pid_alive(paths.gunicorn_pid) and _port_open(PORT):
        raise LabError(f"port {PORT} on {HOST} is taken by another program: stop it first")
    _ensure_packages(paths, progress)
    _ensure_postgres(paths, progress)
    _ensure_redis(paths, progress)
    _ensure_venv(paths, progress)
    sec = _secrets(paths)
    _write_config(paths)
    _ensure_static(paths, progress)
    fresh = _ensure_database(paths, sec, progress)
    token = _token(sec)
    if fresh:
        _ensure_admin_and_token(paths, progress)
    proc = _start_gunicorn(paths, progress)
    code = _wait_http(paths, token, proc)
    if code != 200:
        _ensure_admin_and_token(paths, progress)
        code, _ = _api_status(token)
        if code != 200:
            raise LabError(f"NetBox refuses the lab token (HTTP {code}); see {paths.lab}")
    _write_private(paths.token, token + "\n")
    write_state(settings.lab_dir, "netbox", {"url": URL, "token_file": str(paths.token)})
    progress(f"NetBox {NETBOX_VERSION} is up at {URL}")
    result = status(settings)
    result["token"] = token  # the documented exception: `lab up` prints the lab-only token
    return result


def down(settings: Settings, progress: Progress) -> None:
    """Stop gunicorn (and Redis if ``up`` started it); keep venv, dump and database."""
    paths = Paths.of(settings)
    _stop(paths.gunicorn_pid, "gunicorn", progress)
    if paths.redis_marker.exists():
        _stop(paths.redis_pid, "redis-server", progress)
        paths.redis_marker.unlink(missing_ok=True)
    clear_state(settings.lab_dir, "netbox")


def _stop(pid_file: Path, name: str, progress: Progress) -> None:
    pid = _pid_alive(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return
    progress(f"stopping {name} (pid {pid})")
    os.kill(pid, 15)
    for _ in range(300):
        if _pid_alive(pid_file) is None:
            break
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
    pid_file.unlink(missing_ok=True)


def status(settings: Settings) -> dict[str, object]:
    """Up or down, URL, version, token file; never raises for a NetBox that is down."""
    paths = Paths.of(settings)
    token = None
    with contextlib.suppress(OSError):
        token = paths.token.read_text(encoding="utf-8").strip() or None
    pid = _pid_alive(paths.gunicorn_pid)
    code, body = _api_status(token, timeout=3) if pid else (0, {})
    return {
        "state": "up" if code == 200 else ("starting" if pid else "down"),
        "url": URL,
        "version": str(body.get("netbox-version", "")) if body else "",
        "token_file": str(paths.token),
        "pid": pid,
        "venv": str(paths.venv),
        "dump_cached": paths.dump.exists(),
    }
