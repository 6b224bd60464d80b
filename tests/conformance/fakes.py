"""Small, honest fakes of what the platforms drive: a NAPALM driver holding a config text,
napalm-bird2's driver + transport, a Netmiko IOS session applying lines with hier_config,
and a Nornir task around any of them."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from hier_config import get_hconfig
from hier_config.models import Platform as HcPlatform
from napalm.base.exceptions import CommitError, MergeConfigException, ReplaceConfigException

BAD_WORD = "nonsense"  # any config containing it is refused, as a real parser would


def _diff(old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), n=0))[:4000]


def _merge(running: str, extra: str) -> str:
    lines = running.splitlines()
    return "\n".join(lines + [ln for ln in extra.splitlines() if ln not in lines]) + "\n"


class FakeNapalmFrr:
    """napalm_frr as far as the pipeline uses it: candidate, compare, commit-confirm, rollback."""

    def __init__(self, running: str, routes: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.running = running
        self.candidate: str | None = None
        self.pending_previous: str | None = None
        self.routes = routes or {}
        self.commits: list[tuple[str, int | None]] = []

    def get_config(self, retrieve: str = "all") -> dict[str, str]:
        return {"running": self.running, "candidate": "", "startup": ""}

    def _load(self, config: str, exc: type[Exception]) -> str:
        if BAD_WORD in config:
            raise exc(f"line 2: % Unknown command: {BAD_WORD}")
        return config

    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        self.candidate = self._load(config or "", ReplaceConfigException)

    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        self.candidate = _merge(self.running, self._load(config or "", MergeConfigException))

    def compare_config(self) -> str:
        return _diff(self.running, self.candidate or self.running)

    def discard_config(self) -> None:
        self.candidate = None

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if self.pending_previous is not None:
            raise CommitError("a commit is pending confirmation: confirm_commit() or rollback()")
        if self.candidate is None:
            raise CommitError("no candidate loaded")
        self.commits.append((message, revert_in))
        if revert_in:
            self.pending_previous = self.running
        self.running, self.candidate = self.candidate, None

    def has_pending_commit(self) -> bool:
        return self.pending_previous is not None

    def confirm_commit(self) -> None:
        self.pending_previous = None

    def rollback(self) -> None:
        if self.pending_previous is not None:
            self.running, self.pending_previous = self.pending_previous, None

    def get_route_to(self, destination: str = "", protocol: str = "", longer: bool = False) -> Any:
        return {p: r for p, r in self.routes.items() if p == destination and protocol in ("", "bgp")}


@dataclass
class FakeBirdTransport:
    """napalm-bird2's transport: a config file and birdc answering like BIRD 2.0.12."""

    files: dict[str, str]
    path: str
    running: str = ""
    pending: str | None = None
    routes: str = ""
    commands: list[str] = field(default_factory=list)

    def write_file(self, path: str, content: str) -> None:
        self.files[path] = content

    def send_bird_command(self, command: str) -> str:
        self.commands.append(command)
        head = "BIRD 2.0.12 ready.\n"
        if command.startswith("configure timeout"):
            text = self.files[self.path]
            if BAD_WORD in text:
                return head + f"Reading configuration from {self.path}\nbird.conf:2:3 syntax error\n"
            self.pending, self.running = self.running, text
            return head + "Reading configuration\nUndo scheduled in 60 s\nReconfigured\n"
        if command == "configure confirm":
            if self.pending is None:
                return head + "Nothing to do\n"
            self.pending = None
            return head + "Reconfiguration confirmed\n"
        if command == "configure":
            self.running, self.pending = self.files[self.path], None
            return head + "Reconfigured\n"
        if command.startswith("show route"):
            return head + self.routes
        return head + "syntax error\n"


class FakeBird2:
    """napalm-bird2's driver: the config file is the running config."""

    bird_config_path = "/etc/bird/bird.conf"

    def __init__(self, running: str, routes: str = "") -> None:
        files = {self.bird_config_path: running}
        self.transport = FakeBirdTransport(files, self.bird_config_path, running, routes=routes)
        self.candidate: str | None = None

    def get_bird_running_config(self) -> str:
        return self.transport.files[self.bird_config_path]

    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        self.candidate = config or ""

    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        self.candidate = self.get_bird_running_config().rstrip() + "\n" + (config or "").lstrip()

    def compare_config(self) -> str:
        return _diff(self.get_bird_running_config(), self.candidate or self.get_bird_running_config())

    def discard_config(self) -> None:
        self.candidate = None

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if self.candidate is None:
            raise CommitError("no candidate loaded")
        if BAD_WORD in self.candidate:
            raise CommitError("bird.conf:2:3 syntax error")
        self.transport.write_file(self.bird_config_path, self.candidate)
        self.transport.send_bird_command("configure")
        self.candidate = None


IOS_BANNER = "Building configuration...\n\nCurrent configuration : 1234 bytes\n"


class FakeIos:
    """A Netmiko IOS session: lines applied to the running config with hier_config."""

    def __init__(self, running: str) -> None:
        self.running = self._canonical(get_hconfig(HcPlatform.CISCO_IOS, running))
        self.enabled = False
        self.sent: list[list[str]] = []

    @staticmethod
    def _canonical(tree: Any) -> str:
        return "\n".join(c.cisco_style_text() for c in tree.all_children_sorted()) + "\n"

    def check_enable_mode(self) -> bool:
        return self.enabled

    def enable(self) -> None:
        self.enabled = True

    def send_command(self, command: str) -> str:
        assert command == "show running-config", command
        return IOS_BANNER + self.running

    def send_command_timing(self, command: str) -> str:
        return ""

    def send_config_set(
        self, lines: list[str], exit_config_mode: bool = True, cmd_verify: bool = True
    ) -> str:
        assert self.enabled, "config mode needs enable mode"
        self.sent.append(list(lines))
        out, good = [], []
        for ln in lines:
            out.append(f"sw(config)#{ln.strip()}")
            if BAD_WORD in ln:
                out.append("% Invalid input detected at '^' marker.")
            elif ln.strip() != "exit":
                good.append(ln)
        tree = get_hconfig(HcPlatform.CISCO_IOS, self.running)
        self.running = self._canonical(tree.future(get_hconfig(HcPlatform.CISCO_IOS, "\n".join(good))))
        return "\n".join(out)


class FakeHost:
    """A Nornir host whose connection is a fake (or raises, for an unreachable device)."""

    def __init__(self, name: str, platform: str, conn: Any, kind: str) -> None:
        self.name, self.platform, self._conn, self._kind = name, platform, conn, kind

    def get_connection(self, connection: str, configuration: Any) -> Any:
        assert connection == self._kind, (connection, self._kind)
        if isinstance(self._conn, BaseException):
            raise self._conn
        return self._conn


class FakeTask:
    """The part of ``nornir.core.task.Task`` the device tasks and platforms use."""

    def __init__(self, host: FakeHost, dry_run: bool = False) -> None:
        self.host = host
        self.nornir = SimpleNamespace(config=None)
        self._dry_run = dry_run

    def is_dry_run(self, override: bool | None = None) -> bool:
        return self._dry_run if override is None else override
