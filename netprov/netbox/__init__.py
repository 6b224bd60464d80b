"""NetBox adapter: the only importer of pynetbox in netprov.

- ``netprov.netbox.port.Ipam``: the interface services depend on (no pynetbox).
- ``netprov.netbox.adapter.NetBoxIpam``: step-4 check, allocate, release, journal, audit.
- ``netprov.netbox.seed.seed_netbox``: the city network into NetBox (idempotent).
- ``netprov.netbox.inventory.NetBoxInventory``: a Nornir inventory read from NetBox.
"""
