"""Settings: ``NETPROV_*`` environment variables, an optional YAML file, then lab defaults.

Precedence (first wins): environment, the YAML file named by ``NETPROV_CONFIG`` (or
``<data dir>/netprov.yaml``), the state the local lab wrote when it came up
(``<lab dir>/state/*.json``), built-in defaults. Secrets are ``SecretStr`` and are read from
the environment or from files outside the repository (``*_file`` settings); they are never
printed.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from netprov.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "netprov"


def _read_secret_file(path: Path | None) -> SecretStr | None:
    if path is None:
        return None
    try:
        return SecretStr(path.read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise ConfigError(f"cannot read secret file {path}: {exc.strerror}") from exc


class Settings(BaseSettings):
    """Everything netprov can be told. Field ``foo`` is ``NETPROV_FOO`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="NETPROV_", extra="ignore")

    # --- register ---------------------------------------------------------------------
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    users_file: Path | None = None
    user: str | None = None
    timezone: str = "Asia/Jakarta"
    id_prefix: str = "PJB"

    # --- repository content --------------------------------------------------------------
    topology_file: Path = REPO_ROOT / "inventory" / "topology.yaml"
    inventory_dir: Path = REPO_ROOT / "inventory"
    templates_dir: Path = REPO_ROOT / "templates"
    playbooks_dir: Path = REPO_ROOT / "playbooks"

    # --- the local lab ---------------------------------------------------------------------
    lab_dir: Path = REPO_ROOT / ".lab"
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "netprov")

    # --- NetBox ----------------------------------------------------------------------------
    netbox_url: str | None = None
    netbox_token: SecretStr | None = None
    netbox_token_file: Path | None = None
    netbox_connect_timeout: float = Field(default=5.0, gt=0, le=300)  # seconds to connect
    netbox_timeout: float = Field(default=30.0, gt=0, le=3600)  # seconds to wait for an answer

    # --- devices ----------------------------------------------------------------------------
    device_username: str | None = None
    device_password: SecretStr | None = None
    device_password_file: Path | None = None
    device_key_file: Path | None = None
    commit_confirm_seconds: int = 300
    # per-device locks (in NetBox), held by a run from snapshot until its commits are confirmed
    # right after the push (``release``); ``device_locks_through_checks``: held on through the
    # checks and the first probe to the final ``confirm`` (slower: runs on a shared router then
    # wait for each other's checks). A lock outlives its holder's last renewal by the TTL; a run
    # waits this long for one device before giving up
    device_locks_through_checks: bool = False
    device_lock_ttl_seconds: int = Field(default=60, ge=10, le=3600)
    device_lock_wait_seconds: int = Field(default=900, ge=0, le=86400)
    # how long a push waits for another run's (or tool's) pending commit-confirm on a device
    commit_pending_wait_seconds: int = Field(default=330, ge=0, le=86400)
    # `provision ID ID ...` / `--ready`: how many requests' sagas run at once in one process
    # (mostly waiting on devices, NetBox and first probes, so more than the 2 cores here)
    batch_workers: int = Field(default=4, ge=1, le=64)
    # a batch's allocate, monitor-register and record-netbox as one call set (list-POSTs);
    # NETPROV_BATCH_GATHER=0: each request alone, as before (for measuring, or a way back)
    batch_gather: bool = True
    # monitor-register in bulk too (off: measured slower on the lab, every request's checks then
    # start together after the batch's last push)
    batch_gather_monitoring: bool = False
    # Temporal (optional scale-out): set the address and `provision` submits workflows that
    # `netprov worker` processes run; unset, the in-process engine runs step 7 itself
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_task_queue: str = "netprov-provision"
    # a worker silent this long (dead, hung, cut off) loses its run to another worker
    temporal_heartbeat_seconds: float = Field(default=15.0, ge=1.0, le=3600.0)
    lab_engine_port: int = Field(default=7233, ge=1, le=65535)  # `netprov lab up engine`
    lab_web_port: int = Field(default=8080, ge=1, le=65535)  # `netprov lab up web`, the demo's pages

    # --- monitoring -------------------------------------------------------------------------
    zabbix_url: str | None = None
    zabbix_token: SecretStr | None = None
    zabbix_token_file: Path | None = None
    prometheus_url: str | None = None
    prometheus_sd_dir: Path | None = None
    monitoring_wait_seconds: int = 120

    # --- documents --------------------------------------------------------------------------
    agency_name: str = "Dinas Komunikasi dan Informatika"
    agency_government: str = "Pemerintah Kota Batam"
    agency_address: str = "Jl. Engku Putri No. 1, Batam Centre, Batam 29461"
    agency_contact: str = "Telp. (0778) 000000 · diskominfo@batam.go.id"
    agency_city: str = "Batam"
    agency_logo_file: Path | None = None
    agency_code: str = "Kominfo-PE"
    letter_number_format: str = "{seq:03d}/{code}/{kind}/{roman_month}/{year}"

    # --- mail (`netprov notify`; mail is queued in the register whatever these say) --------
    smtp_host: str | None = None  # unset: mail stays queued, `notify` says SMTP is not set
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_password_file: Path | None = None
    smtp_timeout: float = Field(default=10.0, gt=0, le=300)
    smtp_ca_file: Path | None = None  # CA to trust for STARTTLS (default: the system's)
    mail_max_attempts: int = Field(default=12, ge=1, le=1000)  # then the mail is marked failed
    mail_retry_seconds: int = Field(default=60, ge=0, le=86400)  # first retry; doubles, at most 1 h
    mail_sender: str = "netprov@diskominfo.batam.test"
    mail_send_after_step: bool = True  # the CLI tries to send a step's mail at once (best effort)
    web_url: str = "http://127.0.0.1:8080"  # links in mail: {web_url}/requests/{id}

    @model_validator(mode="after")
    def _fill_from_files(self) -> Settings:
        if self.netbox_token is None:
            self.netbox_token = _read_secret_file(self.netbox_token_file)
        if self.zabbix_token is None:
            self.zabbix_token = _read_secret_file(self.zabbix_token_file)
        if self.device_password is None:
            self.device_password = _read_secret_file(self.device_password_file)
        if self.smtp_password is None:
            self.smtp_password = _read_secret_file(self.smtp_password_file)
        self._fill_from_lab_state()
        return self

    def _fill_from_lab_state(self) -> None:
        """Use what `netprov lab up` recorded for settings nobody gave explicitly."""
        state = lab_state(self.lab_dir)
        nb = state.get("netbox", {})
        if self.netbox_url is None and nb.get("url"):
            self.netbox_url = str(nb["url"])
            if self.netbox_token is None and nb.get("token_file"):
                self.netbox_token = _read_secret_file(Path(nb["token_file"]))
        dev = state.get("devices", {})
        if self.device_username is None and dev.get("username"):
            self.device_username = str(dev["username"])
            if self.device_key_file is None and dev.get("key_file"):
                self.device_key_file = Path(dev["key_file"])
        zbx = state.get("zabbix", {})
        if self.zabbix_url is None and zbx.get("url"):
            self.zabbix_url = str(zbx["url"])
            if self.zabbix_token is None and zbx.get("token_file"):
                self.zabbix_token = _read_secret_file(Path(zbx["token_file"]))
        prom = state.get("prometheus", {})
        if self.prometheus_url is None and prom.get("url"):
            self.prometheus_url = str(prom["url"])
            if self.prometheus_sd_dir is None and prom.get("sd_dir"):
                self.prometheus_sd_dir = Path(prom["sd_dir"])

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'register.sqlite3'}"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"


def lab_state(lab_dir: Path) -> dict[str, dict[str, Any]]:
    """What each lab part recorded when it came up: ``{part: {...}}`` from ``state/<part>.json``."""
    out: dict[str, dict[str, Any]] = {}
    state_dir = lab_dir / "state"
    if not state_dir.is_dir():
        return out
    for f in sorted(state_dir.glob("*.json")):
        try:
            out[f.stem] = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return out


def _yaml_overrides() -> dict[str, Any]:
    path = os.environ.get("NETPROV_CONFIG")
    if not path:
        return {}
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"NETPROV_CONFIG {p}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"NETPROV_CONFIG {p}: must be a mapping of setting names")
    return {k: v for k, v in data.items() if f"NETPROV_{k.upper()}" not in os.environ}


def load_settings(**overrides: Any) -> Settings:
    """Build settings from environment, config file and lab state; overrides win."""
    values = {**_yaml_overrides(), **overrides}
    try:
        return Settings(**values)
    except ValueError as exc:
        raise ConfigError(f"settings are invalid: {exc}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
