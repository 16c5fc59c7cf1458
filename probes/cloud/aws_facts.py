"""AWS facts of a `cloud-account`, derived from API answers (online or offline: the same code reads both).

Each function takes a source (assess.probes.cloud.aws.AWSSource or .offline.OfflineSource) and returns the
fact's plain value; a call that failed raises CallFailed, which makes that fact (only) 无法判定.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

#: Regions in mainland China (the aws-cn partition). Hong Kong is not counted as mainland (domain notes §2.1).
MAINLAND = ("cn-north-1", "cn-northwest-1")
#: Management and database ports that must never be open to the whole Internet (domain notes §3.3).
SENSITIVE_PORTS = {22: "ssh", 3389: "rdp", 3306: "mysql", 1433: "mssql", 1521: "oracle", 5432: "postgresql",
                   6379: "redis", 9200: "elasticsearch", 11211: "memcached", 27017: "mongodb", 23: "telnet",
                   2375: "docker", 5900: "vnc"}
WORLD = ("0.0.0.0/0", "::/0")
_ALL_USERS = ("http://acs.amazonaws.com/groups/global/AllUsers",
              "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _days(value: Any, now: datetime) -> int | None:
    t = _when(value)
    return None if t is None else max(0, (now - t).days)


def security_groups(src: Any, now: datetime) -> dict[str, Any]:
    """Ingress open to the world, per region: e.g. {"groups": 3, "world_open": [{"group": "sg-1",
    "region": "cn-north-1", "protocol": "tcp", "ports": "22-22", "cidr": "0.0.0.0/0",
    "sensitive": ["22/ssh"], "all_ports": false}], "world_sensitive": [...], "world_all_ports": [...]}"""
    open_rules, count = [], 0
    for region in src.regions:
        for g in src.call("ec2", "DescribeSecurityGroups", region).get("SecurityGroups", []):
            count += 1
            for perm in g.get("IpPermissions", []):
                cidrs = [r.get("CidrIp") for r in perm.get("IpRanges", [])] + \
                        [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges", [])]
                world = [c for c in cidrs if c in WORLD]
                if not world:
                    continue
                proto = str(perm.get("IpProtocol", ""))
                lo, hi = perm.get("FromPort"), perm.get("ToPort")
                all_ports = proto == "-1" or (proto in ("tcp", "6") and (lo in (None, 0, -1)) and hi in (None, 65535, -1))
                covered = sorted(p for p in SENSITIVE_PORTS if all_ports or (
                    proto in ("tcp", "6") and lo is not None and hi is not None and lo <= p <= hi))
                for cidr in world:
                    open_rules.append({"group": g.get("GroupId"), "name": g.get("GroupName"), "region": region,
                                       "protocol": proto, "ports": "all" if proto == "-1" else f"{lo}-{hi}",
                                       "cidr": cidr, "all_ports": all_ports,
                                       "sensitive": [f"{p}/{SENSITIVE_PORTS[p]}" for p in covered]})
    return {"groups": count, "world_open": open_rules,
            "world_sensitive": [r for r in open_rules if r["sensitive"]],
            "world_all_ports": [r for r in open_rules if r["all_ports"]]}


def networks(src: Any, now: datetime) -> dict[str, Any]:
    """VPCs and subnets per region, with their Name/env tags (production vs test separation is judged by
    interview): {"vpcs": [{"id", "region", "cidr", "default", "name", "subnets": n}], "count": n}"""
    vpcs = []
    for region in src.regions:
        subnets = src.call("ec2", "DescribeSubnets", region).get("Subnets", [])
        for v in src.call("ec2", "DescribeVpcs", region).get("Vpcs", []):
            tags = {t.get("Key"): t.get("Value") for t in v.get("Tags", [])}
            vpcs.append({"id": v.get("VpcId"), "region": region, "cidr": v.get("CidrBlock"),
                         "default": bool(v.get("IsDefault")), "name": tags.get("Name", ""),
                         "subnets": sum(1 for s in subnets if s.get("VpcId") == v.get("VpcId"))})
    return {"vpcs": vpcs, "count": len(vpcs)}


def iam_users(src: Any, now: datetime) -> dict[str, Any]:
    """Console users without MFA, access keys with age and days since last use, root access keys:
    {"users": 2, "console_without_mfa": ["bob"], "keys": [{"user", "key", "status", "age_days",
    "unused_days"}], "root_access_keys": 0}"""
    users = src.call("iam", "ListUsers").get("Users", [])
    no_mfa, keys = [], []
    for u in users:
        name = u["UserName"]
        console = "absent" not in src.call("iam", "GetLoginProfile", key=name, UserName=name)
        if console and not src.call("iam", "ListMFADevices", key=name, UserName=name).get("MFADevices"):
            no_mfa.append(name)
        for k in src.call("iam", "ListAccessKeys", key=name, UserName=name).get("AccessKeyMetadata", []):
            kid = k.get("AccessKeyId", "")
            used = src.call("iam", "GetAccessKeyLastUsed", key=kid, AccessKeyId=kid).get("AccessKeyLastUsed", {})
            age = _days(k.get("CreateDate"), now)
            last = _days(used.get("LastUsedDate"), now)
            keys.append({"user": name, "key": kid[:4] + "…" + kid[-4:], "status": k.get("Status"),
                         "age_days": age, "unused_days": last if last is not None else age})
    summary = src.call("iam", "GetAccountSummary").get("SummaryMap", {})
    return {"users": len(users), "console_without_mfa": no_mfa, "keys": keys,
            "active_keys": [k for k in keys if k["status"] == "Active"],
            "root_access_keys": int(summary.get("AccountAccessKeysPresent", 0)),
            "root_mfa": bool(summary.get("AccountMFAEnabled", 0))}


def trail(src: Any, now: datetime) -> dict[str, Any]:
    """CloudTrail: trails, whether one logs every region, delivery to S3, and the retention the delivery
    bucket's lifecycle allows (None = kept until deleted by hand): {"trails": [...], "multi_region_logging":
    bool, "delivered": bool, "retention_days": int | None}"""
    home = src.home()
    trails = []
    for t in src.call("cloudtrail", "DescribeTrails", home, includeShadowTrails=False).get("trailList", []):
        arn = t.get("TrailARN") or t.get("Name")
        region = t.get("HomeRegion") or home
        status = src.call("cloudtrail", "GetTrailStatus", region, key=t.get("Name"), Name=arn)
        selectors = src.call("cloudtrail", "GetEventSelectors", region, key=t.get("Name"), TrailName=arn)
        management = any(s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") in ("All", "WriteOnly")
                         for s in selectors.get("EventSelectors", [])) or bool(selectors.get("AdvancedEventSelectors"))
        trails.append({"name": t.get("Name"), "multi_region": bool(t.get("IsMultiRegionTrail")),
                       "logging": bool(status.get("IsLogging")), "management_events": management,
                       "bucket": t.get("S3BucketName") or "", "validation": bool(t.get("LogFileValidationEnabled")),
                       "delivery_error": status.get("LatestDeliveryError") or ""})
    good = [t for t in trails if t["multi_region"] and t["logging"] and t["management_events"]]
    delivered = [t for t in good if t["bucket"] and not t["delivery_error"]]
    retention: int | None = None
    for t in delivered[:1]:
        rules = src.call("s3", "GetBucketLifecycleConfiguration", key=t["bucket"], Bucket=t["bucket"]).get("Rules", [])
        days = [r.get("Expiration", {}).get("Days") for r in rules if r.get("Status") == "Enabled"]
        days = [d for d in days if isinstance(d, int)]
        retention = min(days) if days else None
    return {"trails": trails, "multi_region_logging": bool(good), "delivered": bool(delivered),
            "retention_days": retention, "retention_unlimited": bool(delivered) and retention is None}


def databases(src: Any, now: datetime) -> dict[str, Any]:
    """RDS instances: automated backup retention and storage encryption: {"instances": [...],
    "without_backup": [ids], "unencrypted": [ids]}"""
    out = []
    for region in src.regions:
        for d in src.call("rds", "DescribeDBInstances", region).get("DBInstances", []):
            out.append({"id": d.get("DBInstanceIdentifier"), "region": region, "engine": d.get("Engine"),
                        "backup_retention_days": int(d.get("BackupRetentionPeriod") or 0),
                        "encrypted": bool(d.get("StorageEncrypted")), "public": bool(d.get("PubliclyAccessible"))})
    return {"instances": out, "without_backup": [d["id"] for d in out if d["backup_retention_days"] < 1],
            "unencrypted": [d["id"] for d in out if not d["encrypted"]]}


def buckets(src: Any, now: datetime) -> dict[str, Any]:
    """S3 buckets: region, public ACL grants (unless the bucket's public-access block ignores them), default
    encryption: {"buckets": [...], "public": [names], "unencrypted": [names]}"""
    out = []
    for b in src.call("s3", "ListBuckets").get("Buckets", []):
        name = b["Name"]
        loc = src.call("s3", "GetBucketLocation", key=name, Bucket=name).get("LocationConstraint") or "us-east-1"
        acl = src.call("s3", "GetBucketAcl", key=name, Bucket=name)
        grants = [g for g in acl.get("Grants", []) if g.get("Grantee", {}).get("URI") in _ALL_USERS]
        block = src.call("s3", "GetPublicAccessBlock", key=name, Bucket=name).get("PublicAccessBlockConfiguration", {})
        enc = src.call("s3", "GetBucketEncryption", key=name, Bucket=name)
        rules = enc.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        out.append({"name": name, "region": loc, "public_grants": [g.get("Permission") for g in grants],
                    "ignore_public_acls": bool(block.get("IgnorePublicAcls")),
                    "encryption": [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules]})
    return {"buckets": out,
            "public": [b["name"] for b in out if b["public_grants"] and not b["ignore_public_acls"]],
            "unencrypted": [b["name"] for b in out if not b["encryption"]]}


def data_regions(src: Any, now: datetime) -> dict[str, Any]:
    """Where data stores live (S3 buckets, RDS instances in the scanned regions) and which are outside
    mainland China: {"stores": [{"kind", "name", "region"}], "outside_mainland": ["s3:logs (us-east-1)"],
    "scanned_regions": [...]}"""
    stores = [{"kind": "s3", "name": b["name"], "region": b["region"]} for b in buckets(src, now)["buckets"]]
    stores += [{"kind": "rds", "name": d["id"], "region": d["region"]} for d in databases(src, now)["instances"]]
    scanned = list(src.regions)
    return {"stores": stores, "scanned_regions": scanned,
            "outside_mainland": [f"{s['kind']}:{s['name']} ({s['region']})" for s in stores
                                 if s["region"] not in MAINLAND],
            "scanned_outside_mainland": [r for r in scanned if r not in MAINLAND]}


FACTS: dict[str, tuple[Callable[[Any, datetime], dict[str, Any]], str]] = {
    "cloud_security_groups": (security_groups, "Security-group ingress open to 0.0.0.0/0 or ::/0"),
    "cloud_networks": (networks, "VPCs and subnets per region"),
    "cloud_iam_users": (iam_users, "IAM users: console MFA, access-key age and last use, root access keys"),
    "cloud_trail": (trail, "CloudTrail: multi-region logging, delivery, retention"),
    "cloud_databases": (databases, "RDS instances: automated backups and storage encryption"),
    "cloud_buckets": (buckets, "S3 buckets: public ACL grants, default encryption"),
    "cloud_data_regions": (data_regions, "Regions of the data stores, flagged outside mainland China"),
}
