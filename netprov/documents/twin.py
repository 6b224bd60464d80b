"""The completeness form's machine-readable twin: a YAML text the department fills in.

``netprov request form --fill FILE`` reads it back (``netprov.domain.letters.load_form``).
Blanks are empty strings or nulls so an unfilled form fails validation field by field.
"""

from __future__ import annotations

import re

from netprov.documents.dates import tanggal
from netprov.domain.letters import REQUEST_ID_RE, Letter
from netprov.errors import InputError

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def _comment(text: str) -> str:
    """Free text made safe for a one-line YAML comment (no line breaks, no control chars)."""
    return _UNSAFE.sub(" ", text).strip()


def form_twin_yaml(request_id: str, letter: Letter) -> str:
    """The YAML twin of the completeness form for ``request_id``, blanks to be filled."""
    if not REQUEST_ID_RE.match(request_id):
        raise InputError([f"request: {request_id!r} is not a request id"], source="form twin")
    ref = letter.letter
    return f"""\
# FORMULIR ISIAN KELENGKAPAN - permohonan {request_id}
# OPD: {_comment(letter.opd)}
# Surat: {_comment(ref.number)} tanggal {tanggal(ref.date)}
# Perihal: {_comment(ref.subject)}
#
# Isi setiap nilai yang kosong lalu kembalikan berkas ini ke Dinas.
# Fill in every blank value and return this file; it is read back by
#   netprov request form {request_id} --fill <this file>
# Keep the keys as they are; text in quotes, dates as YYYY-MM-DD.
request: {request_id}      # jangan diubah / do not change

pic:                       # penanggung jawab teknis di lokasi / contact person on site
  name: ""                 # nama lengkap / full name
  nip: ""                  # NIP 18 digit, mis. "19800101 200501 1 001"
  phone: ""                # telepon, mis. "0778 123456"
  email: ""                # surel dinas, mis. "nama@opd.batam.go.id"

location:                  # lokasi pemasangan / where the link ends
  building: ""             # gedung
  room: ""                 # ruang (ruang server / rak)
  latitude:                # lintang, derajat desimal, mis. 1.1301
  longitude:               # bujur, derajat desimal, mis. 104.0530

equipment:                 # perangkat yang akan terhubung
  devices:                 # jumlah perangkat (surat menyebut {letter.hosts} host)
  notes: ""                # catatan (opsional), mis. jenis perangkat

schedule:
  preferred_date:          # tanggal pemasangan yang diinginkan, YYYY-MM-DD
"""
