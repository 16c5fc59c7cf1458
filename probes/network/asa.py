"""Cisco ASA: `show running-config`.

Defaults used where the configuration is silent (ASA command reference, CIS ASA 9.x): Telnet and SSH are
refused from every address until a `telnet`/`ssh <net> <mask> <if>` line admits one; `http server enable`
serves ASDM over HTTPS only; `ssh timeout` is 5 minutes and `console timeout` 0 (never); local lockout
(`aaa local authentication attempts max-fail`) is off; every access-list ends in an implicit deny. The SSH
version default changed between releases, so a configuration without `ssh version 2` leaves it unknown.
"""

from __future__ import annotations

from assess.probes.network.dialect import Dialect, mark_known
from assess.probes.network.model import Config, Rule
from assess.probes.network.tree import Node, Tree

DIALECT = Dialect(
    vendor="cisco-asa", label="Cisco ASA", comment="!",
    signature=(r": Saved", r"ASA Version ", r"nameif ", r"security-level ", r"access-group \S+ (in|out) interface",
               r"access-list \S+ extended ", r"ssh \S+ \S+ \S+$", r"object network", r"object-group network", r"same-security-traffic",
               r"ssh timeout", r"console timeout"),
    vocabulary=("asa", "hostname", "domain-name", "enable", "names", "name", "interface", "nameif", "security-level",
                "ip", "ipv6", "no", "shutdown", "description", "vlan", "object", "object-group", "network-object",
                "service-object", "port-object", "host", "subnet", "range", "nat", "route", "access-list",
                "access-group", "pager", "logging", "mtu", "icmp", "asdm", "arp", "timeout", "aaa", "aaa-server",
                "user-identity", "http", "snmp-server", "crypto", "telnet", "ssh", "console", "threat-detection",
                "ntp", "dynamic-access-policy-record", "username", "tunnel-group", "class-map", "match",
                "policy-map", "parameters", "inspect", "class", "service-policy", "prompt", "call-home", "profile",
                "destination", "subscribe-to-alert-group", "cryptochecksum", "password-policy", "failover",
                "monitor-interface", "dhcpd", "webvpn", "group-policy", "vpn-tunnel-protocol", "management-access",
                "same-security-traffic", "firewall", "boot", "ftp", "dns", "license", "sysopt", "service",
                "fragment", "user", "attributes", "service-type", "passwd", "management-only", "key"),
)


def interpret(tree: Tree, cfg: Config) -> None:
    cfg.firewall_policy = False
    for node in tree.roots:
        _statement(node, cfg)
    mark_known(tree, DIALECT, cfg)


def _statement(node: Node, cfg: Config) -> None:
    w = node.words
    low = [x.lower() for x in w]
    text = " ".join(low)
    if low[:1] == ["username"] and len(w) > 2:
        user = cfg.user(w[1], node)
        if "nopassword" in low:
            user.storage = "none"
        elif "password" in low:
            user.storage = "hashed" if ("encrypted" in low or "pbkdf2" in low) else "cleartext"
        if "privilege" in low and low.index("privilege") + 1 < len(low):
            user.level = int(low[low.index("privilege") + 1])
        elif user.level is None:
            user.level = 2  # ASA default privilege of a local user
    elif low[:2] == ["password-policy", "minimum-length"] and len(low) > 2:
        cfg.min_length = (int(low[2]), node.where)
    elif low[:2] == ["password-policy", "lifetime"] and len(low) > 2:
        cfg.aging_days = (int(low[2]), node.where)
    elif low[:5] == ["aaa", "local", "authentication", "attempts", "max-fail"] and len(low) > 5:
        cfg.lockout = (int(low[5]), node.where)
    elif low[:1] == ["aaa-server"] and "host" in low:
        cfg.aaa_servers.append(f"{node.where} aaa-server {w[low.index('host') + 1]}")
    elif low[:1] == ["aaa"] and low[1:3] == ["authentication", "ssh"]:
        cfg.aaa_login.set(True, node)
    elif low[:1] in (["ssh"], ["telnet"], ["http"]) and len(w) == 4 and w[1][0].isdigit():
        cfg.mgmt_sources.setdefault(low[0], []).append((f"{w[1]} {w[2]}", node.where))
        if low[0] == "telnet":
            cfg.telnet.set(True, node)
        if low[0] == "ssh":
            cfg.ssh.set(True, node)
    elif text == "ssh version 2":
        cfg.ssh_v1.set(False, node)
    elif text == "ssh version 1":
        cfg.ssh_v1.set(True, node)
    elif low[:2] in (["ssh", "timeout"], ["console", "timeout"]) and len(low) > 2 and low[2].isdigit():
        cfg.idle_global[low[0]] = (float(low[2]), node.where)
    elif low[:1] == ["access-list"] and len(w) > 3 and low[2] == "extended":
        rule = _ace(low[3:], w[1], node)
        if rule is None:
            return
        cfg.acls.setdefault(w[1], []).append(rule)
    elif low[:1] == ["access-group"] and len(w) > 2:
        cfg.bindings.append((w[1], node.where))
    elif low[:2] == ["snmp-server", "community"] and len(w) > 2:
        hidden = len(w) > 3 and low[3] == "encrypted"
        cfg.snmp_communities.append((None if hidden else w[2], False, node.where))
        cfg.snmp_versions.append(("v2c", node.where))
    elif low[:2] == ["snmp-server", "host"] and "community" in low:
        i = low.index("community")
        cfg.snmp_communities.append((w[i + 1] if i + 1 < len(w) else None, True, node.where))
        cfg.snmp_versions.append(("v1" if "1" in low[i:] else "v2c", node.where))
    elif low[:2] == ["snmp-server", "group"] and "v3" in low:
        i = low.index("v3")
        level = low[i + 1] if i + 1 < len(low) else "noauth"
        cfg.snmp_v3.append((w[2], level, node.where))
        cfg.snmp_versions.append(("v3", node.where))
    elif low[:2] == ["logging", "host"] and len(w) > 3:
        cfg.loghosts.append(f"{node.where} {w[3]}")
    elif text == "logging enable":
        cfg.logging.set(True, node)
    elif low[:2] == ["ntp", "server"] and len(w) > 2:
        cfg.ntp_servers.append(f"{node.where} {w[2]}")
    else:
        return
    cfg.ok(node)


def _ace(low: list[str], acl: str, node: Node) -> Rule | None:
    """`permit|deny proto src dst [eq port] [log]`; addresses `any`/`any4`/`any6`, `host A`, `A M`,
    `object N`, `object-group N`, `interface N`; a service `object-group` stands for ports."""
    if not low or low[0] not in ("permit", "deny"):
        return None
    action, rest = low[0], low[1:]
    proto_any = True
    if rest[:1] in (["object-group"], ["object"]):
        proto_any, rest = False, rest[2:]
    elif rest:
        proto_any, rest = rest[0] in ("ip", "any"), rest[1:]
    src_any, rest = _address(rest)
    if rest[:1] in (["eq"], ["gt"], ["lt"], ["neq"]):
        proto_any, rest = False, rest[2:]
    elif rest[:1] == ["range"]:
        proto_any, rest = False, rest[3:]
    dst_any, rest = _address(rest)
    if any(x in rest for x in ("eq", "range", "gt", "lt", "neq", "object-group")):
        proto_any = False
    return Rule(acl, action, src_any, dst_any, proto_any, "log" in rest, node.where, node.text)


def _address(words: list[str]) -> tuple[bool, list[str]]:
    if not words:
        return True, []
    if words[0] in ("any", "any4", "any6"):
        return True, words[1:]
    if words[0] in ("host", "object", "object-group", "interface"):
        return False, words[2:]
    return False, words[2:]
