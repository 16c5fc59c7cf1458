"""Huawei VRP (switches, routers, USG firewalls): `display current-configuration`.

Defaults used where the configuration is silent: `idle-timeout` 10 minutes on a user-interface (Huawei
command reference). The Telnet, HTTP and SSH1-compatibility defaults changed between VRP versions, so a
configuration that does not state them leaves them unknown.
"""

from __future__ import annotations

from assess.probes.network.dialect import Dialect, mark_known, minutes, vrp_rule
from assess.probes.network.model import Access, Config, Rule
from assess.probes.network.tree import Node, Tree

DIALECT = Dialect(
    vendor="huawei", label="Huawei VRP", comment="#",
    signature=(r"user-interface (vty|con|maxvty)", r"stelnet server enable", r"info-center ",
               r"local-user \S+ password (irreversible-)?cipher", r"authentication-mode aaa",
               r"undo \S", r"return$", r"snmp-agent", r"hwtacacs-server", r"sysname "),
    vocabulary=("sysname", "vlan", "interface", "description", "ip", "port", "stp", "lldp", "clock", "dhcp",
                "drop-profile", "diffserv", "authentication-scheme", "authorization-scheme", "accounting-scheme",
                "domain", "authentication-mode", "authorization-mode", "accounting-mode", "shutdown", "dot1x",
                "mac-address", "ospf", "bgp", "rip", "area", "network", "import-route", "peer", "undo",
                "ipv6", "cpu-defend", "set", "user", "screen-length", "history-command", "protocol",
                "ssh", "stelnet", "sftp", "scp", "rsa", "dsa", "ecc", "vrrp", "stack", "firewall", "zone",
                "nat", "security-policy", "ike", "ipsec", "traffic", "qos", "efm", "ntp-service", "info-center",
                "snmp-agent", "http", "telnet", "ftp", "aaa", "local-user", "acl", "rule", "user-interface",
                "service-type", "privilege", "state", "return", "transceiver", "negotiation", "speed", "duplex",
                "eth-trunk", "mode", "loopback-detect", "storm-control", "arp", "dns", "pki", "license",
                "radius-server", "hwtacacs-server", "local-aaa-user", "password", "header", "capwap", "wlan",
                "web", "assign", "load-balance", "management-port", "bpdu", "observe-port", "source-zone",
                "destination-zone", "source-address", "destination-address", "service", "action", "policy",
                "session", "hrp", "sa", "ike-peer", "proposal", "route", "set"),
)


def interpret(tree: Tree, cfg: Config) -> None:
    for node in tree.roots:
        _statement(node, cfg)
    mark_known(tree, DIALECT, cfg)


def _statement(node: Node, cfg: Config) -> None:
    w = node.words
    low = [x.lower() for x in w]
    text = " ".join(low)
    if text in ("telnet server enable", "telnet server-source all-interface"):
        cfg.telnet.set(True, node)
    elif text in ("undo telnet server enable", "telnet server disable"):
        cfg.telnet.set(False, node)
    elif text == "stelnet server enable":
        cfg.ssh.set(True, node)
    elif text in ("undo stelnet server enable", "stelnet server disable"):
        cfg.ssh.set(False, node)
    elif text == "ssh server compatible-ssh1x enable":
        cfg.ssh_v1.set(True, node)
    elif text in ("undo ssh server compatible-ssh1x enable", "undo ssh server compatible-ssh1x"):
        cfg.ssh_v1.set(False, node)
    elif text == "http server enable":
        cfg.http.set(True, node)
    elif text in ("undo http server enable", "http server disable"):
        cfg.http.set(False, node)
    elif text == "ftp server enable":
        cfg.ftp.set(True, node)
    elif text in ("undo ftp server enable", "ftp server disable"):
        cfg.ftp.set(False, node)
    elif low[:2] == ["ssh", "server"] and len(low) > 3 and low[2] == "acl":
        cfg.protocol_acls["ssh"] = (w[3], node.where)
    elif low[:2] == ["telnet", "server"] and len(low) > 3 and low[2] == "acl":
        cfg.protocol_acls["telnet"] = (w[3], node.where)
    elif low[:1] == ["aaa"] and len(low) == 1:
        cfg.ok(node, relevant=False)
        for child in node.children:
            _aaa(child, cfg)
        return
    elif low[:1] == ["user-interface"] and len(low) >= 2:
        _user_interface(node, cfg)
        return
    elif low[:1] == ["acl"]:
        _acl(node, cfg)
        return
    elif low[:1] == ["interface"]:
        _interface(node, cfg)
        return
    elif low[:1] == ["security-policy"]:
        _security_policy(node, cfg)
        return
    elif low[:1] in (["radius-server"], ["hwtacacs-server"]) and len(low) > 2 and low[1] == "template":
        cfg.ok(node)
        for child in node.children:
            c = [x.lower() for x in child.words]
            if len(c) > 2 and c[1] == "authentication":
                cfg.aaa_servers.append(f"{child.where} {low[0].split('-')[0]} {c[2]}")
                cfg.ok(child)
        return
    elif low[:2] == ["info-center", "loghost"] and len(low) > 2:
        cfg.loghosts.append(f"{node.where} {w[2]}")
    elif text == "undo info-center enable":
        cfg.logging.set(False, node)
    elif text == "info-center enable":
        cfg.logging.set(True, node)
    elif low[:2] == ["ntp-service", "unicast-server"] and len(low) > 2:
        cfg.ntp_servers.append(f"{node.where} {w[2]}")
    elif low[:1] == ["snmp-agent"]:
        if not _snmp(node, cfg):
            return
    else:
        return
    cfg.ok(node)


def _aaa(node: Node, cfg: Config) -> None:
    w = node.words
    low = [x.lower() for x in w]
    if low[:1] == ["local-user"] and len(w) > 2:
        user = cfg.user(w[1], node)
        key = low[2]
        if key == "password" and len(low) > 3:
            kind = low[3]
            user.storage = {"irreversible-cipher": "hashed", "cipher": "reversible", "simple": "cleartext"}.get(
                kind, user.storage)
            if kind == "simple" and len(w) > 4:
                user.clear = w[4]
        elif key in ("privilege", "level"):
            nums = [int(x) for x in low[3:] if x.isdigit()]
            user.level = nums[0] if nums else user.level
        elif key == "service-type":
            user.services = low[3:]
        cfg.ok(node)
    elif low[:2] == ["undo", "local-user"] and len(w) > 2:
        cfg.users[w[2]] = cfg.users.get(w[2]) or cfg.user(w[2], node)
        cfg.users[w[2]].removed = True
        cfg.ok(node)
    elif low[:4] == ["local-aaa-user", "password", "policy", "administrator"]:
        cfg.ok(node)
        for child in node.children:
            c = [x.lower() for x in child.words]
            if c[:2] == ["password", "expire"] and len(c) > 2 and c[2].isdigit():
                cfg.aging_days = (int(c[2]), child.where)
                cfg.ok(child)
    elif low[:2] == ["local-aaa-user", "wrong-password"] and "retry-time" in low:
        i = low.index("retry-time")
        if i + 1 < len(low) and low[i + 1].isdigit():
            cfg.lockout = (int(low[i + 1]), node.where)
            cfg.ok(node)


def _user_interface(node: Node, cfg: Config) -> None:
    low = [x.lower() for x in node.words]
    kind = {"vty": "vty", "con": "con", "console": "con", "aux": "aux", "maxvty": ""}.get(low[1], low[1])
    cfg.ok(node, relevant=False)
    if not kind:
        return
    line = Access(" ".join(node.words[1:]), node.where, kind, idle_minutes=10.0)
    for child in node.children:
        c = [x.lower() for x in child.words]
        if c[:1] == ["authentication-mode"] and len(c) > 1:
            line.auth = {"aaa": "aaa", "password": "password", "none": "none", "scheme": "aaa"}.get(c[1], c[1])
        elif c[:1] == ["idle-timeout"]:
            line.idle_minutes, line.idle_where = minutes(c[1:]), child.where
        elif c[:2] == ["protocol", "inbound"] and len(c) > 2:
            line.protocols = ["ssh", "telnet"] if c[2] == "all" else c[2:]
            line.protocols_where = child.where
        elif c[:1] == ["acl"] and "inbound" in c:
            line.acl, line.acl_where = next(x for x in child.words[1:] if x.lower() != "ipv6"), child.where
        else:
            continue
        cfg.ok(child)
    cfg.access.append(line)


def _acl(node: Node, cfg: Config) -> None:
    w = node.words
    low = [x.lower() for x in w]
    name = w[2] if len(w) > 2 and low[1] in ("number", "name") else (w[1] if len(w) > 1 else "")
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
        if c[:1] == ["traffic-filter"] and "acl" in c:
            acl = child.words[c.index("acl") + 1 + (1 if "name" in c else 0)] if c.index("acl") + 1 < len(c) else ""
            cfg.bindings.append((acl, child.where))
            cfg.ok(child)
        elif c[:1] == ["packet-filter"] and len(c) > 1:
            cfg.bindings.append((child.words[1], child.where))
            cfg.ok(child)


def _security_policy(node: Node, cfg: Config) -> None:
    """USG `security-policy` → `rule name X` with source/destination/service and `action permit|deny`."""
    cfg.ok(node)
    cfg.firewall_policy = True
    rules = cfg.acls.setdefault("security-policy", [])
    for child in node.children:
        c = [x.lower() for x in child.words]
        if c[:2] == ["default", "action"] and len(c) > 2:
            cfg.default_deny.set(c[2] == "deny", child)
            cfg.ok(child)
        elif c[:2] == ["rule", "name"]:
            fields = {x.words[0].lower(): [y.lower() for y in x.words[1:]] for x in child.children if x.words}
            action = (fields.get("action") or ["deny"])[0]
            src = fields.get("source-address")
            dst = fields.get("destination-address")
            svc = fields.get("service")
            logged = any(k in fields for k in ("policy", "session")) and any(
                "logging" in v for k, v in fields.items() if k in ("policy", "session"))
            rules.append(Rule("security-policy", "permit" if action == "permit" else "deny",
                              src is None or src[:1] == ["any"], dst is None or dst[:1] == ["any"],
                              svc is None or svc[:1] == ["any"], logged, child.where, child.text))
            cfg.ok(child)
            for x in child.children:
                cfg.ok(x)


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
        level = {"privacy": "priv", "authentication": "auth", "noauthentication": "noauth"}.get(
            low[4] if len(low) > 4 else "", "noauth")
        cfg.snmp_v3.append((w[3], level, node.where))
        return True
    return low == ["snmp-agent"]
