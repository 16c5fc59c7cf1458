"""Network and security devices (Huawei VRP, H3C Comware, Cisco IOS/IOS-XE, Cisco ASA) from the files an
operator exported: configurations and raw terminal session logs. The facts are declared here; the
collector (assess.probes.network.collector) reads the inventory's `files:`."""

from assess.probes.facts import declare
from assess.probes.network.facts import DESCRIPTIONS, DEVICE_TYPES

for _type in DEVICE_TYPES:
    for _name, _description in DESCRIPTIONS.items():
        declare(_name, _description, object_type=_type)
