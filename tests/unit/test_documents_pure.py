"""Documents, pure parts: Indonesian dates, letter numbers, secret masking, the form twin."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from netprov.documents.context import DocumentContext, DocumentKind
from netprov.documents.dates import hari, roman, tanggal, terbilang, waktu, zone
from netprov.documents.masking import MASK, mask_secrets
from netprov.documents.numbering import letter_number, request_seq
from netprov.documents.people import people_by_role
from netprov.documents.twin import form_twin_yaml
from netprov.domain.letters import parse_form
from netprov.domain.sop import Role
from netprov.domain.users import load_directory
from netprov.errors import ConfigError, InputError
from netprov_lab.document_samples import accepted_context, sample_letter


def test_indonesian_dates() -> None:
    d = dt.date(2026, 11, 29)
    assert tanggal(d) == "29 November 2026"
    assert hari(d) == "Minggu"
    assert [hari(dt.date(2026, 11, 23) + dt.timedelta(days=i)) for i in range(7)] == [
        "Senin",
        "Selasa",
        "Rabu",
        "Kamis",
        "Jumat",
        "Sabtu",
        "Minggu",
    ]
    assert tanggal(dt.date(2026, 8, 1)) == "1 Agustus 2026"
    at = dt.datetime(2026, 11, 29, 7, 5, tzinfo=dt.UTC)
    assert waktu(at, zone("Asia/Jakarta")) == "29 November 2026 14.05 WIB"
    assert waktu(at, zone("Asia/Makassar")).endswith("15.05 WITA")


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "nol"),
        (1, "satu"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (29, "dua puluh sembilan"),
        (100, "seratus"),
        (111, "seratus sebelas"),
        (1000, "seribu"),
        (2026, "dua ribu dua puluh enam"),
        (31, "tiga puluh satu"),
    ],
)
def test_terbilang(n: int, words: str) -> None:
    assert terbilang(n) == words


def test_roman_months() -> None:
    assert [roman(m) for m in range(1, 13)] == [
        "I",
        "II",
        "III",
        "IV",
        "V",
        "VI",
        "VII",
        "VIII",
        "IX",
        "X",
        "XI",
        "XII",
    ]


def test_letter_number_default_scheme_and_errors() -> None:
    fmt = "{seq:03d}/{code}/{kind}/{roman_month}/{year}"
    on = dt.date(2026, 11, 29)
    assert letter_number(fmt, seq=7, code="Kominfo-PE", kind="BA", on=on) == "007/Kominfo-PE/BA/XI/2026"
    assert (
        letter_number("800/{seq}/{kind}-{code}/{year}", seq=12, code="X", kind="LP", on=on)
        == "800/12/LP-X/2026"
    )
    assert request_seq("PJB-2026-0007") == 7
    with pytest.raises(ConfigError, match="unknown field"):
        letter_number("{seq}/{month}", seq=1, code="X", kind="BA", on=on)
    with pytest.raises(ConfigError, match="letter_number_format"):
        letter_number("{seq", seq=1, code="X", kind="BA", on=on)
    with pytest.raises(ConfigError, match="letter_number_format"):
        letter_number("{code:03d}", seq=1, code="X", kind="BA", on=on)


@pytest.mark.parametrize(
    ("line", "masked", "secret"),
    [
        ("+ password 7 0822455D0A16", "+ password 7 ********", "0822455D0A16"),
        ("+ snmp-server community pemko-ro RO", "+ snmp-server community ********", "pemko-ro"),
        (" ip ospf message-digest-key 1 md5 KeY123", " ip ospf message-digest-key 1 md5 ********", "KeY123"),
        ("+ ip ospf authentication-key s3cr3t", "+ ip ospf authentication-key ********", "s3cr3t"),
        (
            "username admin privilege 15 secret 5 $1$abc$def",
            "username admin privilege 15 secret 5 ********",
            "$1$abc",
        ),
        ('    password "hunter 2";', "    password ********;", "hunter"),
        ("token: abc123", "token: ********", "abc123"),
        ("api_key=xyz;", "api_key=********;", "xyz"),
        ("+  key-string 7 ABCD", "+  key-string 7 ********", "ABCD"),
        ("-neighbor 10.0.0.1 password old", "-neighbor 10.0.0.1 password ********", "old"),
    ],
)
def test_mask_secrets(line: str, masked: str, secret: str) -> None:
    assert mask_secrets(line) == masked
    assert secret not in mask_secrets(line)


def test_mask_keeps_ordinary_config() -> None:
    text = "interface eth2.100\n ip address 10.250.0.1/30\n+ keepalive 10\nno password\n"
    assert mask_secrets(text) == text


def test_device_diff_is_masked_in_the_context() -> None:
    ctx = accepted_context()
    assert ctx.evidence is not None
    diffs = "\n".join(d.diff for d in ctx.evidence.devices)
    assert "s3cr3tOSPF" not in diffs and "pemko-ro" not in diffs
    assert diffs.count(MASK) == 2


def test_context_derives_seq_and_checks_request_id() -> None:
    ctx = accepted_context()
    assert ctx.seq == 7
    with pytest.raises(ValueError, match="request id"):
        DocumentContext(request_id="../../etc", letter=sample_letter())
    assert DocumentKind.BERITA_ACARA.step == 8
    assert DocumentKind.BERITA_ACARA.code == "BA"


def _fill(text: str, rid: str) -> str:
    """Fill the blanks the way a person would, in the text (comments stay)."""
    values = {
        '  name: ""': '  name: "Agus Salim"',
        '  nip: ""': '  nip: "19850505 201001 1 005"',
        '  phone: ""': '  phone: "0812 7000 1234"',
        '  email: ""': '  email: "agus@disdik.batam.go.id"',
        '  building: ""': '  building: "Gedung UPT"',
        '  room: ""': '  room: "Ruang Server"',
        "  latitude:": "  latitude: 1.1301",
        "  longitude:": "  longitude: 104.0530",
        "  devices:": "  devices: 18",
        "  preferred_date:": "  preferred_date: 2026-12-03",
    }
    out = []
    for line in text.splitlines():
        for blank, filled in values.items():
            if line.startswith(blank + " ") or line == blank:
                line = filled + line[len(blank) :]
                break
        out.append(line)
    return "\n".join(out) + "\n"


def test_form_twin_round_trip() -> None:
    letter = sample_letter()
    text = form_twin_yaml("PJB-2026-0007", letter)
    data = yaml.safe_load(text)
    assert data["request"] == "PJB-2026-0007"
    assert set(data) == {"request", "pic", "location", "equipment", "schedule"}
    assert set(data["pic"]) == {"name", "nip", "phone", "email"}
    with pytest.raises(InputError) as exc:  # unfilled: every blank is a problem
        parse_form(data)
    assert len(exc.value.problems) >= 8
    form = parse_form(yaml.safe_load(_fill(text, "PJB-2026-0007")))
    assert form.request == "PJB-2026-0007"
    assert form.pic.nip == "19850505 201001 1 005"
    assert form.schedule.preferred_date == dt.date(2026, 12, 3)


def test_form_twin_comments_cannot_inject_keys() -> None:
    letter = sample_letter(
        opd="Dinas X\nrequest: PJB-2026-9999\npic: {}",
        letter={"number": "1\u2028schedule: x", "date": dt.date(2026, 11, 20), "subject": "a\rb"},
    )
    data = yaml.safe_load(form_twin_yaml("PJB-2026-0007", letter))
    assert data["request"] == "PJB-2026-0007"
    assert data["pic"]["name"] == ""
    with pytest.raises(InputError):
        form_twin_yaml("../x", letter)


def test_signers_from_directory_and_timeline() -> None:
    ctx = accepted_context()
    directory = load_directory(None)
    people = people_by_role(directory, ctx.timeline, opd="Dinas Pendidikan")
    # timeline actors (budi, siti, rudi) are not in the built-in directory: their names are used
    assert people[Role.STAFF].name == "Budi Santoso, S.Kom."
    assert people[Role.KASI].name == directory.with_role(Role.KASI)[0].name
    assert Role.OPD not in people


def test_diff_summary_drops_english_headings() -> None:
    from netprov.documents.wording import summarize_diff

    frr = (
        "Lines To Delete\n===============\nip route 1.0.0.0/8 x\n\n"
        "Lines To Add\n============\ninterface eth4\n ip address 10.0.0.1/30\n"
    )
    got = summarize_diff(frr)
    assert got.removed == ["ip route 1.0.0.0/8 x"]
    assert got.added == ["interface eth4", " ip address 10.0.0.1/30"]
    uni = summarize_diff("--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n same")
    assert (uni.added, uni.removed) == (["new"], ["old"])
