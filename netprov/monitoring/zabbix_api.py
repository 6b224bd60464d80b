"""The Zabbix API client under the backend: calls, scrubbed errors, host and group lookups.

Talks to the API through ``zabbix-utils`` with an API token (6.0 takes it in the JSON ``auth``
field, which zabbix-utils does for versions below 6.4). Every API failure becomes a
:class:`~netprov.errors.MonitoringError` whose message never contains the token.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr
from zabbix_utils import ZabbixAPI
from zabbix_utils.exceptions import APIRequestError, ModuleBaseException

from netprov.errors import MonitoringError
from netprov.monitoring.zabbix_data import GROUP_PREFIX, TEMPLATE_NAME


class ZabbixClient:
    """One Zabbix server reached with one API token (connected on first use)."""

    def __init__(
        self,
        url: str,
        token: SecretStr | str,
        timeout: int = 15,
        poll_interval: float = 1.0,
        register_id: str = "",
    ) -> None:
        self.url = url.rstrip("/")
        self.register_id = register_id  # stamped as a host tag; other registers' hosts are not ours
        self._token = token.get_secret_value() if isinstance(token, SecretStr) else token
        self.timeout = timeout
        self.poll_interval = poll_interval
        self._api: ZabbixAPI | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r})"

    # --- API plumbing --------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _error(self, action: str, exc: BaseException) -> MonitoringError:
        if isinstance(exc, APIRequestError):
            message = str(getattr(exc, "message", "") or "").strip()
            data = str(getattr(exc, "data", "") or "").strip()
            raw = f"{message} {data}".strip() or str(exc)
            if "not authorized" in raw.lower() or "session terminated" in raw.lower():
                return MonitoringError(
                    self._scrub(
                        f"Zabbix at {self.url} refused the API token while trying to {action} "
                        "(Not authorized): set a valid NETPROV_ZABBIX_TOKEN / "
                        "NETPROV_ZABBIX_TOKEN_FILE, or run `netprov lab up monitoring` for the lab"
                    )
                )
            return MonitoringError(self._scrub(f"Zabbix at {self.url} refused to {action}: {raw}"))
        if isinstance(exc, TimeoutError):
            return MonitoringError(
                f"Zabbix at {self.url} did not answer within {self.timeout}s while trying to {action}"
            )
        reason = self._scrub(" ".join(str(a) for a in getattr(exc, "args", ()) if a) or str(exc))
        return MonitoringError(
            f"Zabbix API at {self.url} is not reachable while trying to {action} "
            f"({type(exc).__name__}: {reason}); is the server up (`netprov lab status`)?"
        )

    def _connect(self, action: str) -> ZabbixAPI:
        if self._api is None:
            try:
                self._api = ZabbixAPI(url=self.url, token=self._token, timeout=self.timeout)
            except (ModuleBaseException, OSError) as exc:
                raise self._error(action, exc) from None
        return self._api

    def call(self, method: str, params: Any, action: str | None = None) -> Any:
        """One API call; any failure becomes a MonitoringError naming ``action``."""
        what = action or method
        api = self._connect(what)
        try:
            return api.send_api_request(method, params)["result"]
        except (ModuleBaseException, OSError) as exc:
            raise self._error(what, exc) from None

    # --- lookups -------------------------------------------------------------------------------

    def _template_id(self) -> str:
        found = self.call(
            "template.get",
            {"filter": {"host": TEMPLATE_NAME}, "output": ["templateid"]},
            "find the ICMP template",
        )
        if not found:
            found = self.call(
                "template.get",
                {"filter": {"name": TEMPLATE_NAME}, "output": ["templateid"]},
                "find the ICMP template",
            )
        if not found:
            raise MonitoringError(
                f"Zabbix at {self.url} has no template named {TEMPLATE_NAME!r}; import it "
                "(it ships with Zabbix 6.0) before registering links"
            )
        return str(found[0]["templateid"])

    def _hosts(self, request_id: str) -> list[dict[str, Any]]:
        """Hosts named ``request_id``, lowest id first (more than one only in a race)."""
        hosts = self.call(
            "host.get",
            {
                "filter": {"host": request_id},
                "output": ["hostid", "host", "name", "status"],
                "selectInterfaces": ["interfaceid", "ip", "type", "main"],
                "selectGroups": ["groupid", "name"],
                "selectParentTemplates": ["templateid", "name"],
                "selectTags": ["tag", "value"],
            },
            f"look up host {request_id}",
        )
        return sorted((dict(h) for h in hosts), key=lambda h: int(h["hostid"]))

    def _host(self, request_id: str) -> dict[str, Any] | None:
        hosts = self._hosts(request_id)
        return hosts[0] if hosts else None

    def _groups_named(self, name: str) -> list[str]:
        found = self.call(
            "hostgroup.get", {"filter": {"name": name}, "output": ["groupid"]}, f"look up host group {name!r}"
        )
        return sorted((str(g["groupid"]) for g in found), key=int)

    def _group(self, name: str) -> tuple[str, bool]:
        """The group's id, creating it if missing. Returns (groupid, created).

        Zabbix 6.0 does not stop two concurrent creates of one name; the lowest id wins and
        a creator that lost removes its own (still empty) group.
        """
        found = self._groups_named(name)
        if found:
            return found[0], False
        try:
            made = self.call("hostgroup.create", {"name": name}, f"create host group {name!r}")
        except MonitoringError as exc:
            if "already exists" not in str(exc):
                raise
            found = self._groups_named(name)  # another register created it a moment ago
            if not found:
                raise
            return found[0], False
        mine = str(made["groupids"][0])
        winner = self._groups_named(name)[0]
        if winner != mine:
            self.call("hostgroup.delete", [mine], f"remove duplicate host group {name!r}")
            return winner, False
        return mine, True

    def _delete_group_if_empty(self, group_id: str) -> None:
        """Remove a department group netprov made once no host is left in it (best effort)."""
        try:
            groups = self.call(
                "hostgroup.get",
                {"groupids": [group_id], "output": ["name"], "selectHosts": "count"},
                "check a host group",
            )
            if (
                groups
                and str(groups[0]["name"]).startswith(GROUP_PREFIX)
                and int(groups[0].get("hosts", 0)) == 0
            ):
                self.call("hostgroup.delete", [group_id], "delete an empty host group")
        except MonitoringError:
            pass
