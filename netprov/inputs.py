"""Reading what users hand in: bounded, regular files only, and YAML without surprises.

* :func:`read_input` reads a regular file (FIFOs, devices, sockets and directories are
  refused before a byte is read: opened with ``O_NONBLOCK``, checked with ``fstat``) of at
  most :data:`YAML_LIMIT` bytes.
* :func:`copy_input` copies a regular file of at most :data:`EVIDENCE_LIMIT` bytes in chunks.
* :func:`load_yaml` is a strict YAML loader: duplicate keys, anchors/aliases, nesting deeper
  than :data:`MAX_DEPTH`, integers longer than :data:`MAX_DIGITS` digits and dates that do not
  exist are refused with the line; YAML 1.1's ``yes``/``no``/``on``/``off`` are strings, not
  booleans, and ``1:30`` is a string, not 90 (sexagesimal).

Every refusal is an :class:`~netprov.errors.InputError` naming the file (``what``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from pathlib import Path
from typing import Any, ClassVar

import yaml
from rich.markup import escape

from netprov.errors import InputError

YAML_LIMIT = 1_000_000
EVIDENCE_LIMIT = 20 * 1024 * 1024
MAX_DEPTH = 20
MAX_DIGITS = 30
_CHUNK = 64 * 1024


def source_name(what: str, path: Path | str) -> str:
    """How an error names a file: ``letter /path`` (cut when long, markup escaped)."""
    text = str(path)
    if len(text) > 200:
        text = text[:200] + "…"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return f"{what} {escape(text)}"


def _open_regular(path: Path, what: str, limit: int) -> tuple[int, int]:
    """An open descriptor of a regular file of at most ``limit`` bytes, and its size."""
    source = source_name(what, path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputError([f"cannot read file: {exc.strerror or exc}"], source=source) from None
    except ValueError:  # an embedded NUL
        raise InputError(["cannot read file: the name contains a NUL character"], source=source) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO, device or socket"
        raise InputError([f"is not a regular file ({kind})"], source=source)
    if st.st_size > limit:
        os.close(fd)
        raise InputError([f"is too large ({st.st_size} bytes, at most {limit})"], source=source)
    return fd, st.st_size


def check_regular(path: Path, what: str, limit: int) -> int:
    """The size of ``path`` when it is a regular file of at most ``limit`` bytes; InputError else."""
    fd, size = _open_regular(path, what, limit)
    os.close(fd)
    return size


def read_input(path: Path, what: str, limit: int = YAML_LIMIT) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; InputError otherwise."""
    fd, _ = _open_regular(path, what, limit)
    try:
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, _CHUNK):
            total += len(chunk)
            if total > limit:
                raise InputError([f"is too large (more than {limit} bytes)"], source=source_name(what, path))
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def copy_input(path: Path, what: str, dest: Path, limit: int = EVIDENCE_LIMIT) -> tuple[str, int]:
    """Copy a regular file of at most ``limit`` bytes to ``dest`` in chunks; (sha256, size).

    ``dest`` is removed again when the copy fails.
    """
    fd, _ = _open_regular(path, what, limit)
    digest = hashlib.sha256()
    total = 0
    try:
        with dest.open("xb") as out:
            while chunk := os.read(fd, _CHUNK):
                total += len(chunk)
                if total > limit:
                    raise InputError(
                        [f"is too large (more than {limit} bytes)"], source=source_name(what, path)
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return digest.hexdigest(), total


# --- strict YAML ----------------------------------------------------------------------------


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, node: yaml.Node | yaml.Event | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.mark = getattr(node, "start_mark", None)


_INT_RE = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*|0b[01_]+|0x[0-9a-fA-F_]+)$")
_FLOAT_RE = re.compile(
    r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+)$"
)


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: a 1 MB file in well under 1 s


class StrictLoader(_Base):  # type: ignore[misc]
    """SafeLoader with YAML 1.2 scalars and the refusals of the module docstring."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused("has a key that is not a plain name", key_node)
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _Refused(f"repeats the key {str(key)[:40]!r}", key_node)
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(node.value).replace("_", "")
        if len(text.lstrip("+-")) > MAX_DIGITS:
            raise _Refused(f"has a number longer than {MAX_DIGITS} digits", node)
        return super().construct_yaml_int(node)  # type: ignore[no-any-return]

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        if len(str(node.value)) > MAX_DIGITS + 10:
            raise _Refused(f"has a number longer than {MAX_DIGITS} digits", node)
        value = super().construct_yaml_float(node)
        if value in (float("inf"), float("-inf")):
            raise _Refused("has a number too large", node)
        return value  # type: ignore[no-any-return]

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> dt.date | dt.datetime:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[no-any-return]
        except (ValueError, OverflowError):
            raise _Refused(f"has a date that does not exist ({str(node.value)[:40]})", node) from None


StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    ("tag:yaml.org,2002:int", _INT_RE, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT_RE, "-+0123456789."),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
    (
        "tag:yaml.org,2002:timestamp",
        re.compile(
            r"^(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
            r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
            r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$"
        ),
        "0123456789",
    ),
):
    StrictLoader.add_implicit_resolver(_tag, _regexp, list(_first))


def _check_events(text: str) -> None:
    """Refuse aliases, anchors and deep nesting before anything is built (no recursion)."""
    depth = 0
    for event in yaml.parse(text, Loader=_Base):
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("uses an alias (*name); write the value out", event)
        if getattr(event, "anchor", None):
            raise _Refused("uses an anchor (&name); write the value out", event)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(f"is nested deeper than {MAX_DEPTH} levels", event)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text strictly; InputError (naming ``source`` and the line) when refused."""
    try:
        _check_events(text)
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except _Refused as exc:
        where = f"line {exc.mark.line + 1}: " if exc.mark is not None else ""
        raise InputError([f"{where}{exc.problem}"], source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if "nesting" in str(getattr(exc, "problem", "")):  # libyaml's own limit
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise InputError([f"{where}is nested deeper than {MAX_DEPTH} levels"], source=source) from None
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError([f"is not valid YAML{where}"], source=source) from None
    except RecursionError:
        raise InputError([f"is nested deeper than {MAX_DEPTH} levels"], source=source) from None


def load_yaml(path: Path, what: str, limit: int = YAML_LIMIT) -> Any:
    """Read (see :func:`read_input`) and strictly parse a YAML file."""
    data = read_input(path, what, limit)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(["is not UTF-8 text"], source=source_name(what, path)) from None
    return parse_yaml(text.removeprefix("\ufeff"), source_name(what, path))
