"""Inventory fields of a `cloud-account` object (called by assess.inventory.load).

    - id: prod-account
      type: cloud-account
      provider: aws                      # aws (Alibaba Cloud, Tencent Cloud, Huawei Cloud: not yet)
      regions: [cn-north-1, cn-northwest-1]   # default: the SDK's configured region
      profile: audit                     # optional: a named profile of the provider's CLI configuration
      offline: saved/prod-account/       # optional: the CLI's saved JSON instead of live calls
      endpoint_url: http://127.0.0.1:5000/   # optional: an API-compatible endpoint (tests, private endpoints)

Credentials are never written here: the SDK's own chain finds them (environment variables, the CLI's
credentials and config files, an instance role). Keys that look like credentials are refused.
"""

from __future__ import annotations

from typing import Any

from assess.catalog.schema import Field, Problems

PROVIDERS = ("aws",)
FIELDS = {
    "provider": Field(str, choices=PROVIDERS), "regions": Field(list, required=False),
    "profile": Field(str, required=False), "offline": Field(str, required=False),
    "endpoint_url": Field(str, required=False), "timeout": Field(float, required=False),
}
CREDENTIAL_KEYS = ("access_key", "secret_key", "access_key_id", "secret_access_key", "aws_access_key_id",
                   "aws_secret_access_key", "session_token", "aws_session_token", "accesskey_id",
                   "accesskey_secret", "credentials")


def connection(node: Any, problems: Problems, file: str, base_path: Any) -> dict[str, Any]:
    """The collector's settings for one cloud account; credential-like keys are errors."""
    for key in node:
        if str(key).lower() in CREDENTIAL_KEYS:
            problems.at(node, key, f"'{key}' is not accepted: cloud credentials never live in the inventory; the "
                                   "SDK reads them from its environment variables, credentials file or role "
                                   "(name a CLI profile with 'profile:')", file)
    regions = [str(r) for r in node.get("regions") or []]
    conn = {"transport": "cloud", "provider": node["provider"], "regions": regions,
            "profile": node.get("profile"), "endpoint_url": node.get("endpoint_url"),
            "timeout": float(node.get("timeout", 20))}
    if node.get("offline"):
        conn["offline"] = base_path(node["offline"])
    return conn

