"""Account states built in moto through the ordinary AWS API (the test's own writes; the adapter only reads)."""

from __future__ import annotations

import json

MAINLAND = "cn-north-1"
ABROAD = "ap-southeast-1"


def _bucket(m, name: str, region: str, *, public: bool = False, encrypted: bool = True,
            lifecycle_days: int | None = None) -> None:
    s3 = m.client("s3", region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region},
                     **({"ACL": "public-read"} if public else {}))
    if encrypted:
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    else:
        s3.delete_bucket_encryption(Bucket=name)
    if lifecycle_days:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
            {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": lifecycle_days}}]})


def _user(m, name: str, region: str, *, mfa: bool) -> None:
    iam = m.client("iam", region)
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Long-Passw0rd-for-tests!")
    iam.create_access_key(UserName=name)
    if mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")


def conforming(m) -> None:
    """Security groups closed to the world except HTTPS, console users with MFA, a logging multi-region trail
    delivered to a bucket keeping 365 days, an encrypted RDS instance with backups, private encrypted buckets,
    everything in cn-north-1."""
    ec2 = m.client("ec2", MAINLAND)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.8.0.0/16"}]}])
    _user(m, "ops", MAINLAND, mfa=True)
    _bucket(m, "audit-trail-logs", MAINLAND, lifecycle_days=365)
    trail = m.client("cloudtrail", MAINLAND)
    trail.create_trail(Name="audit", S3BucketName="audit-trail-logs", IsMultiRegionTrail=True,
                       EnableLogFileValidation=True)
    trail.put_event_selectors(TrailName="audit", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True}])
    trail.start_logging(Name="audit")
    m.client("rds", MAINLAND).create_db_instance(
        DBInstanceIdentifier="orders", DBInstanceClass="db.t3.micro", Engine="mysql", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword="Long-Passw0rd-1", BackupRetentionPeriod=7,
        StorageEncrypted=True)
    _bucket(m, "trip-data", MAINLAND)


def failing(m) -> None:
    """In ap-southeast-1 (the global partition: outside mainland China): SSH and everything open to the world,
    a console user without MFA, no trail, an RDS instance without backups or encryption, a public unencrypted
    bucket."""
    ec2 = m.client("ec2", ABROAD)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="ops", Description="ops", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    sg2 = ec2.create_security_group(GroupName="any", Description="any", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg2, IpPermissions=[
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    _user(m, "dev", ABROAD, mfa=False)
    m.client("rds", ABROAD).create_db_instance(
        DBInstanceIdentifier="legacy", DBInstanceClass="db.t3.micro", Engine="mysql", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword="Long-Passw0rd-1", BackupRetentionPeriod=0,
        StorageEncrypted=False)
    _bucket(m, "export-abroad", ABROAD, public=True, encrypted=False)


def deny_policy(actions: list[str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": actions, "Resource": "*"}]})
