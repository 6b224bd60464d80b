"""The Jinja2 environment for device templates.

* ``StrictUndefined``: a missing variable or attribute is an error, raised as
  :class:`~netprov.errors.RenderError` naming the template, the line and the variable.
* autoescape is off (configs are not HTML), but every ``{{ expression }}`` goes through
  :func:`_finalize`: only ints, ``ipaddress`` values and strings that pass
  :func:`netprov.render.safe.is_safe_output` may be printed; anything else (a raw string
  with a newline or a ``;``, a list, ``None``, a model) fails the render.
* ``keep_trailing_newline``, ``trim_blocks`` and ``lstrip_blocks``, so ``{% %}`` tags don't
  leave blank lines or indentation behind.
"""

from __future__ import annotations

import ipaddress
import re
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from netprov.errors import RenderError
from netprov.render.safe import is_safe_output

_ALLOWED_TYPES = (
    int,
    ipaddress.IPv4Address,
    ipaddress.IPv4Network,
    ipaddress.IPv4Interface,
)
_UNDEFINED_RE = re.compile(r"(?:'([^']+)' is undefined|has no attribute '([^']+)')")


class UnsafeValueError(Exception):
    """A template tried to print a value that is not a vetted type or safe string."""


def _finalize(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming the variable
    if isinstance(value, bool):
        raise UnsafeValueError(f"a bool ({value}) cannot be printed; use it in {{% if %}}")
    if isinstance(value, _ALLOWED_TYPES):
        return value
    if isinstance(value, str):
        if not is_safe_output(value):
            raise UnsafeValueError(f"the string {value!r:.60} is not safe config text")
        return value
    raise UnsafeValueError(f"a {type(value).__name__} cannot be printed")


def make_environment(templates_dir: Path) -> jinja2.Environment:
    """A fresh environment loading ``<templates_dir>/<platform>/<role>.j2``."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - configs, not HTML; values are typed or safe text
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
        auto_reload=False,
    )


@lru_cache(maxsize=8)
def environment(templates_dir: Path) -> jinja2.Environment:
    """The shared (cached) environment for one templates directory."""
    return make_environment(templates_dir)


def _where(exc: BaseException, default: str) -> str:
    """``template:line`` of the innermost template frame of the traceback."""
    where = default
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            where = f"{Path(frame.filename).parent.name}/{Path(frame.filename).name}"
            if frame.lineno:
                where += f":{frame.lineno}"
    return where


def render_template(env: jinja2.Environment, template: str, variables: dict[str, Any]) -> str:
    """Render one template; every failure becomes a RenderError naming template and cause.

    Raises:
        RenderError: the template is missing or has a syntax error, a variable is undefined
            (the message names it), or a value is not printable safely.
    """
    try:
        tpl = env.get_template(template)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {template} does not exist") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            f"template {exc.name or template}:{exc.lineno} has a syntax error: {exc.message}"
        ) from exc
    try:
        return tpl.render(**variables)
    except jinja2.UndefinedError as exc:
        m = _UNDEFINED_RE.search(str(exc))
        var = (m.group(1) or m.group(2)) if m else str(exc)
        detail = "" if exc.message == f"'{var}' is undefined" else f" ({exc.message})"
        raise RenderError(f"template {_where(exc, template)}: variable '{var}' is undefined{detail}") from exc
    except UnsafeValueError as exc:
        raise RenderError(f"template {_where(exc, template)}: {exc}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {_where(exc, template)}: {exc}") from exc
