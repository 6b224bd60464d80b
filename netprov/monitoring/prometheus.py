"""Prometheus backend: one file_sd target file per link for the blackbox exporter's ICMP probe.

``<sd dir>/<request-id>.json`` holds one target group (the address to ping) with labels for the
request id, department, site, service, bandwidth, circuit and device. Files are written
atomically (a temp name in the same directory that does not match ``*.json``, mode 0644,
``os.replace``); Prometheus picks changes up by itself (no reload: 2.42 keeps deleted targets
after a reload). ``status`` reads ``probe_success`` from the query API.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from netprov.errors import MonitoringError
from netprov.monitoring.base import (
    MonitoredLink,
    ProbeStatus,
    Registration,
    check_request_id,
)
from netprov.monitoring.identity import conflict, foreign_owner, not_ours, stamp

METRIC = "probe_success"


def target_groups(link: MonitoredLink, register_id: str = "") -> list[dict[str, Any]]:
    """The file_sd content for one link (labelled with the register's identity, if any)."""
    return [{"targets": [str(link.address)], "labels": stamp(link.labels(), register_id)}]


class PrometheusBackend:
    """A :class:`~netprov.monitoring.base.MonitoringBackend` on Prometheus file_sd + blackbox."""

    def __init__(
        self,
        sd_dir: Path,
        url: str | None = None,
        timeout: float = 10.0,
        poll_interval: float = 1.0,
        register_id: str = "",
    ) -> None:
        self.sd_dir = Path(sd_dir)
        self.register_id = register_id  # a target file labelled by another register is not ours
        self.url = url.rstrip("/") if url else None
        self.timeout = timeout
        self.poll_interval = poll_interval

    @property
    def name(self) -> str:
        return "prometheus"

    def __repr__(self) -> str:
        return f"PrometheusBackend(sd_dir={str(self.sd_dir)!r}, url={self.url!r})"

    def target_file(self, request_id: str) -> Path:
        return self.sd_dir / f"{check_request_id(request_id)}.json"

    # --- registration (files) ----------------------------------------------------------------

    def register(self, link: MonitoredLink) -> Registration:
        if not self.sd_dir.is_dir():
            raise MonitoringError(
                f"Prometheus file_sd directory {self.sd_dir} does not exist "
                "(NETPROV_PROMETHEUS_SD_DIR); run `netprov lab up monitoring` for the lab"
            )
        path = self.target_file(link.request_id)
        owner = self._owner(link.request_id)
        if owner is not None:
            raise conflict(link.request_id, f"Prometheus target file {path}", owner, self.register_id)
        created = not path.exists()
        groups = target_groups(link, self.register_id)
        content = json.dumps(groups, indent=2, ensure_ascii=False) + "\n"
        try:
            fd, tmp = tempfile.mkstemp(dir=self.sd_dir, prefix=f".{link.request_id}.", suffix=".tmp")
        except OSError as exc:
            raise MonitoringError(f"cannot write target files in {self.sd_dir}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            Path(tmp).chmod(0o644)
            Path(tmp).replace(path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise MonitoringError(f"cannot write target file {path}: {exc.strerror}") from None
        return self._registration(link.request_id, groups, created)

    def _registration(self, request_id: str, groups: list[dict[str, Any]], created: bool) -> Registration:
        group = groups[0] if groups else {"targets": [], "labels": {}}
        targets = [str(t) for t in group.get("targets", [])]
        return Registration(
            backend=self.name,
            request_id=request_id,
            created=created,
            ids={"file": str(self.target_file(request_id))},
            address=targets[0] if targets else None,
            labels={str(k): str(v) for k, v in (group.get("labels") or {}).items()},
        )

    def _groups(self, request_id: str) -> list[dict[str, Any]] | None:
        path = self.target_file(request_id)
        try:
            return list(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise MonitoringError(f"target file {path} is unreadable: {exc}") from None

    def _owner(self, request_id: str) -> str | None:
        """The other register whose target file this is (``None``: ours, unstamped or absent)."""
        groups = self._groups(request_id)
        labels = (groups[0].get("labels") or {}) if groups else {}
        return foreign_owner({str(k): str(v) for k, v in labels.items()}, self.register_id)

    def find(self, request_id: str) -> Registration | None:
        """The link's target file, unless another register made it."""
        groups = self._groups(request_id)
        if groups is None or self._owner(request_id) is not None:
            return None
        return self._registration(request_id, groups, created=False)

    def deregister(self, request_id: str) -> bool:
        """Remove the link's target file (never another register's)."""
        path = self.target_file(request_id)
        if self._owner(request_id) is not None:
            return False
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise MonitoringError(f"cannot remove target file {path}: {exc.strerror}") from None
        return True

    # --- status (query API) --------------------------------------------------------------------

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query; the result vector (or matrix) as Prometheus returns it."""
        if not self.url:
            raise MonitoringError(
                "the Prometheus URL is not set (NETPROV_PROMETHEUS_URL): cannot read probe results"
            )
        try:
            resp = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=self.timeout)
        except requests.Timeout:
            raise MonitoringError(
                f"Prometheus at {self.url} did not answer within {self.timeout:.0f}s"
            ) from None
        except requests.RequestException as exc:
            raise MonitoringError(
                f"Prometheus at {self.url} is not reachable ({type(exc).__name__}); is it up "
                "(`netprov lab status`)?"
            ) from None
        try:
            data = resp.json()
        except ValueError:
            data = {}
        if resp.status_code != 200 or data.get("status") != "success":
            raise MonitoringError(
                f"Prometheus at {self.url} refused the query {promql!r}: "
                f"HTTP {resp.status_code} {data.get('error', '')}".strip()
            )
        return list(data.get("data", {}).get("result", []))

    def status(self, request_id: str, wait_seconds: float = 0.0, until_up: bool = True) -> ProbeStatus:
        """``probe_success`` for the link; waits for the target's first sample (and for up)."""
        t0 = time.monotonic()
        deadline = t0 + max(0.0, wait_seconds)
        selector = f'{METRIC}{{request_id="{check_request_id(request_id)}"}}'
        if not self.target_file(request_id).exists():
            # samples of a removed target linger until Prometheus drops it: not a status
            return ProbeStatus(
                backend=self.name,
                request_id=request_id,
                up=None,
                detail="not registered in Prometheus (no target file)",
            )
        owner = self._owner(request_id)
        if owner is not None:
            return ProbeStatus(
                backend=self.name,
                request_id=request_id,
                up=None,
                detail="not registered in Prometheus by this register: "
                + not_ours(request_id, "the target file", owner, self.register_id),
            )
        while True:
            result = self.query(selector)
            waited = round(time.monotonic() - t0, 1)
            if result:
                ts, raw = result[0]["value"]
                value = float(raw)
                up = value >= 1.0
                if up or not until_up or time.monotonic() >= deadline:
                    return ProbeStatus(
                        backend=self.name,
                        request_id=request_id,
                        up=up,
                        since=self._since(selector, raw),
                        last_value=value,
                        last_checked=dt.datetime.fromtimestamp(float(ts), tz=dt.UTC),
                        waited_seconds=waited,
                        detail=f"{METRIC}={raw}: "
                        + (
                            "answers ping from the blackbox exporter in the probe namespace"
                            if up
                            else "no ping reply in the probe namespace"
                        ),
                    )
            elif time.monotonic() >= deadline:
                return ProbeStatus(
                    backend=self.name,
                    request_id=request_id,
                    up=None,
                    waited_seconds=waited,
                    detail=f"no {METRIC} sample yet after {wait_seconds:.0f}s",
                )
            time.sleep(min(self.poll_interval, max(0.05, deadline - time.monotonic())))

    def _since(self, selector: str, value: str) -> dt.datetime | None:
        """Start of the current run of equal samples within the last hour."""
        try:
            result = self.query(f"{selector}[1h]")
        except MonitoringError:
            return None
        if not result:
            return None
        since: float | None = None
        for ts, raw in reversed(result[0].get("values", [])):
            if raw != value:
                break
            since = float(ts)
        return dt.datetime.fromtimestamp(since, tz=dt.UTC) if since is not None else None
