"""H3C Comware 5/7 (switches, routers, SecPath firewalls): `display current-configuration`.

Defaults used where the configuration is silent (Comware 7 command references): on Comware 7 (the
configuration's `version 7.…` line) the Telnet server is disabled — on Comware 5 or an unstated version its
state stays unknown — `password-control` is disabled (so its length/aging/login-attempt lines do not apply until
`password-control enable`), a vty line times out after 10 minutes, a zone-based `security-policy` drops
what no rule passes, and a `packet-filter` ACL permits what no rule matches unless
`packet-filter default deny` is set. HTTP and SSH1 compatibility are left unknown when not stated.
"""

from __future__ import annotations

from assess.probes.network.dialect import Dialect, mark_known, minutes, vrp_rule
from assess.probes.network.model import Access, Config, Rule
from assess.probes.network.tree import Node, Tree

DIALECT = Dialect(
    vendor="h3c", label="H3C Comware", comment="#",
    signature=(r"line (vty|class|con|aux)", r"local-user \S+ class (manage|network)", r"password-control",
               r"authentication-mode scheme", r"authorization-attribute user-role", r"irf ",
               r"ssh server enable", r"undo \S", r"return$", r"sysname ", r"acl (advanced|basic)"),
    vocabulary=("sysname", "vlan", "interface", "description", "ip", "port", "stp", "lldp", "clock", "dhcp",
                "irf", "irf-port", "domain", "authentication", "authorization", "accounting", "shutdown", "ospf",
                "bgp", "network", "import-route", "peer", "undo", "ipv6", "user-role", "screen-length",
                "ssh", "sftp", "scp", "public-key", "vrrp", "security-zone", "nat", "security-policy", "ike",
                "ipsec", "qos", "ntp-service", "info-center", "snmp-agent", "telnet", "ftp", "local-user",
                "acl", "rule", "line", "user-interface", "service-type", "authorization-attribute", "password",
                "password-control", "group", "radius", "hwtacacs", "primary", "secondary", "key", "user-name-format",
                "scheduler", "job", "command", "time", "header", "mad", "link-aggregation", "speed", "duplex",
                "combo", "arp", "dns", "pki", "license", "undo", "stp", "loopback-detection", "broadcast-suppression",
                "multicast-suppression", "unicast-suppression", "gvrp", "mac-address", "role", "feature",
                "protocol", "idle-timeout", "authentication-mode", "user", "set", "version", "object-group",
                "zone-pair", "packet-filter", "session", "bfd", "track", "router", "static-route", "route-policy",
                "ip-subnet", "port-security", "dot1x", "mac-authentication", "poe", "gateway"),
)


def interpret(tree: Tree, cfg: Config) -> None:
    for node in tree.roots:
        _statement(node, cfg)
    mark_known(tree, DIALECT, cfg)


def _statement(node: Node, cfg: Config) -> None:
    w = node.words
    low = [x.lower() for x in w]
    text = " ".join(low)
    if low[:1] == ["version"] and len(w) > 1:
        cfg.version = w[1].rstrip(",")
    elif text == "telnet server enable":
        cfg.telnet.set(True, node)
    elif text == "undo telnet server enable":
        cfg.telnet.set(False, node)
    elif text == "ssh server enable":
        cfg.ssh.set(True, node)
    elif text == "undo ssh server enable":
        cfg.ssh.set(False, node)
    elif text == "ssh server compatible-ssh1x enable":
        cfg.ssh_v1.set(True, node)
    elif text in ("undo ssh server compatible-ssh1x", "undo ssh server compatible-ssh1x enable"):
        cfg.ssh_v1.set(False, node)
    elif text == "ip http enable":
        cfg.http.set(True, node)
    elif text == "undo ip http enable":
        cfg.http.set(False, node)
    elif text == "ftp server enable":
        cfg.ftp.set(True, node)
    elif text == "undo ftp server enable":
        cfg.ftp.set(False, node)
    elif low[:3] in (["ssh", "server", "acl"], ["telnet", "server", "acl"]) and len(w) > 3:
        cfg.protocol_acls[low[0]] = (w[3], node.where)
    elif text == "password-control enable":
        cfg.policy_enabled.set(True, node)
    elif text == "undo password-control enable":
        cfg.policy_enabled.set(False, node)
    elif low[:2] == ["password-control", "length"] and len(low) > 2 and low[2].isdigit():
        cfg.min_length = (int(low[2]), node.where)
    elif low[:2] == ["password-control", "aging"] and len(low) > 2 and low[2].isdigit():
        cfg.aging_days = (int(low[2]), node.where)
    elif low[:2] == ["password-control", "login-attempt"] and len(low) > 2 and low[2].isdigit():
        cfg.lockout = (int(low[2]), node.where)
    elif low[:1] == ["local-user"] and len(w) > 1:
        _local_user(node, cfg)
        return
    elif low[:1] in (["line"], ["user-interface"]) and len(low) >= 2:
        _line(node, cfg)
        return
    elif low[:1] == ["acl"]:
        _acl(node, cfg)
        return
    elif low[:1] == ["interface"]:
        _interface(node, cfg)
        return
    elif low[:2] == ["security-policy", "ip"]:
        _security_policy(node, cfg)
        return
    elif low[:2] == ["packet-filter", "default"] and len(low) > 2:
        cfg.default_deny.set(low[2] == "deny", node)
    elif low[:1] in (["radius"], ["hwtacacs"]) and low[1:2] == ["scheme"]:
        cfg.ok(node)
        for child in node.children:
            c = [x.lower() for x in child.words]
            if c[:2] == ["primary", "authentication"] and len(c) > 2:
                cfg.aaa_servers.append(f"{child.where} {low[0]} {c[2]}")
                cfg.ok(child)
        return
    elif low[:2] == ["info-center", "loghost"] and len(w) > 2:
        host = next((x for x in w[2:] if x[0].isdigit() or "." in x), w[2])
        cfg.loghosts.append(f"{node.where} {host}")
    elif text == "undo info-center enable":
        cfg.logging.set(False, node)
    elif text == "info-center enable":
        cfg.logging.set(True, node)
    elif low[:2] == ["ntp-service", "unicast-server"] and len(w) > 2:
        cfg.ntp_servers.append(f"{node.where} {w[2]}")
    elif low[:1] == ["snmp-agent"]:
        if not _snmp(node, cfg):
            return
    else:
        return
    cfg.ok(node)


def _local_user(node: Node, cfg: Config) -> None:
    user = cfg.user(node.words[1], node)
    cfg.ok(node)
    for child in node.children:
        c = [x.lower() for x in child.words]
        if c[:1] == ["password"] and len(c) > 1:
            user.storage = {"hash": "hashed", "cipher": "reversible", "simple": "cleartext"}.get(c[1], user.storage)
            if c[1] == "simple" and len(child.words) > 2:
                user.clear = child.words[2]
        elif c[:1] == ["service-type"]:
            user.services = c[1:]
        elif c[:2] == ["authorization-attribute", "user-role"] and len(c) > 2:
            role = c[2]
            user.role = role if user.role in (None, "network-operator") else user.role
            if role in ("network-admin", "level-15"):
                user.level, user.role = 15, role
            elif role.startswith("level-") and role[6:].isdigit():
                user.level = max(user.level or 0, int(role[6:]))
        elif c[:2] == ["authorization-attribute", "level"] and len(c) > 2 and c[2].isdigit():
            user.level = int(c[2])
        else:
            continue
        cfg.ok(child)


def _line(node: Node, cfg: Config) -> None:
    low = [x.lower() for x in node.words]
    kind = {"vty": "vty", "con": "con", "console": "con", "aux": "aux", "class": ""}.get(low[1], low[1])
    cfg.ok(node, relevant=False)
    if not kind:
        return
    line = Access(" ".join(node.words[1:]), node.where, kind, idle_minutes=10.0)
    for child in node.children:
        c = [x.lower() for x in child.words]
        if c[:1] == ["authentication-mode"] and len(c) > 1:
            line.auth = {"scheme": "aaa", "password": "password", "none": "none"}.get(c[1], c[1])
        elif c[:1] == ["idle-timeout"]:
            line.idle_minutes, line.idle_where = minutes(c[1:]), child.where
        elif c[:2] == ["protocol", "inbound"] and len(c) > 2:
            line.protocols = ["ssh", "telnet"] if c[2] == "all" else c[2:]
            line.protocols_where = child.where
        elif c[:1] == ["acl"] and "inbound" in c:
            line.acl, line.acl_where = next(x for x in child.words[1:] if x.lower() not in ("ipv6", "mac")), \
                child.where
        else:
            continue
        cfg.ok(child)
    cfg.access.append(line)


def _acl(node: Node, cfg: Config) -> None:
    w = node.words
    low = [x.lower() for x in w]
    if len(w) > 2 and low[1] in ("number", "basic", "advanced", "name"):
        name = w[3] if low[2] == "name" and len(w) > 3 else w[2]
    else:
        name = w[1] if len(w) > 1 else ""
    cfg.ok(node)
    rules = cfg.acls.setdefault(name, [])
    for child in node.children:
        rule = vrp_rule(child, name)
        if rule is not None:
            rules.append(rule)
            cfg.ok(child)


def _interface(node: Node, cfg: Config) -> None:
    cfg.ok(node, relevant=False)
    for child in node.children:
        c = [x.lower() for x in child.words]
        if c[:1] == ["packet-filter"] and len(c) > 1 and c[1] not in ("default",):
            acl = next((x for x in child.words[1:] if x.lower() not in ("ipv6", "mac", "name")), "")
            cfg.bindings.append((acl, child.where))
            cfg.ok(child)


def _security_policy(node: Node, cfg: Config) -> None:
    """`security-policy ip` → `rule N name X` with `action pass|drop`, source/destination-ip, service."""
    cfg.ok(node)
    cfg.firewall_policy = True
    rules = cfg.acls.setdefault("security-policy", [])
    for child in node.children:
        c = [x.lower() for x in child.words]
        if c[:1] != ["rule"]:
            continue
        fields: dict[str, list[str]] = {}
        for x in child.children:
            if x.words:
                fields.setdefault(x.words[0].lower(), []).extend(y.lower() for y in x.words[1:])
            cfg.ok(x)
        action = (fields.get("action") or ["drop"])[0]
        src = fields.get("source-ip") or fields.get("source-ip-host") or fields.get("source-ip-subnet")
        dst = fields.get("destination-ip") or fields.get("destination-ip-host") or fields.get("destination-ip-subnet")
        svc = fields.get("service") or fields.get("service-port")
        rules.append(Rule("security-policy", "permit" if action == "pass" else "deny", not src, not dst,
                          not svc or svc[:1] == ["any"], fields.get("logging") == ["enable"], child.where,
                          child.text))
        cfg.ok(child)


def _snmp(node: Node, cfg: Config) -> bool:
    w = node.words
    low = [x.lower() for x in w]
    if low[1:2] == ["community"] and len(w) > 3:
        rest = w[3:]
        hidden = rest[0].lower() == "cipher"
        name = None if hidden else (rest[1] if rest[0].lower() == "simple" and len(rest) > 1 else rest[0])
        cfg.snmp_communities.append((name, "acl" in [x.lower() for x in rest], node.where))
        return True
    if low[1:3] == ["sys-info", "version"]:
        for v in low[3:]:
            for version in (("v1", "v2c", "v3") if v == "all" else (v,)):
                cfg.snmp_versions.append((version, node.where))
        return True
    if low[1:3] == ["usm-user", "v3"] and len(w) > 3:
        level = "priv" if "privacy-mode" in low else "auth" if "authentication-mode" in low else "noauth"
        cfg.snmp_v3.append((w[3], level, node.where))
        return True
    if low[1:3] == ["group", "v3"] and len(w) > 3:
        level = {"privacy": "priv", "authentication": "auth"}.get(low[4] if len(low) > 4 else "", "noauth")
        cfg.snmp_v3.append((w[3], level, node.where))
        return True
    return False
