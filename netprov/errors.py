"""One error hierarchy for netprov.

Every error a user can cause or meet derives from :class:`NetprovError`. The CLI prints
``str(error)`` as one short sentence (no traceback) and exits 1. Messages never contain
secrets (tokens, passwords, keys).
"""

from __future__ import annotations


class NetprovError(Exception):
    """Base of every netprov error."""


class ConfigError(NetprovError):
    """A setting is missing or wrong (names the setting)."""


class InputError(NetprovError):
    """A letter, form or option failed validation.

    Args:
        problems: one human sentence per problem, each naming the field.
    """

    def __init__(self, problems: list[str], source: str = "input") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(f"{source} is invalid: " + "; ".join(self.problems))


class DuplicateLetter(InputError):
    """The same letter (number and department) is already registered; names the request."""

    def __init__(self, number: str, opd: str, existing_id: str) -> None:
        self.existing_id = existing_id
        super().__init__(
            [f"letter.number: letter {number} of {opd} is already registered as {existing_id}"], "letter"
        )


class NotFoundError(NetprovError):
    """A request, document, device or other named object does not exist."""


class WorkflowError(NetprovError):
    """An SOP transition is not allowed now (wrong state)."""


class PermissionDenied(WorkflowError):
    """The actor's role may not perform this step."""


class ConcurrencyError(NetprovError):
    """Someone else changed or holds the object; retry or wait."""


class StaleRun(ConcurrencyError):
    """A run whose lock was taken over (its worker hung, another resumed it) may write no more."""


class LabError(NetprovError):
    """The local lab cannot be brought up or down (names the prerequisite)."""


class NetBoxError(NetprovError):
    """NetBox refused or failed a call."""


class NotFeasibleError(NetprovError):
    """What a request needs is not available (pool full, no port, no bandwidth)."""


class RegisterConflict(NotFeasibleError):
    """An object for this request id was made by another register (names both registers)."""


class DeviceError(NetprovError):
    """A device could not be reached, refused a config or failed a check."""


class RenderError(NetprovError):
    """A template could not be rendered (names the template and the variable)."""


class ValidationFailed(NetprovError):
    """A rendered config was rejected by a parser."""


class MonitoringError(NetprovError):
    """A monitoring backend refused or failed a call."""


class PipelineError(NetprovError):
    """A provisioning stage failed; the pipeline rolled back or can be resumed."""


class DocumentError(NetprovError):
    """A document could not be produced."""


# --- device operations ------------------------------------------------------------------------
# Raised at the platform seam (netprov.platforms) instead of NAPALM's, Netmiko's or bare
# ValueError/RuntimeError; each names the device.


class DeviceUnreachable(DeviceError):
    """The device cannot be reached or refuses the login."""


class CommitRefused(DeviceError):
    """The device refused a configuration; it still runs what it ran before."""


class CommitPending(CommitRefused):
    """The device refused because a commit (another run's, or another tool's) awaits confirmation."""


class ConfirmFailed(DeviceError):
    """A pending commit could not be confirmed (the device already undid it)."""


class RestoreFailed(DeviceError):
    """The device did not return to its saved config (a compare still shows a difference)."""


class UnsupportedOperation(DeviceError):
    """The platform cannot do this (e.g. a device operation on a validate-only platform)."""


class UnknownPlatform(DeviceError):
    """No platform of that name is registered (names the known ones)."""


class MailError(NetprovError):
    """The mail server could not take a mail (it stays queued and is tried again later)."""
