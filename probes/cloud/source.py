"""Where a cloud account's API answers come from: the provider's SDK (online) or the JSON its CLI printed
(offline). Both record every answer as a raw snapshot with its sha256, so an evaluator can re-judge offline.

A call is named by service, operation (the API's own name, e.g. `DescribeSecurityGroups`), region and, for
calls about one resource, a key (bucket name, user name). A call that cannot be answered raises CallFailed
with the reason; a denied call names the permission (`ec2:DescribeSecurityGroups`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

#: Error codes that mean the credentials lack a permission for this one call.
DENIED_CODES = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
                "AuthorizationError", "Forbidden")
#: Error codes that mean the resource simply has no such configuration (an answer, not a failure).
ABSENT_CODES = ("NoSuchEntity", "ServerSideEncryptionConfigurationNotFoundError", "NoSuchPublicAccessBlockConfiguration",
                "NoSuchLifecycleConfiguration", "TrailNotFoundException")
GLOBAL = ("iam", "s3", "sts")
_PREFIX = {"cloudtrail": "cloudtrail", "ec2": "ec2", "iam": "iam", "rds": "rds", "s3": "s3", "sts": "sts"}


class CallFailed(Exception):
    """An API call gave no usable answer (denied, region not enabled, throttled past the retries, …)."""

    def __init__(self, reason: str, code: str = ""):
        super().__init__(reason)
        self.code = code


def permission(service: str, operation: str) -> str:
    """The IAM action a call needs (S3's actions differ from the operation names for a few calls)."""
    s3 = {"GetBucketAcl": "GetBucketAcl", "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
          "GetBucketEncryption": "GetEncryptionConfiguration", "GetBucketLocation": "GetBucketLocation",
          "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration", "ListBuckets": "ListAllMyBuckets"}
    action = s3.get(operation, operation) if service == "s3" else operation
    return f"{_PREFIX.get(service, service)}:{action}"


def denied_reason(service: str, operation: str, code: str, message: str) -> str:
    return (f"无法判定: permission {permission(service, operation)} denied ({code}: {message.strip()[:200]}); "
            "grant it (read-only) or collect this fact offline")


def call_id(service: str, operation: str, region: str | None, key: str | None) -> str:
    return f"{service}.{operation}" + (f"@{region}" if region else "") + (f"#{key}" if key else "")


def kebab(operation: str) -> str:
    """`DescribeSecurityGroups` → `describe-security-groups`, `ListMFADevices` → `list-mfa-devices` (the CLI's
    command name)."""
    split = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", operation)  # ListMFADevices → ListMFA-Devices
    return re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", split).lower()


def digest(answer: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical(answer).encode()).hexdigest()


def canonical(answer: Any) -> str:
    return json.dumps(answer, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


@dataclass
class Recorder:
    """Every answer (or failure) of a collection, by call id: the raw evidence of the object."""

    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)

    def answer(self, cid: str, origin: str, answer: Any) -> str:
        plain = json.loads(canonical(answer))
        eid = digest(plain)
        self.snapshots[cid] = {"id": eid, "origin": origin, "answer": plain}
        return eid

    def failure(self, cid: str, origin: str, reason: str, code: str) -> None:
        self.snapshots[cid] = {"id": digest({"error": code, "reason": reason}), "origin": origin,
                               "error": code, "reason": reason}


class Memo:
    """One answer per call in a collection: facts that read the same call share it (and its failure)."""

    def __init__(self, source: Any):
        self.source = source
        self.regions = source.regions
        self._seen: dict[tuple, Any] = {}
        self.touched: list[str] = []  # call ids read since the last reset (the evidence of one fact)

    def home(self) -> str:
        return self.source.home()

    def call(self, service: str, operation: str, region: str | None = None, key: str | None = None,
             **params: Any) -> dict[str, Any]:
        k = (service, operation, region or self.source.home(), key)
        self.touched.append(call_id(service, operation, None if service in GLOBAL else k[2], key))
        if k not in self._seen:
            try:
                self._seen[k] = self.source.call(service, operation, region, key, **params)
            except CallFailed as exc:
                self._seen[k] = exc
        hit = self._seen[k]
        if isinstance(hit, CallFailed):
            raise hit
        return hit


class SnapshotSource:
    """Answers API calls from the snapshots of an earlier collection (re-judging evidence offline). A snapshot
    whose answer no longer matches its sha256 is refused, as is a call the collection never made."""

    origin = "evidence"

    def __init__(self, raw: dict[str, Any], regions: list[str], recorder: Recorder | None = None):
        self.raw = raw
        self.regions = regions
        self.recorder = recorder or Recorder()
        self.calls = 0

    def home(self) -> str:
        return self.regions[0]

    def call(self, service: str, operation: str, region: str | None = None, key: str | None = None,
             **params: Any) -> dict[str, Any]:
        cid = call_id(service, operation, None if service in GLOBAL else (region or self.home()), key)
        self.calls += 1
        snap = self.raw.get(cid)
        if not isinstance(snap, dict):
            raise CallFailed(f"not collected: the evidence has no answer for {cid}", "missing")
        if "answer" not in snap:
            raise CallFailed(str(snap.get("reason") or f"{cid} failed"), str(snap.get("error") or ""))
        if digest(snap["answer"]) != snap.get("id"):
            raise CallFailed(f"the recorded answer of {cid} does not match its sha256 (edited after collection?)",
                             "tampered")
        self.recorder.snapshots[cid] = snap
        return snap["answer"]
