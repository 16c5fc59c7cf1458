"""The AWS adapter (boto3), read-only: only the Describe/List/Get operations of ALLOWED can be called.

Credentials come from the SDK's usual chain (environment, ~/.aws/credentials and config, an instance or
container role); an inventory names at most a profile. Throttling is retried by botocore's standard retry
mode (exponential backoff with jitter); a denied call fails only the facts that need it.
"""

from __future__ import annotations

from typing import Any

from assess.probes.cloud.source import (
    ABSENT_CODES,
    DENIED_CODES,
    GLOBAL,
    CallFailed,
    Recorder,
    call_id,
    denied_reason,
)

#: The only operations the adapter may call, per service (tests assert every one is a Describe/List/Get).
ALLOWED: dict[str, frozenset[str]] = {
    "sts": frozenset({"GetCallerIdentity"}),
    "ec2": frozenset({"DescribeSecurityGroups", "DescribeVpcs", "DescribeSubnets", "DescribeRegions"}),
    "iam": frozenset({"ListUsers", "GetLoginProfile", "ListMFADevices", "ListAccessKeys", "GetAccessKeyLastUsed",
                      "GetAccountSummary"}),
    "cloudtrail": frozenset({"DescribeTrails", "GetTrailStatus", "GetEventSelectors"}),
    "rds": frozenset({"DescribeDBInstances"}),
    "s3": frozenset({"ListBuckets", "GetBucketLocation", "GetBucketAcl", "GetPublicAccessBlock",
                     "GetBucketEncryption", "GetBucketLifecycleConfiguration"}),
}
READ_PREFIXES = ("Describe", "List", "Get")
MAX_ATTEMPTS = 6


class NotAllowed(Exception):
    """An operation outside the read-only allow-list was requested: a programming error, never sent."""


def allowed(service: str, operation: str) -> bool:
    return operation in ALLOWED.get(service, ()) and operation.startswith(READ_PREFIXES)


class AWSSource:
    """Answers API calls through boto3, recording each answer or failure."""

    origin = "aws-sdk"

    def __init__(self, regions: list[str], profile: str | None = None, endpoint_url: str | None = None,
                 recorder: Recorder | None = None, timeout: float = 20.0):
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]

        self.session = boto3.session.Session(profile_name=profile)
        self.regions = regions or [self.session.region_name or "cn-north-1"]
        self.endpoint_url = endpoint_url
        self.config = Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
                             connect_timeout=timeout, read_timeout=timeout, user_agent_extra="assess-readonly")
        self.recorder = recorder or Recorder()
        self._clients: dict[tuple[str, str], Any] = {}
        self.calls = 0

    def home(self) -> str:
        return self.regions[0]

    def _client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region, endpoint_url=self.endpoint_url,
                                                     config=self.config)
        return self._clients[key]

    def call(self, service: str, operation: str, region: str | None = None, key: str | None = None,
             **params: Any) -> dict[str, Any]:
        """One allow-listed call; its answer without ResponseMetadata, as the CLI would print it."""
        if not allowed(service, operation):
            raise NotAllowed(f"{service}:{operation} is not on the read-only allow-list")
        from botocore import xform_name  # type: ignore[import-untyped]
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

        region = region or self.home()
        cid = call_id(service, operation, None if service in GLOBAL else region, key)
        client = self._client(service, region)
        name = xform_name(operation)
        self.calls += 1
        try:
            if client.can_paginate(name):
                answer = client.get_paginator(name).paginate(**params).build_full_result()
            else:
                answer = getattr(client, name)(**params)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code, message = str(err.get("Code", "")), str(err.get("Message", ""))
            if code in ABSENT_CODES:
                self.recorder.answer(cid, self.origin, {"absent": code})
                return {"absent": code}
            reason = denied_reason(service, operation, code, message) if code in DENIED_CODES else \
                f"{service}:{operation} failed ({code}: {message.strip()[:200]})"
            self.recorder.failure(cid, self.origin, reason, code)
            raise CallFailed(reason, code) from None
        except BotoCoreError as exc:
            reason = f"{service}:{operation} in {region} failed: {exc}"
            self.recorder.failure(cid, self.origin, reason, type(exc).__name__)
            raise CallFailed(reason, type(exc).__name__) from None
        answer = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
        self.recorder.answer(cid, self.origin, answer)
        return answer

