"""What a device configuration says, in one shape for every vendor dialect.

The dialect parsers (vrp, comware, ios, asa) fill a `Config`; `assess.probes.network.facts` turns it into
the facts the checks read. Every setting keeps the `file:line` it came from. Tri-state settings use None
for "the configuration does not say" (then a vendor default applies only where it is documented).
Passwords read in clear stay in memory only, to tell weak and factory-default ones; they never reach
evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assess.probes.network.tree import Node

#: Factory accounts and passwords of the dialects (ZDS: admin/admin, admin/Admin@123 for Huawei, admin/admin@123
#: and cisco/cisco for Cisco; H3C admin/admin).
DEFAULT_ACCOUNTS = {"huawei": {"admin": ("admin", "Admin@123", "admin@huawei.com", "Admin@huawei")},
                    "h3c": {"admin": ("admin", "h3capadmin", "")},
                    "cisco": {"cisco": ("cisco",), "admin": ("admin", "admin@123")},
                    "cisco-asa": {"admin": ("admin", "cisco"), "cisco": ("cisco",)}}
_COMMON_WEAK = {"123456", "12345678", "password", "admin", "admin123", "admin@123", "root", "cisco", "huawei",
                "h3c", "p@ssw0rd", "passw0rd", "qwerty", "111111", "888888", "abc123", "test", "public", "private"}
#: SNMP communities that are factory defaults or trivially guessed.
WEAK_COMMUNITIES = {"public", "private", "cisco", "huawei", "h3c", "community", "snmp", "admin", "manager",
                    "secret", "read", "write", "public@123", "private@123"}


def weak_password(value: str) -> bool:
    """Shorter than 8 characters, a single character class, or on the common-password list."""
    classes = sum(any(f(c) for c in value) for f in (str.islower, str.isupper, str.isdigit)) + \
        any(not c.isalnum() for c in value)
    return len(value) < 8 or classes < 2 or value.lower() in _COMMON_WEAK


@dataclass
class User:
    name: str
    where: str
    storage: str | None = None  # hashed | reversible | cleartext | none
    level: int | None = None  # 0-15 (15 = full administrator)
    role: str | None = None  # Comware user-role / ASA role as written
    services: list[str] = field(default_factory=list)
    clear: str | None = field(default=None, repr=False)  # a password given in clear; never stored in evidence
    removed: bool = False


@dataclass
class Access:
    """A login line: console or a range of vty lines."""

    name: str  # `vty 0 4`, `con 0`
    where: str
    kind: str  # vty | con | aux
    auth: str | None = None  # aaa | local | password | none
    idle_minutes: float | None = None
    idle_where: str = ""
    protocols: list[str] | None = None  # allowed inbound protocols (ssh, telnet); None = not stated
    protocols_where: str = ""
    acl: str | None = None
    acl_where: str = ""


@dataclass
class Rule:
    """One access-control rule (ACL entry or firewall policy)."""

    policy: str
    action: str  # permit | deny
    src_any: bool
    dst_any: bool
    service_any: bool  # protocol ip/any with no port
    logged: bool
    where: str
    text: str  # the rule as written (ACLs and policies carry no secrets)

    @property
    def any_any(self) -> bool:
        return self.action == "permit" and self.src_any and self.dst_any and self.service_any


@dataclass
class Setting:
    """A tri-state switch with the line that set it."""

    on: bool | None = None
    where: str = ""

    def set(self, on: bool, node: Node) -> None:
        self.on, self.where = on, node.where


@dataclass
class Config:
    vendor: str
    version: str = ""  # the software version the configuration states (Comware `version 7.1.070, …`)
    users: dict[str, User] = field(default_factory=dict)
    enable: list[User] = field(default_factory=list)  # Cisco enable password/secret
    min_length: tuple[int, str] | None = None
    aging_days: tuple[int, str] | None = None
    policy_enabled: Setting = field(default_factory=Setting)  # Comware password-control
    lockout: tuple[int, str] | None = None
    access: list[Access] = field(default_factory=list)
    aaa_servers: list[str] = field(default_factory=list)  # "file:line tacacs 10.0.0.5"
    aaa_login: Setting = field(default_factory=Setting)  # IOS aaa new-model
    telnet: Setting = field(default_factory=Setting)
    http: Setting = field(default_factory=Setting)
    ftp: Setting = field(default_factory=Setting)
    ssh: Setting = field(default_factory=Setting)
    ssh_v1: Setting = field(default_factory=Setting)  # SSH1 compatibility (1.99) on
    protocol_acls: dict[str, tuple[str, str]] = field(default_factory=dict)  # ssh/telnet server acl
    mgmt_sources: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # ASA ssh/telnet/http net if
    idle_global: dict[str, tuple[float, str]] = field(default_factory=dict)  # ASA ssh/console timeout
    snmp_communities: list[tuple[str | None, bool, str]] = field(default_factory=list)  # (name|None, acl?, where)
    snmp_versions: list[tuple[str, str]] = field(default_factory=list)  # (v1|v2c|v3, where)
    snmp_v3: list[tuple[str, str, str]] = field(default_factory=list)  # (name, priv|auth|noauth, where)
    loghosts: list[str] = field(default_factory=list)
    logging: Setting = field(default_factory=Setting)
    ntp_servers: list[str] = field(default_factory=list)
    acls: dict[str, list[Rule]] = field(default_factory=dict)
    bindings: list[tuple[str, str]] = field(default_factory=list)  # (acl name, where) on interfaces
    default_deny: Setting = field(default_factory=Setting)  # a global default action for packet filters
    firewall_policy: bool = False  # a zone-based security policy (default deny unless said otherwise)
    understood: set[str] = field(default_factory=set)  # file:line of statements the dialect knows
    relevant: set[str] = field(default_factory=set)  # … and of those a fact was read from

    def user(self, name: str, node: Node) -> User:
        if name not in self.users or self.users[name].removed:
            self.users[name] = User(name, node.where)
        return self.users[name]

    def ok(self, node: Node, relevant: bool = True) -> None:
        """Mark a statement as understood (and, by default, as read for a fact)."""
        self.understood.add(node.where)
        if relevant:
            self.relevant.add(node.where)
