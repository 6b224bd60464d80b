"""netprov: the SOP "Permohonan Jaringan Baru" as software."""

__version__ = "0.1.0"
