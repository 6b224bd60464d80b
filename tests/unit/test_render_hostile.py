"""Hostile letters, forms and NetBox text render with zero injected lines.

For each case of ``tests/data/hostile-render/corpus.yaml`` and each base sample, every
template (all platforms) is rendered with the hostile value and compared with the structure
of the benign render: the same number of lines, and every line matches its benign line
exactly except inside the free-text slots, whose content is safe text. Exact names
(interfaces, devices, VLAN names, slugs) must be rejected instead.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from netprov.domain.letters import parse_form, parse_letter
from netprov.domain.resources import Allocation
from netprov.domain.topology import load_topology
from netprov.errors import InputError, RenderError
from netprov.render.check import platform_overrides
from netprov.render.data import TemplateData, Text, build_template_data
from netprov.render.link import DEFAULT_TEMPLATES_DIR, render_targets
from netprov.render.playbook import load_playbook, plan_devices
from netprov.render.safe import is_safe_output
from netprov.render.validate import validators_for
from netprov.settings import REPO_ROOT, load_settings
from netprov_lab.samples import DEFAULT_SAMPLES_DIR

CORPUS = yaml.safe_load((REPO_ROOT / "tests/data/hostile-render/corpus.yaml").read_text(encoding="utf-8"))
SETTINGS = load_settings()
TOPOLOGY = load_topology(SETTINGS.topology_file)
PLAYBOOKS = {s: load_playbook(SETTINGS, s) for s in ("intranet", "internet")}
SLOTS = Text(
    description="SLOTDESC",
    opd="SLOTOPD",
    site="SLOTSITE",
    purpose="SLOTPURPOSE",
    contact="SLOTCONTACT",
    location="SLOTLOCATION",
)
OFFLINE = {"hier_config ios", "hier_config eos", "hier_config junos", "routeros syntax"}


def _raw(base: str) -> dict[str, Any]:
    raw = yaml.safe_load((DEFAULT_SAMPLES_DIR / f"{base}.yaml").read_text(encoding="utf-8"))
    raw["form"] = {"request": raw["request_id"], **copy.deepcopy(CORPUS["form"])}
    return raw


def _set(raw: dict[str, Any], field: str, value: Any) -> None:
    node = raw
    *path, last = field.split(".")
    for key in path:
        node = node[key]
    node[last] = value


def _build(raw: dict[str, Any]) -> TemplateData:
    letter = parse_letter(raw["letter"])
    form = parse_form(raw["form"])
    alloc = Allocation.model_validate(raw["allocation"])
    return build_template_data(
        raw["request_id"],
        letter,
        alloc,
        TOPOLOGY,
        form=form,
        internet_prefixes=raw.get("internet_prefixes") or (),
    )


def _render_all(data: TemplateData, alloc: Allocation) -> dict[str, str]:
    out: dict[str, str] = {}
    for override in platform_overrides():
        for t in plan_devices(PLAYBOOKS[alloc.service], alloc, TOPOLOGY, override):
            if t.template not in out:
                (cfg,) = render_targets(data, [t], DEFAULT_TEMPLATES_DIR)
                out[t.template] = cfg.text
    return out


def _line_pattern(slot_line: str) -> re.Pattern[str]:
    parts = re.split(r"(SLOT[A-Z]+)", slot_line)
    return re.compile("".join("(.*)" if p.startswith("SLOT") else re.escape(p) for p in parts))


CASES = [(base, case) for case in CORPUS["cases"] for base in CORPUS["bases"]]


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS["cases"]) >= 30
    assert sum(1 for c in CORPUS["cases"] if c.get("expect") != "reject") >= 30


@pytest.mark.parametrize(("base", "case"), CASES, ids=[f"{c['name']}-{b.split('-')[0]}" for b, c in CASES])
def test_hostile_input(base: str, case: dict[str, Any]) -> None:
    raw = _raw(base)
    value = case["value"] * case["repeat"] if "repeat" in case else case["value"]
    _set(raw, case["field"], value)
    if case.get("expect") == "reject":
        with pytest.raises((RenderError, InputError)):
            _build(raw)
        return
    try:
        data = _build(raw)
    except InputError:
        # the letter/form validation refused it outright: nothing reaches a config
        return
    alloc = Allocation.model_validate(raw["allocation"])
    for field, text in data.text:
        assert is_safe_output(text), f"text.{field} is not safe: {text!r}"
        assert "\n" not in text and "\r" not in text
    hostile = _render_all(data, alloc)
    structure = _render_all(data.model_copy(update={"text": SLOTS}), alloc)
    benign = _render_all(_build(_raw(base)), alloc)
    assert hostile.keys() == benign.keys() == structure.keys()
    assert hostile != benign, "the hostile value never reached a config: the case tests nothing"
    for template, text in hostile.items():
        lines, slot_lines = text.splitlines(), structure[template].splitlines()
        assert len(lines) == len(benign[template].splitlines()), f"{template}: line count"
        assert len(lines) == len(slot_lines)
        for n, (line, slot_line) in enumerate(zip(lines, slot_lines, strict=True), 1):
            m = _line_pattern(slot_line).fullmatch(line)
            assert m is not None, f"{template}:{n}: {line!r} does not match {slot_line!r}"
            for g in m.groups():
                assert is_safe_output(g), f"{template}:{n}: unsafe slot content {g!r}"
        platform = template.split("/")[0]
        for name, check in validators_for(platform):
            if name in OFFLINE:
                ok, problems = check(text)
                assert ok, f"{template} ({name}): {problems}"


def test_huge_text_is_bounded() -> None:
    raw = _raw("disdik-intranet-small")
    _set(raw, "allocation.opd_name", "Dinas " * 50_000)
    data = _build(raw)
    assert len(data.text.description) <= 72
    assert (
        max(
            len(ln)
            for t in _render_all(data, Allocation.model_validate(raw["allocation"])).values()
            for ln in t.splitlines()
        )
        < 200
    )
