"""The pages' words: Indonesian first, English on request (the ``lang`` cookie)."""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("id", "en")

# key -> (Indonesian, English)
WORDS: dict[str, tuple[str, str]] = {
    "app": ("Permohonan Jaringan Baru", "New network requests"),
    "login": ("Masuk", "Sign in"),
    "logout": ("Keluar", "Sign out"),
    "username": ("Nama pengguna", "User name"),
    "password": ("Kata sandi", "Password"),
    "login_wrong": ("Nama pengguna atau kata sandi salah", "Wrong user name or password"),
    "login_locked": (
        "Akun terkunci sementara karena terlalu banyak percobaan gagal",
        "Account locked for a while after too many failed attempts",
    ),
    "tasks": ("Tugas saya", "My tasks"),
    "tasks_none": ("Tidak ada tugas yang menunggu Anda", "Nothing waits on you"),
    "register": ("Daftar permohonan", "Register"),
    "dashboard": ("Dasbor", "Dashboard"),
    "submit": ("Kirim surat permohonan", "Submit a request letter"),
    "request": ("Permohonan", "Request"),
    "state": ("Status", "State"),
    "opd": ("OPD", "Department"),
    "service": ("Layanan", "Service"),
    "overdue": ("Terlambat", "Overdue"),
    "due": ("Batas waktu", "Due"),
    "step": ("Langkah", "Step"),
    "next_role": ("Menunggu", "Waiting on"),
    "filter": ("Saring", "Filter"),
    "all": ("Semua", "All"),
    "timeline": ("Riwayat", "Timeline"),
    "actor": ("Pelaku", "Actor"),
    "role": ("Peran", "Role"),
    "time": ("Waktu", "Time"),
    "sla": ("SLA", "SLA"),
    "on_time": ("tepat waktu", "on time"),
    "late_days": ("terlambat {n} hari kerja", "{n} working days late"),
    "note": ("Catatan", "Note"),
    "documents": ("Dokumen", "Papers"),
    "download": ("Unduh", "Download"),
    "preview": ("Pratinjau", "Preview"),
    "actions": ("Tindakan", "Actions"),
    "no_actions": ("Tidak ada tindakan untuk Anda saat ini", "Nothing for you to do now"),
    "letter": ("Surat", "Letter"),
    "findings": ("Hasil pemeriksaan", "Findings"),
    "form": ("Formulir kelengkapan", "Completeness form"),
    "form_from_opd": ("Formulir dari OPD", "Form from the department"),
    "error": ("Ditolak", "Refused"),
    "back": ("Kembali", "Back"),
    "per_state": ("Permohonan per status", "Requests per state"),
    "sla_month": ("SLA terpenuhi per langkah bulan ini", "SLA kept per step this month"),
    "overdue_list": ("Daftar terlambat", "Overdue list"),
    "scan": ("Pindaian surat (PDF/JPEG/PNG, maks. 10 MB)", "Scanned letter (PDF/JPEG/PNG, max 10 MB)"),
    "evidence": ("Bukti (PDF/JPEG/PNG, maks. 10 MB)", "Evidence (PDF/JPEG/PNG, max 10 MB)"),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
    "netbox": ("Objek di NetBox", "Objects in NetBox"),
    "progress": ("Kemajuan", "Progress"),
    "diff": ("Perbedaan konfigurasi (uji coba)", "Config diff (dry run)"),
}

ACTIONS: dict[str, tuple[str, str]] = {
    "dispose": ("Disposisikan", "Dispose"),
    "assign": ("Tunjuk staf", "Assign staff"),
    "reassign": ("Alihkan ke staf lain", "Reassign to other staff"),
    "check": ("Periksa (manual)", "Check (manual)"),
    "check-netbox": ("Periksa di NetBox", "Check in NetBox"),
    "reject": ("Tolak", "Reject"),
    "sign-reply": ("Tandatangani surat balasan", "Sign the reply letter"),
    "accept": ("Terima", "Accept"),
    "form": ("Catat formulir kelengkapan", "Record the completeness form"),
    "opd-form": ("Isi formulir kelengkapan", "Fill in the completeness form"),
    "provision": ("Catat koneksi dibuat manual", "Record the link built by hand"),
    "provision-run": ("Jalankan provisioning", "Run provisioning"),
    "report": ("Buat Berita Acara", "Write the Berita Acara"),
    "forward": ("Laporkan ke Kepala Dinas", "Report to the head of agency"),
    "review": ("Setujui", "Approve"),
    "return": ("Kembalikan ke staf", "Return to staff"),
}

STATES: dict[str, tuple[str, str]] = {
    "received": ("Diterima", "Received"),
    "disposed": ("Didisposisikan", "Disposed"),
    "assigned": ("Ditugaskan", "Assigned"),
    "checked": ("Diperiksa", "Checked"),
    "rejected": ("Ditolak", "Rejected"),
    "reply_signed": ("Surat balasan ditandatangani", "Reply signed"),
    "form_requested": ("Formulir diminta", "Form requested"),
    "form_complete": ("Formulir lengkap", "Form complete"),
    "provisioned": ("Koneksi dibuat", "Provisioned"),
    "reported": ("Dilaporkan", "Reported"),
    "forwarded": ("Diteruskan", "Forwarded"),
    "reviewed": ("Direview", "Reviewed"),
    "done": ("Selesai", "Done"),
    "closed": ("Ditutup", "Closed"),
}


def translator(lang: str, table: dict[str, tuple[str, str]] = WORDS) -> Callable[..., str]:
    """``t(key, **values)`` for one language from ``table`` (the key itself when unknown)."""
    i = 1 if lang == "en" else 0

    def t(key: str, **values: object) -> str:
        return table[key][i].format(**values) if key in table else key

    return t


def pick(lang: str | None) -> str:
    return lang if lang in LANGS else "id"
