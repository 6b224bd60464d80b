"""Free text -> safe description; exact names validated."""

from __future__ import annotations

import pytest

from netprov.errors import RenderError
from netprov.render.safe import (
    NAME_RE,
    VLAN_NAME_RE,
    check_name,
    is_safe_output,
    safe_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Dinas Pendidikan", "Dinas Pendidikan"),
        ("  Dinas\n\tPendidikan \r\n", "Dinas Pendidikan"),
        ("José Ramírez", "Jose Ramirez"),
        ("Ｄｉｎａｓ　Ｋｅｓｅｈａｔａｎ", "Dinas Kesehatan"),  # fullwidth + ideographic space
        ("Din\u200bas\u202e Kes\u200dehatan", "Dinas Kesehatan"),  # zero-width, RTL override
        ("Dinаs", "Dinas"),  # Cyrillic a
        ("no shutdown", "-"),
        ("no Dinas Kesehatan", "Dinas Kesehatan"),
        ("end", "-"),
        ("no no end exit", "-"),
        ("Dinas; end! # {x} $y 'z' \"q\" | <a> [b] ? \\", "Dinas end x y z q a b"),
        ("", "-"),
        ("\x00\x07\x1b[31m", "31m"),
        ("a/b: c (d) e@f g+h_i-j.k,l", "a/b: c (d) e@f g+h_i-j.k,l"),
    ],
)
def test_safe_text(raw: str, expected: str) -> None:
    assert safe_text(raw) == expected
    assert is_safe_output(safe_text(raw))


def test_safe_text_is_bounded_and_idempotent() -> None:
    out = safe_text("x" * 100_000, 40)
    assert len(out) == 40
    for raw in ("Dinas\nend", "ｎｏ ｒｏｕｔｅｒ", "a  b   c", "x-" * 50):
        once = safe_text(raw, 30)
        assert safe_text(once, 30) == once
        assert len(once) <= 30


def test_safe_text_never_ends_in_continuation() -> None:
    assert safe_text("Dinas -", 60) == "Dinas"
    assert not safe_text("abc " + "-" * 100, 10).endswith(("-", " "))


def test_is_safe_output_rejects_every_special_character() -> None:
    for ch in ";|!#\"'\\{}[]$?<>`\n\r\t\x00%&*=~^":
        assert not is_safe_output(f"a{ch}b"), repr(ch)
    assert not is_safe_output("x" * 300)
    assert is_safe_output("PJB-2026-0001 Dinas Pendidikan intranet")


@pytest.mark.parametrize("name", ["eth2", "FastEthernet0/1", "ge-0/0/1.120", "lan1", "ether2"])
def test_names_accepted(name: str) -> None:
    assert check_name(name, "iface") == name


@pytest.mark.parametrize(
    "name", ["eth2\nend", "lan1 shutdown", "", "1eth", "eth;", "x" * 65, "eth\u200b2", "éth0"]
)
def test_names_rejected_and_named(name: str) -> None:
    with pytest.raises(RenderError, match="dist_interface"):
        check_name(name, "dist_interface", NAME_RE)


def test_vlan_names() -> None:
    assert check_name("opd-upt-disdik-batamkota", "vlan_name", VLAN_NAME_RE)
    with pytest.raises(RenderError):
        check_name("OPD DISDIK", "vlan_name", VLAN_NAME_RE)
