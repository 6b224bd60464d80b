"""A throwaway PostgreSQL database on the machine's Debian cluster (started if needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

ROLE = "netprov_test"
PASSWORD = "netprov_test"


def _psql(sql: str) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-XqAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
        cwd="/",
    )


def ensure_cluster() -> None:
    if shutil.which("pg_ctlcluster") is None:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"],
            check=True,
            capture_output=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    subprocess.run(["pg_ctlcluster", "15", "main", "start"], capture_output=True, check=False)
    for _ in range(100):
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not start")


def create_database() -> tuple[str, str]:
    """Returns (url, name) of a new empty database owned by the test role."""
    ensure_cluster()
    _psql(
        f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='{ROLE}') THEN "
        f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'; END IF; END$$;"
    )
    name = f"netprov_test_{uuid.uuid4().hex[:8]}"
    _psql(f"CREATE DATABASE {name} OWNER {ROLE}")
    return f"postgresql+psycopg://{ROLE}:{PASSWORD}@127.0.0.1:5432/{name}", name


def drop_database(name: str) -> None:
    _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
