"""Indonesian holidays as computed by the ``holidays`` package, stored for a range of years.

Importing ``holidays`` and asking it for Indonesia loads its whole country registry (about
0.15 s of CPU), which every command that shows a deadline paid. The dates it returns depend
only on its version, so ``holidays_id.json`` next to this module holds them for a range of
years, made by the version named in it. The table is used only when that same version is
installed (read from its ``.dist-info`` folder, without importing it); otherwise, and for
years outside the range, the package is asked as before.

Regenerate after upgrading ``holidays``: ``python -m netprov.domain.holiday_table``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("holidays_id.json")
YEARS = range(2018, 2041)
CATEGORIES = ("public", "government")


@lru_cache(maxsize=1)
def installed_version() -> str | None:
    """The installed ``holidays`` version from its ``.dist-info`` folder (None if not found)."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or not spec.submodule_search_locations:
        return None
    site = Path(next(iter(spec.submodule_search_locations))).parent
    found = [p.name for p in site.glob("holidays-*.dist-info")]
    if len(found) != 1:
        return None
    return found[0].removeprefix("holidays-").removesuffix(".dist-info")


@lru_cache(maxsize=1)
def _table() -> dict[str, object]:
    try:
        data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stored(year: int) -> dict[dt.date, str] | None:
    """The stored holidays of ``year``, or None when the table cannot answer for it."""
    table = _table()
    years = table.get("years")
    if not isinstance(years, dict) or str(year) not in years:
        return None
    if installed_version() is None or installed_version() != table.get("holidays_version"):
        return None
    return {dt.date.fromisoformat(day): name for day, name in years[str(year)]}


def computed(year: int) -> dict[dt.date, str]:
    """Indonesia's public holidays and collective leave days of ``year`` from the package.

    Names in Indonesian whatever the locale (the package would follow ``LANG``).
    """
    import holidays

    out: dict[dt.date, str] = {}
    for category in CATEGORIES:
        try:
            cal = holidays.country_holidays("ID", years=year, categories=(category,), language="id")
        except (NotImplementedError, ValueError):
            continue
        out.update(dict(cal.items()))
    return out


def render(years: range, version: str) -> str:
    """The table's JSON for ``years`` (one line per year)."""

    def row(year: int) -> str:
        days = [[d.isoformat(), n] for d, n in sorted(computed(year).items())]
        return f'    "{year}": {json.dumps(days, ensure_ascii=False)}'

    rows = ",\n".join(row(y) for y in years)
    return f'{{"holidays_version": {json.dumps(version)},\n  "years": {{\n{rows}\n}}}}\n'


def main() -> None:  # pragma: no cover - a maintainer's tool
    version = installed_version()
    if version is None:
        raise SystemExit("cannot tell the installed holidays version")
    DATA_FILE.write_text(render(YEARS, version), encoding="utf-8")
    print(f"wrote {DATA_FILE} (holidays {version})")


if __name__ == "__main__":  # pragma: no cover
    main()
