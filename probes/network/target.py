"""Inventory fields of `network-device` and `security-device` objects, and their connection.

```yaml
- id: core-sw
  type: network-device
  vendor: h3c                 # huawei | h3c | cisco | cisco-asa
  files: [exports/core-sw.cfg, exports/core-sw-session.log]   # relative to the inventory
  tags: [boundary]            # a network device that is a boundary between zones (firewalls always are)
```
An unknown vendor or an unreadable file is not an inventory error: that object's results are 无法判定 with
the reason, and the other objects are scanned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assess.catalog.schema import Field, Problems
from assess.yamlio import Node, plain

FIELDS: dict[str, Field] = {"vendor": Field(str), "files": Field((str, list), required=False)}


def connection(node: Node, problems: Problems, file: str, resolve: Callable[[str], str]) -> dict[str, Any]:
    files = node.get("files")
    names = [files] if isinstance(files, str) else [str(x) for x in plain(files or [])]
    if not names:
        problems.at(node, "files", f"object '{node['id']}' needs files: the exported configuration or session "
                                   "logs (display current-configuration / show running-config)", file)
    return {"transport": "files", "vendor": str(node.get("vendor", "")).strip().lower(),
            "files": [resolve(n) for n in names]}
