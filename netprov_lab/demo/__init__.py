"""``netprov demo``: a realistic day of the data-center team, on the local lab.

Four letters arrive. An intranet link for Dinas Pendidikan and an internet link for Bappeda go
through all eleven steps, built by the pipeline on the lab's routers, registered in NetBox,
Zabbix and Prometheus. Dinas Perhubungan asks for more internet bandwidth than the uplink has
left: checked and rejected; the head of agency signs the reply letter. Kecamatan Batam Kota's
letter arrived on the Friday before Independence Day: its deadline skips the holiday.
"""
