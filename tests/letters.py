"""Distinct copies of the test letter: the register refuses the same letter (number and OPD) twice."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from netprov.domain.letters import Letter, load_letter

DATA = Path(__file__).parent / "data"
LETTER = DATA / "letter-intranet.yaml"
_NUMBER = "005/123/DISDIK/XI/2026"
_counter = itertools.count(1)


def number(n: int) -> str:
    """The test letter's number, made the ``n``-th distinct one (0: the original)."""
    return _NUMBER if n == 0 else f"005/{123 + n}/DISDIK/XI/2026"


def distinct_letter(n: int | None = None, date: dt.date | None = None) -> Letter:
    """The test letter with its own number (a fresh one each call when ``n`` is None)."""
    base = load_letter(LETTER)
    nth = next(_counter) if n is None else n
    ref = {"number": number(nth), **({"date": date} if date is not None else {})}
    return base.model_copy(update={"letter": base.letter.model_copy(update=ref)})


def distinct_letter_file(folder: Path, n: int | None = None) -> Path:
    """A copy of the test letter file with its own number, written under ``folder``."""
    nth = next(_counter) if n is None else n
    path = folder / f"letter-{nth}.yaml"
    path.write_text(LETTER.read_text(encoding="utf-8").replace(_NUMBER, number(nth)), encoding="utf-8")
    return path


def renumbered(letter: Letter) -> Letter:
    """``letter`` under a number of its own (for tests that submit one letter file many times)."""
    ref = letter.letter.model_copy(update={"number": f"{letter.letter.number}-T{next(_counter)}"})
    return letter.model_copy(update={"letter": ref})
