"""The progress callback type shared by long-running product steps and the lab.

A step reports what it is doing as one short line of text, for example
``progress("creating 12 prefixes")``; the CLI prints it with a timestamp, tests may collect it.

>>> lines: list[str] = []
>>> report: Progress = lines.append
>>> report("seeding sites")
>>> lines
['seeding sites']
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]
"""Called with one line of human-readable progress; must not raise."""

__all__ = ["Progress"]
