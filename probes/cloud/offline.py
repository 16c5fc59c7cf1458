"""Offline mode: the JSON the provider's CLI printed for the same calls, saved by the operator.

Layout of the directory (one file per call; `aws ... --output json > FILE`, or the CLI's error text
`2> FILE.err` when the call failed):

    <service>/<cli-command>[.<region>][.<key>].json      e.g. ec2/describe-security-groups.cn-north-1.json
                                                                 s3/get-bucket-acl.my-bucket.json
                                                                 iam/list-mfa-devices.alice.json

Regional calls carry the region, global ones (iam, s3, sts) do not; calls about one resource carry its key
(bucket or user name). A missing file is a call not collected: the facts that need it are 无法判定.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from assess.probes.cloud.source import (
    ABSENT_CODES,
    DENIED_CODES,
    GLOBAL,
    CallFailed,
    Recorder,
    call_id,
    denied_reason,
    kebab,
)

MAX_FILE = 64 * 1024 * 1024
_CLI_ERROR = re.compile(r"An error occurred \((?P<code>[A-Za-z.]+)\)[^:]*:\s*(?P<message>.*)", re.S)


def file_name(service: str, operation: str, region: str | None, key: str | None) -> str:
    """Where the answer of one call lives in an offline directory (see the module docstring)."""
    parts = [kebab(operation)] + ([region] if region and service not in GLOBAL else []) + ([key] if key else [])
    return f"{service}/{'.'.join(parts)}.json"


class OfflineSource:
    """Answers API calls from saved CLI output, recording each as the online source would."""

    origin = "cli-json"

    def __init__(self, directory: Path, regions: list[str], recorder: Recorder | None = None):
        self.directory = Path(directory)
        self.regions = regions
        self.recorder = recorder or Recorder()
        self.calls = 0

    def home(self) -> str:
        return self.regions[0]

    def call(self, service: str, operation: str, region: str | None = None, key: str | None = None,
             **params: Any) -> dict[str, Any]:
        region = region or self.home()
        cid = call_id(service, operation, None if service in GLOBAL else region, key)
        name = file_name(service, operation, region, key)
        path = self.directory / name
        self.calls += 1
        err = path.with_name(path.name + ".err")
        if not path.is_file() and err.is_file():
            text = err.read_text(encoding="utf-8", errors="replace")[:4096]
            m = _CLI_ERROR.search(text)
            code, message = (m["code"], m["message"]) if m else ("", text)
            if code in ABSENT_CODES:
                self.recorder.answer(cid, self.origin, {"absent": code})
                return {"absent": code}
            reason = denied_reason(service, operation, code, message) if code in DENIED_CODES else \
                f"{service}:{operation} failed ({code or 'error'}: {message.strip()[:200]})"
            self.recorder.failure(cid, self.origin, reason, code)
            raise CallFailed(reason, code)
        if not path.is_file():
            reason = f"not collected: no {name} in {self.directory}"
            self.recorder.failure(cid, self.origin, reason, "missing")
            raise CallFailed(reason, "missing")
        if path.stat().st_size > MAX_FILE:
            raise CallFailed(f"{name} is larger than {MAX_FILE} bytes", "too-large")
        try:
            answer = json.loads(path.read_text(encoding="utf-8") or "{}")
        except ValueError as exc:
            reason = f"{name} is not the CLI's JSON output ({exc})"
            self.recorder.failure(cid, self.origin, reason, "malformed")
            raise CallFailed(reason, "malformed") from None
        if not isinstance(answer, dict):
            self.recorder.failure(cid, self.origin, f"{name} is not a JSON object", "malformed")
            raise CallFailed(f"{name} is not a JSON object", "malformed")
        self.recorder.answer(cid, self.origin, answer)
        return answer


_KEY_OPTION = {"GetLoginProfile": "--user-name", "ListMFADevices": "--user-name", "ListAccessKeys": "--user-name",
               "GetAccessKeyLastUsed": "--access-key-id", "GetTrailStatus": "--name", "GetEventSelectors": "--trail-name"}
_CLI_SERVICE = {"s3": "s3api"}


def cli_command(service: str, operation: str, region: str | None, key: str | None) -> list[str]:
    """The AWS CLI command whose JSON output is the saved answer of one call (stdout to `file_name(...)`,
    stderr to the same name plus `.err` when it fails). Calls about one resource take the names the list
    calls printed (ListBuckets → each bucket, ListUsers → each user, ListAccessKeys → each key id)."""
    cmd = ["aws", _CLI_SERVICE.get(service, service), kebab(operation), "--output", "json"]
    if region and service not in GLOBAL:
        cmd += ["--region", region]
    if key:
        cmd += [_KEY_OPTION.get(operation, "--bucket" if service == "s3" else "--name"), key]
    if operation == "DescribeTrails":
        cmd += ["--no-include-shadow-trails"]
    return cmd
