"""Letters and forms: the contract formats validate, and every bad input names its field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from netprov.domain.letters import load_form, load_letter, parse_form, parse_letter
from netprov.errors import InputError
from tests.form_file import FORM_YAML

DATA = Path(__file__).parent.parent / "data"
CASES = yaml.safe_load((DATA / "bad_inputs.yaml").read_text())


def _patched(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for path, value in patch.items():
        *parents, leaf = path.split(".")
        node = doc
        for p in parents:
            node = node[p]
        if value == "__delete__":
            node.pop(leaf, None)
        elif value == "__LONG__":
            node[leaf] = "x" * 5000
        else:
            node[leaf] = value
    return doc


def test_contract_letter_and_form_parse() -> None:
    letter = load_letter(DATA / "letter-intranet.yaml")
    assert letter.opd == "Dinas Pendidikan" and letter.service == "intranet" and letter.hosts == 20
    form = load_form(FORM_YAML)
    assert form.request == "PJB-2026-0001" and form.equipment.devices == 12


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_names_the_field(case: dict[str, Any]) -> None:
    name = "letter-intranet.yaml" if case["kind"] == "letter" else "form.yaml"
    base = yaml.safe_load((DATA / name).read_text())
    parse = parse_letter if case["kind"] == "letter" else parse_form
    with pytest.raises(InputError) as err:
        parse(_patched(base, case["patch"]))
    assert any(
        p.startswith(case["field"] + ":") or p.startswith(case["field"] + ".") for p in err.value.problems
    ), err.value.problems


def test_several_problems_are_all_reported() -> None:
    base = yaml.safe_load((DATA / "letter-intranet.yaml").read_text())
    doc = _patched(base, {"hosts": 0, "service": "wifi", "contact.email": "nope"})
    with pytest.raises(InputError) as err:
        parse_letter(doc)
    fields = {p.split(":")[0] for p in err.value.problems}
    assert {"hosts", "service", "contact.email"} <= fields


def test_not_yaml_and_not_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("opd: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_letter(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(InputError, match="mapping"):
        load_letter(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_letter(tmp_path / "missing.yaml")


def test_service_is_one_of_the_playbooks_found() -> None:
    base = yaml.safe_load((DATA / "letter-intranet.yaml").read_text())
    with pytest.raises(InputError) as err:
        parse_letter(_patched(base, {"service": "wifi"}))
    (problem,) = [p for p in err.value.problems if p.startswith("service:")]
    assert "'wifi'" in problem and "internet" in problem and "intranet" in problem
    # a service is known because a playbook defines it, not because code names it
    assert parse_letter(_patched(base, {"service": "wifi"}), services={"wifi"}).service == "wifi"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "letter.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_yaml_1_1_surprises_are_refused_not_converted(tmp_path: Path) -> None:
    text = (DATA / "letter-intranet.yaml").read_text()
    with pytest.raises(InputError) as err:
        load_letter(_write(tmp_path, text.replace("bandwidth_mbps: 50", "bandwidth_mbps: yes")))
    assert any(p.startswith("bandwidth_mbps:") for p in err.value.problems)
    with pytest.raises(InputError) as err:
        load_letter(_write(tmp_path, text.replace("hosts: 20", "hosts: 1:30")))
    assert any(p.startswith("hosts:") for p in err.value.problems)
    # "yes" where text belongs stays the text the department wrote
    letter = load_letter(_write(tmp_path, text.replace("opd: Dinas Pendidikan", "opd: yes")))
    assert letter.opd == "yes"


def test_duplicate_keys_impossible_dates_and_huge_numbers_name_the_line(tmp_path: Path) -> None:
    text = (DATA / "letter-intranet.yaml").read_text()
    with pytest.raises(InputError, match="line 9: repeats the key 'hosts'"):
        load_letter(_write(tmp_path, text + "hosts: 9000\n"))
    for bad in ("2026-02-30", "2026-13-01", "2026-11-31"):
        with pytest.raises(InputError, match=f"does not exist \\({bad}\\)"):
            load_letter(_write(tmp_path, text.replace("date: 2026-11-20", f"date: {bad}")))
    with pytest.raises(InputError, match="longer than 30 digits"):
        load_letter(_write(tmp_path, text.replace("hosts: 20", "hosts: " + "9" * 5000)))
    with pytest.raises(InputError, match="nested deeper than 20"):
        load_letter(_write(tmp_path, text + "x: " + "[" * 30 + "]" * 30 + "\n"))


def test_many_problems_are_listed_up_to_ten_then_counted(tmp_path: Path) -> None:
    text = (DATA / "letter-intranet.yaml").read_text() + "".join(f"extra{i}: {i}\n" for i in range(1000))
    with pytest.raises(InputError) as err:
        load_letter(_write(tmp_path, text))
    assert len(err.value.problems) == 11 and err.value.problems[-1] == "and 990 more problems"


def test_invisible_ends_are_stripped_and_inner_text_kept() -> None:
    base = yaml.safe_load((DATA / "letter-intranet.yaml").read_text())
    letter = parse_letter(_patched(base, {"opd": "\ufeff Dinas Pendidikan\u200b"}))
    assert letter.opd == "Dinas Pendidikan"


def test_not_a_regular_file_is_refused_without_reading(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        with pytest.raises(InputError, match="not a regular file"):
            load_letter(path)
