"""Commit-confirm on BIRD 2 with BIRD's own timer (``configure timeout`` / ``configure confirm``).

napalm-bird2 implements ``revert_in`` as a timer thread in the calling process (counting minutes,
not NAPALM's seconds) that dies with that process. BIRD has the real thing: after
``configure timeout N`` it undoes the reconfiguration by itself unless ``configure confirm``
arrives within N seconds, so a provider edge stops announcing a half-provisioned prefix even
when netprov is killed. A plain ``configure`` (what a restore does) cancels a pending undo.

After BIRD undoes a change its running state is the old config while the file still holds the
new text; the pipeline's restore rewrites the file from the journaled snapshot.
"""

from __future__ import annotations

from typing import Protocol

from netprov.errors import CommitRefused, ConfirmFailed


class BirdTransport(Protocol):
    """The two napalm-bird2 transport calls this needs (SSH or control socket)."""

    def write_file(self, path: str, content: str) -> None: ...

    def send_bird_command(self, command: str) -> str: ...


def _first_problem(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    skip = ("BIRD ", "Reading configuration")
    useful = [ln for ln in lines if not ln.startswith(skip)]
    return (useful or lines or ["no answer"])[0][:300]


def commit_confirmed(
    transport: BirdTransport, path: str, previous: str, new: str, revert_in: int, device: str
) -> None:
    """Write ``new`` to ``path`` and make BIRD run it, undoing it by itself after ``revert_in`` s.

    Raises:
        CommitRefused: BIRD refused the file (the previous file is back and BIRD runs it), or
            ``revert_in`` is not a positive number of seconds (nothing was sent).
    """
    if revert_in <= 0:
        raise CommitRefused(f"{device}: revert_in must be a positive number of seconds")
    transport.write_file(path, new)
    try:
        out = transport.send_bird_command(f"configure timeout {int(revert_in)}")
    except Exception as exc:  # birdc exits 1 on a parse error: the transport raises
        out = str(exc)
    if "Reconfigured" in out and "Undo scheduled" in out:
        return
    transport.write_file(path, previous)  # BIRD kept running the old config; make the file match
    raise CommitRefused(f"{device} refused the config: {_first_problem(out)}")


def confirm(transport: BirdTransport, device: str, revert_in: int | None = None) -> None:
    """Make the pending reconfiguration permanent.

    Raises:
        ConfirmFailed: nothing was pending: BIRD had already undone the change (its timer ran
            out), so the device no longer runs what was verified.
    """
    out = transport.send_bird_command("configure confirm")
    if "Reconfiguration confirmed" in out:
        return
    when = f" after {revert_in} s" if revert_in else ""
    raise ConfirmFailed(
        f"{device} had already undone the commit{when} before netprov confirmed it ({_first_problem(out)})"
    )
