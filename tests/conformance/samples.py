"""A config each platform's validators accept and one they reject."""

from __future__ import annotations

SAMPLES: dict[str, tuple[str, str]] = {
    "frr": (
        "interface lo\n description netprov conformance\nexit\n",
        "interface lo\n nonsense-command 42\nexit\n",
    ),
    "bird2": (
        "router id 10.0.0.1;\nprotocol device {\n}\n",
        "router id 10.0.0.1;\nprotocol static {\n  nonsense;\n}\n",
    ),
    "ios": (
        "interface FastEthernet0/3\n description netprov\n switchport mode access\n no shutdown\n",
        "hostname evil\n",
    ),
    "eos": (
        "interface Ethernet3\n description netprov\n no shutdown\n",
        "interface Ethernet3\n no description\n",
    ),
    "junos": (
        'interfaces {\n    ge-0/0/3 {\n        description "netprov";\n    }\n}\n',
        'interfaces {\n    ge-0/0/3 {\n        description "netprov";\n    }\n',
    ),
    "routeros": (
        '/ip address\nadd address=10.250.0.1/30 interface=ether2 comment="netprov"\n',
        "/system reset-configuration\n",
    ),
}
