"""NAPALM driver for FRRouting (FRR) on Linux, over SSH.

The router is a Linux host running FRR with the integrated config (``/etc/frr/frr.conf``).
The driver logs in over SSH (paramiko, exec channels, a POSIX shell on the router) and uses
FRR's own tools there:

* ``vtysh --dryrun -f`` validates a candidate with FRR's real parser before anything changes;
* ``frr-reload.py --test`` computes the diff (``compare_config``); ``--reload`` applies a
  replace; ``vtysh -f`` applies a merge;
* before every commit the running config is saved ON THE ROUTER (``<state_dir>/rollback.conf``,
  default ``/etc/frr/netprov``), so ``rollback`` works from a new driver instance too;
* ``commit_config(revert_in=N)`` starts a detached timer process on the router (``setsid``)
  that reloads the saved config after N seconds unless ``confirm_commit`` cancels it: the
  router reverts by itself even if the client dies. Unconfirmed changes are not written to
  the startup config; ``confirm_commit`` writes them;
* every commit, confirm, rollback and revert appends a line (time, action, message) to
  ``<state_dir>/commit.log``.

optional_args: ``port`` (22), ``key_file``, ``key_passphrase``, ``use_sudo`` (prefix with
``sudo -n`` for non-root users), ``frr_reload_path``, ``vtysh_path``, ``state_dir``,
``workdir`` (candidate files; default ``state_dir``), ``config_file``, ``ssh_config_file``,
``ssh_strict`` (reject unknown host keys), ``known_hosts_file``, ``allow_agent``,
``look_for_keys``, ``keepalive``. Secrets are never logged or put in exception messages.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
import uuid
from pathlib import Path
from typing import Any

from napalm.base import NetworkDriver
from napalm.base.exceptions import (
    CommandErrorException,
    CommitConfirmException,
    CommitError,
    ConnectionClosedException,
    MergeConfigException,
    ReplaceConfigException,
)

from napalm_frr import parsers
from napalm_frr.transport import Result, SSHOptions, SSHTransport, Transport

DEFAULTS: dict[str, Any] = {
    "port": 22,
    "frr_reload_path": "/usr/lib/frr/frr-reload.py",
    "vtysh_path": "vtysh",
    "state_dir": "/etc/frr/netprov",
    "config_file": "/etc/frr/frr.conf",
    "use_sudo": False,
}
MARK = "@@NAPALM-FRR@@"
SERIAL_FILE = "/sys/class/dmi/id/product_serial"  # the chassis serial, on hosts that have DMI
_SAFE_MESSAGE = re.compile(r"[^\x20-\x7e]")


def _errors(text: str) -> str:
    """Distinct non-empty lines of an error output, joined, bounded."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(dict.fromkeys(lines))[:1500]


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class FRRDriver(NetworkDriver):  # type: ignore[misc]
    """NAPALM driver for FRR: ``napalm.get_network_driver("frr")``."""

    platform = "frr"

    def __init__(
        self,
        hostname: str,
        username: str,
        password: str | None = None,
        timeout: int = 60,
        optional_args: dict[str, Any] | None = None,
    ) -> None:
        self.hostname = hostname
        self.username = username
        self.password = password
        self.timeout = timeout
        args = {**DEFAULTS, **(optional_args or {})}
        self.optional_args = args
        self.port = int(args["port"])
        self.use_sudo = _truthy(args["use_sudo"])
        self.frr_reload = str(args["frr_reload_path"])
        self.vtysh = str(args["vtysh_path"])
        self.state_dir = str(args["state_dir"]).rstrip("/") or "/"
        self.workdir = str(args.get("workdir") or self.state_dir)
        self.config_file = str(args["config_file"])
        self.transport: Transport | None = None
        self._candidate: str | None = None
        self._candidate_kind: str | None = None  # "replace" | "merge"

    def __repr__(self) -> str:
        return f"FRRDriver({self.username}@{self.hostname}:{self.port})"

    # --- connection -----------------------------------------------------------------------------
    def open(self) -> None:
        a = self.optional_args
        options = SSHOptions(
            hostname=self.hostname,
            username=self.username,
            password=self.password,
            port=self.port,
            key_file=a.get("key_file"),
            key_passphrase=a.get("key_passphrase"),
            timeout=float(self.timeout),
            ssh_config_file=a.get("ssh_config_file"),
            strict_host_keys=_truthy(a.get("ssh_strict", False)),
            known_hosts_file=a.get("known_hosts_file"),
            allow_agent=_truthy(a.get("allow_agent", False)),
            look_for_keys=_truthy(a.get("look_for_keys", False)),
            keepalive=int(a.get("keepalive", 30)),
        )
        transport = SSHTransport(options)
        transport.open()
        self.transport = transport

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.transport = None

    def is_alive(self) -> dict[str, bool]:
        return {"is_alive": bool(self.transport and self.transport.is_alive())}

    # --- plumbing ---------------------------------------------------------------------------------
    def _wrap(self, command: str) -> str:
        return f"sudo -n sh -c {shlex.quote(command)}" if self.use_sudo else command

    def _exec(self, command: str, stdin: str | None = None, timeout: float | None = None) -> Result:
        if self.transport is None:
            raise ConnectionClosedException(f"{self.hostname}: call open() first")
        return self.transport.run(self._wrap(command), stdin=stdin, timeout=timeout)

    def _run(self, command: str, stdin: str | None = None) -> str:
        res = self._exec(command, stdin)
        if res.rc != 0:
            tail = (res.stderr or res.stdout).strip()[-500:]
            raise CommandErrorException(f"{command.split()[0]} failed (rc={res.rc}): {tail}")
        return res.stdout

    def _script(self, script: str) -> Result:
        """Run a POSIX shell script on the router (given on stdin, so no quoting games)."""
        return self._exec("sh -s", stdin=script)

    def _multi(self, *commands: str) -> list[str]:
        """Several commands in one round trip; their outputs in order."""
        joined = f"; echo '{MARK}'; ".join(commands)
        out = self._run(joined)
        parts = out.split(f"{MARK}\n")
        if len(parts) != len(commands):
            raise CommandErrorException(f"unexpected output from {len(commands)} commands")
        return parts

    def _vtysh_cmd(self, *commands: str) -> str:
        return self.vtysh + "".join(f" -c {shlex.quote(c)}" for c in commands)

    def _q(self, path: str) -> str:
        return shlex.quote(path)

    def _running(self) -> str:
        return parsers.strip_running(self._run(self._vtysh_cmd("show running-config")))

    # --- candidate ----------------------------------------------------------------------------------
    def _read_candidate(self, filename: str | None, config: str | None, exc: type[Exception]) -> str:
        if filename:
            try:
                text = Path(filename).read_text(encoding="utf-8")
            except OSError as err:
                raise exc(f"cannot read {filename}: {err.strerror}") from err
        elif config is not None:
            text = config
        else:
            raise exc("give filename or config")
        if "Building configuration" in text or "Current configuration" in text:
            text = parsers.strip_running(text)
        return text if text.endswith("\n") else text + "\n"

    def _validate(self, text: str, exc: type[Exception]) -> None:
        """FRR's own parser (``vtysh --dryrun``) must accept the text; else raise ``exc``."""
        path = self._q(f"{self.workdir}/candidate-{uuid.uuid4().hex[:12]}.conf")
        res = self._exec(
            f"umask 077; mkdir -p {self._q(self.workdir)} && cat > {path} && "
            f"{self.vtysh} --dryrun -f {path}; rc=$?; rm -f {path}; exit $rc",
            stdin=text,
        )
        if res.rc != 0:
            raise exc("FRR rejects the candidate: " + _errors(res.stderr + res.stdout))

    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        text = self._read_candidate(filename, config, ReplaceConfigException)
        self._validate(text, ReplaceConfigException)
        self._candidate, self._candidate_kind = text, "replace"

    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        text = self._read_candidate(filename, config, MergeConfigException)
        self._validate(text, MergeConfigException)
        self._candidate, self._candidate_kind = text, "merge"

    def discard_config(self) -> None:
        self._candidate = self._candidate_kind = None

    def _exc(self) -> type[Exception]:
        if self._candidate_kind == "replace":
            return ReplaceConfigException  # type: ignore[no-any-return]
        return MergeConfigException  # type: ignore[no-any-return]

    def compare_config(self) -> str:
        if not self._candidate:
            return ""
        path = self._q(f"{self.workdir}/compare-{uuid.uuid4().hex[:12]}.conf")
        if self._candidate_kind == "replace":
            build = f"cat > {path}"
        else:  # merge: the router's running config followed by the candidate
            build = (
                f"{{ {self._vtysh_cmd('show running-config')} | sed -n '/^frr version/,$p'"
                f" | grep -v '^end$'; echo '!'; cat; }} > {path}"
            )
        res = self._exec(
            f"umask 077; mkdir -p {self._q(self.workdir)} && {build} && "
            f"{self.frr_reload} --test --stdout {path} 2>&1; rc=$?; rm -f {path}; "
            "exit $rc",
            stdin=self._candidate,
        )
        errors = parsers.reload_errors(res.stdout)
        if errors or res.rc != 0:
            raise self._exc()("frr-reload.py --test failed: " + _errors("\n".join(errors) or res.stdout))
        return parsers.reload_diff(res.stdout)

    # --- commit / confirm / rollback -------------------------------------------------------------
    def _lock_prelude(self) -> str:
        s = self._q(self.state_dir)
        return (
            f'S={s}\nmkdir -p "$S"\nexec 9>>"$S/lock"\n'
            "flock -w 120 9 || { echo 'LOCK-TIMEOUT'; exit 75; }\n"
        )

    def _log_line(self, action: str, message: str) -> str:
        msg = _SAFE_MESSAGE.sub(" ", message)[:300].replace("\t", " ")
        who = _SAFE_MESSAGE.sub(" ", self.username)[:64]
        return (
            f"printf '%s\\t%s\\t%s\\t%s\\n' \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" "
            f"{shlex.quote(action)} {shlex.quote(who)} {shlex.quote(msg)} "
            '>> "$S/commit.log"\n'
        )

    def _write_memory(self) -> str:
        return f"{self._vtysh_cmd('write memory')} >/dev/null 2>&1 || echo 'WRITE-FAILED'\n"

    def _reload_rollback(self) -> str:
        return f'{self.frr_reload} --reload --stdout "$S/rollback.conf" >"$S/rollback-apply.log" 2>&1\n'

    def _cancel_timer(self) -> str:
        return (
            'if [ -f "$S/pending" ]; then read pid deadline < "$S/pending"; '
            'kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; '
            'rm -f "$S/pending"; fi\n'
        )

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if not self._candidate:
            return
        exc = self._exc()
        path = self._q(f"{self.workdir}/commit-{uuid.uuid4().hex[:12]}.conf")
        delim = f"NAPALM_FRR_{uuid.uuid4().hex}"
        if self._candidate_kind == "replace":
            apply = f"{self.frr_reload} --reload --stdout {path}"
        else:
            apply = f"{self.vtysh} -f {path}"
        # one round trip: refuse if a commit awaits confirmation, write + validate the
        # candidate, snapshot the running config, apply
        script = (
            self._lock_prelude() + 'if [ -f "$S/pending" ]; then read pid deadline < "$S/pending"; '
            'if kill -0 "$pid" 2>/dev/null; then echo PENDING; exit 0; fi; '
            'rm -f "$S/pending"; fi\n'
            + f"umask 077\nmkdir -p {self._q(self.workdir)}\n"
            + f"cat > {path} <<'{delim}'\n{self._candidate}{delim}\n"
            + f'if ! {self.vtysh} --dryrun -f {path} >"$S/validate.log" 2>&1; then '
            f'rm -f {path}; echo VALIDATE-FAILED; cat "$S/validate.log"; exit 0; fi\n'
            + f"{self._vtysh_cmd('show running-config')} | sed -n '/^frr version/,$p' "
            '> "$S/rollback.conf.new" || { echo SNAPSHOT-FAILED; exit 0; }\n'
            + f'{apply} >"$S/apply.log" 2>&1; rc=$?\n'
            + f"rm -f {path}\n"
            + 'echo "APPLY-RC $rc"\ncat "$S/apply.log"\n'
        )
        res = self._script(script)
        out = res.stdout
        if out.startswith("PENDING"):
            raise CommitError("a commit is pending confirmation: confirm_commit() or rollback()")
        if "VALIDATE-FAILED" in out:
            raise exc("FRR rejects the candidate: " + _errors(out.split("VALIDATE-FAILED", 1)[1]))
        if "SNAPSHOT-FAILED" in out or "LOCK-TIMEOUT" in out or res.rc != 0:
            raise exc(f"cannot save the running config before the commit: {out[-300:]}")
        rc_match = re.search(r"APPLY-RC (\d+)", out)
        applied = out.split("APPLY-RC", 1)[-1]
        if rc_match is None or rc_match.group(1) != "0" or parsers.reload_errors(applied):
            # put the saved config back, so a rejected commit leaves nothing behind
            restore = self._script(
                self._lock_prelude() + f'{self.frr_reload} --reload --stdout "$S/rollback.conf.new" '
                '>"$S/restore.log" 2>&1; rc=$?; rm -f "$S/rollback.conf.new"\n'
                + self._log_line("failed", message)
                + "exit $rc\n"
            )
            note = "" if restore.rc == 0 else " (restoring the previous config failed too)"
            raise exc(
                f"FRR rejected the commit{note}: "
                + _errors("\n".join(parsers.reload_errors(applied)) or applied)
            )
        tail = self._lock_prelude() + 'mv "$S/rollback.conf.new" "$S/rollback.conf"\n'
        if revert_in is not None and int(revert_in) > 0:
            seconds = int(revert_in)
            tail += self._revert_timer_script(seconds)
            tail += self._log_line(f"commit-confirm:{seconds}s", message)
        else:
            tail += self._write_memory() + self._log_line("commit", message)
        res = self._script(tail)
        if res.rc != 0 or "WRITE-FAILED" in res.stdout:
            raise CommitError(f"commit applied but not saved: {res.stdout.strip()[-300:]}")
        self.discard_config()

    def _revert_timer_script(self, seconds: int) -> str:
        revert = (
            "#!/bin/sh\n"
            "# napalm_frr commit-confirm timer: reload the saved config unless confirmed\n"
            f"sleep {seconds}\n"
            f"S={self._q(self.state_dir)}\n"
            'exec 9>>"$S/lock"\nflock 9\n'
            '[ -f "$S/pending" ] || exit 0\n'
            f'{self.frr_reload} --reload --stdout "$S/rollback.conf" >"$S/revert.log" 2>&1\n'
            + self._write_memory()
            + 'rm -f "$S/pending"\n'
            + "printf '%s\\treverted\\t-\\tcommit not confirmed in time\\n' "
            '"$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$S/commit.log"\n'
        )
        return (
            "cat > \"$S/revert.sh\" <<'NAPALM_FRR_EOF'\n" + revert + "NAPALM_FRR_EOF\n"
            'setsid sh "$S/revert.sh" 9>&- </dev/null >/dev/null 2>&1 &\n'
            f'echo "$! $(( $(date +%s) + {seconds} ))" > "$S/pending"\n'
        )

    def has_pending_commit(self) -> bool:
        res = self._script(
            f"S={self._q(self.state_dir)}\n"
            'if [ -f "$S/pending" ]; then read pid deadline < "$S/pending"; '
            'if kill -0 "$pid" 2>/dev/null; then echo PENDING; else rm -f "$S/pending"; '
            "echo STALE; fi; else echo NONE; fi\n"
        )
        return "PENDING" in res.stdout

    def confirm_commit(self) -> None:
        res = self._script(
            self._lock_prelude()
            + 'if [ ! -f "$S/pending" ]; then echo NONE; exit 0; fi\n'
            + self._cancel_timer()
            + self._write_memory()
            + self._log_line("confirmed", "")
            + "echo CONFIRMED\n"
        )
        if "CONFIRMED" not in res.stdout:
            raise CommitConfirmException("no commit is pending confirmation")
        if "WRITE-FAILED" in res.stdout:
            raise CommitError("confirmed, but writing the startup config failed")

    def rollback(self) -> None:
        res = self._script(
            self._lock_prelude()
            + self._cancel_timer()
            + '[ -f "$S/rollback.conf" ] || { echo NO-ROLLBACK; exit 0; }\n'
            + self._reload_rollback()
            + "rc=$?\n"
            + self._write_memory()
            + self._log_line("rollback", "")
            + 'echo "ROLLBACK-RC $rc"\n'
            + 'cat "$S/rollback-apply.log"\n'
        )
        if "NO-ROLLBACK" in res.stdout:
            raise CommandErrorException(f"no rollback point in {self.state_dir} on the router")
        errors = parsers.reload_errors(res.stdout)
        if "ROLLBACK-RC 0" not in res.stdout or errors:
            raise CommandErrorException("rollback failed: " + "; ".join(errors)[:1000])

    # --- getters --------------------------------------------------------------------------------------
    def get_facts(self) -> dict[str, Any]:
        host, uptime, version, links, serial = self._multi(
            "hostname",
            "cat /proc/uptime",
            self._vtysh_cmd("show version"),
            "ip -j link show",
            f"cat {SERIAL_FILE} 2>/dev/null || true",
        )
        return parsers.parse_facts(host, uptime, version, links, serial)

    def get_interfaces(self) -> dict[str, dict[str, Any]]:
        links, frr = self._multi("ip -j link show", self._vtysh_cmd("show interface json"))
        return parsers.parse_interfaces(links, frr)

    def get_interfaces_ip(self) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
        return parsers.parse_interfaces_ip(self._run("ip -j addr show"))

    def get_config(
        self, retrieve: str = "all", full: bool = False, sanitized: bool = False, format: str = "text"
    ) -> dict[str, str]:
        """Running, startup (the saved ``frr.conf``) and candidate configuration, as text.

        FRR prints its configuration one way only: ``full`` (defaults included) and any
        ``format`` but ``"text"`` raise NotImplementedError rather than return something else.
        """
        if format != "text":
            raise NotImplementedError(f"FRR configuration exists as text only, not {format!r}")
        if full:
            raise NotImplementedError("FRR cannot show its configuration with defaults (full=True)")
        if retrieve not in ("all", "running", "startup", "candidate"):
            raise ValueError(f"retrieve must be all, running, startup or candidate, not {retrieve!r}")
        out = {"running": "", "startup": "", "candidate": ""}
        if retrieve in ("all", "running"):
            out["running"] = self._running()
        if retrieve in ("all", "startup"):
            out["startup"] = self._run(f"cat {self._q(self.config_file)}")
        if retrieve in ("all", "candidate"):
            out["candidate"] = self._candidate or ""
        if sanitized:
            out = {k: parsers.sanitize(v) for k, v in out.items()}
        return out

    def get_route_to(
        self, destination: str = "", protocol: str = "", longer: bool = False
    ) -> dict[str, list[dict[str, Any]]]:
        cmd = "show ip route"
        if destination:
            try:
                net = ipaddress.ip_network(destination, strict=False)
            except ValueError as err:
                raise CommandErrorException(f"not an address or prefix: {destination!r}") from err
            if net.version == 6:
                cmd = "show ipv6 route"
            target = str(net) if "/" in destination else str(net.network_address)
            cmd += f" {target}"
            if longer:
                cmd += " longer-prefixes"
        return parsers.parse_routes(self._run(self._vtysh_cmd(f"{cmd} json")), protocol)

    def get_bgp_neighbors(self) -> dict[str, dict[str, Any]]:
        out = self._run(self._vtysh_cmd("show bgp vrf all neighbors json"))
        return parsers.parse_bgp_neighbors(out)

    def ping(
        self,
        destination: str,
        source: str = "",
        ttl: int = 255,
        timeout: int = 2,
        size: int = 100,
        count: int = 5,
        vrf: str = "",
        source_interface: str = "",
        interval: float = 1.0,
    ) -> dict[str, Any]:
        """NAPALM's ping (Linux ``ping`` in the router's namespace); ``interval`` (an extension)
        is the spacing of the probes in seconds, 0.2 at least (the floor for non-root ping)."""
        if not re.fullmatch(r"[A-Za-z0-9_.:-]+", destination):
            return {"error": f"invalid destination {destination!r}"}
        gap = max(0.2, float(interval))
        cmd = f"ping -n -c {int(count)} -W {int(timeout)} -s {int(size)} -t {int(ttl)}"
        if gap != 1.0:
            cmd += f" -i {gap:g}"
        src = source or source_interface
        if src:
            if not re.fullmatch(r"[A-Za-z0-9_.:-]+", src):
                return {"error": f"invalid source {src!r}"}
            cmd += f" -I {src}"
        cmd += f" {destination}"
        if vrf:
            cmd = f"ip vrf exec {shlex.quote(vrf)} {cmd}"
        res = self._exec(f"{cmd} 2>&1", timeout=float(int(count) * (int(timeout) + gap) + 10))
        return parsers.parse_ping(res.stdout + res.stderr, res.rc)

    def cli(self, commands: list[str], encoding: str = "text") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for command in commands:
            text = self._run(self._vtysh_cmd(command))
            out[command] = json.loads(text) if encoding == "json" else text
        return out

    def commit_log(self, lines: int = 20) -> list[dict[str, str]]:
        """The last ``lines`` entries of the router's commit log (time, action, user, message)."""
        res = self._exec(f"tail -n {int(lines)} {self._q(self.state_dir + '/commit.log')}")
        entries = []
        for line in res.stdout.splitlines():
            parts = ([*line.split("\t"), "", "", "", ""])[:4]
            entries.append(dict(zip(("time", "action", "user", "message"), parts, strict=True)))
        return entries
