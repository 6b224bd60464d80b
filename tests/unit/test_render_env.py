"""The template environment: strict undefined, only safe values printable."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from netprov.errors import RenderError
from netprov.render.env import make_environment, render_template


@pytest.fixture
def tdir(tmp_path: Path) -> Path:
    (tmp_path / "frr").mkdir()
    (tmp_path / "frr" / "ok.j2").write_text("interface {{ iface }}\n ip address {{ addr }}\n")
    (tmp_path / "frr" / "missing.j2").write_text("! header\ninterface {{ iface }}\n {{ nope }}\n")
    (tmp_path / "frr" / "attr.j2").write_text("ip address {{ lan.gatway }}\n")
    (tmp_path / "frr" / "inc.j2").write_text("! top\n{% include 'frr/part.j2' %}")
    (tmp_path / "frr" / "part.j2").write_text("x\n{{ undefined_in_include }}\n")
    (tmp_path / "frr" / "syntax.j2").write_text("{% if %}\n")
    (tmp_path / "frr" / "raw.j2").write_text("description {{ value }}\n")
    return tmp_path


def test_renders_typed_values(tdir: Path) -> None:
    env = make_environment(tdir)
    out = render_template(
        env, "frr/ok.j2", {"iface": "eth2", "addr": ipaddress.IPv4Interface("10.250.0.1/30")}
    )
    assert out == "interface eth2\n ip address 10.250.0.1/30\n"


def test_missing_variable_names_template_and_variable(tdir: Path) -> None:
    env = make_environment(tdir)
    with pytest.raises(RenderError, match=r"frr/missing\.j2:3.*variable 'nope' is undefined"):
        render_template(env, "frr/missing.j2", {"iface": "eth2"})


def test_missing_attribute_is_named(tdir: Path) -> None:
    env = make_environment(tdir)

    class Lan:
        gateway = ipaddress.IPv4Interface("10.0.0.1/24")

    with pytest.raises(RenderError, match=r"frr/attr\.j2:1.*'gatway'"):
        render_template(env, "frr/attr.j2", {"lan": Lan()})


def test_missing_variable_in_included_template(tdir: Path) -> None:
    env = make_environment(tdir)
    with pytest.raises(RenderError, match=r"frr/part\.j2:2.*'undefined_in_include'"):
        render_template(env, "frr/inc.j2", {})


def test_missing_and_broken_templates(tdir: Path) -> None:
    env = make_environment(tdir)
    with pytest.raises(RenderError, match="does not exist"):
        render_template(env, "frr/none.j2", {})
    with pytest.raises(RenderError, match=r"frr/syntax\.j2:1 has a syntax error"):
        render_template(env, "frr/syntax.j2", {})


@pytest.mark.parametrize(
    "value", ["x\nend", "a;b", "a!b", "{x}", None, True, ["a"], {"a": 1}, 3.5, b"bytes", "x" * 300]
)
def test_unsafe_values_are_refused(tdir: Path, value: object) -> None:
    env = make_environment(tdir)
    with pytest.raises(RenderError, match=r"frr/raw\.j2"):
        render_template(env, "frr/raw.j2", {"value": value})


def test_real_templates_fail_loudly_on_missing_data() -> None:
    from netprov.render.link import DEFAULT_TEMPLATES_DIR

    env = make_environment(DEFAULT_TEMPLATES_DIR)
    with pytest.raises(RenderError, match=r"frr/distribution\.j2:\d+: variable 'text'"):
        render_template(env, "frr/distribution.j2", {})
