"""Cisco IOS / IOS-XE: `show running-config`.

Defaults used where the configuration is silent (Cisco command references): `exec-timeout` 10 minutes;
without `ip ssh version 2` the SSH server accepts SSH 1.99 (version 1 clients too); ACLs end in an
implicit deny; without `aaa new-model`, a vty line with `login` and no `login local` takes the shared line
password. The vty default of `transport input` differs between releases, so a line that does not state it
leaves Telnet unknown; `running-config` prints `ip http server` or `no ip http server`, and neither leaves it
unknown.
"""

from __future__ import annotations

from assess.probes.network.dialect import Dialect, mark_known, minutes
from assess.probes.network.model import Access, Config, Rule, User
from assess.probes.network.tree import Node, Tree

DIALECT = Dialect(
    vendor="cisco", label="Cisco IOS", comment="!",
    signature=(r"hostname ", r"line (vty|con)", r"transport input", r"exec-timeout", r"service ",
               r"ip access-list (extended|standard)", r"enable (secret|password)", r"version 1\d\.",
               r"ip ssh ", r"end$"),
    vocabulary=("hostname", "version", "service", "boot-start-marker", "boot-end-marker", "boot", "interface",
                "description", "ip", "ipv6", "no", "shutdown", "switchport", "spanning-tree", "vlan", "name",
                "router", "network", "redistribute", "neighbor", "line", "logging", "ntp", "snmp-server",
                "access-list", "username", "enable", "aaa", "tacacs-server", "radius-server", "tacacs", "radius",
                "address", "key", "crypto", "license", "archive", "log", "banner", "clock", "control-plane",
                "login", "security", "transport", "exec-timeout", "password", "privilege", "access-class",
                "stopbits", "speed", "duplex", "mtu", "encapsulation", "standby", "vrrp", "channel-group",
                "cdp", "lldp", "power", "memory", "vtp", "mac", "errdisable", "file", "redundancy", "mode",
                "diagnostic", "platform", "multilink", "voice", "call-home", "subscriber", "track", "route-map",
                "match", "set", "class-map", "policy-map", "class", "police", "object-group", "remark", "permit",
                "deny", "timeout", "authentication", "authorization", "accounting", "session-timeout",
                "negotiation", "media-type", "keepalive", "exit-address-family", "address-family", "bgp",
                "default-information", "passive-interface", "certificate", "quit", "rsakeypair", "enrollment",
                "revocation-check", "subject-name", "ppp", "dialer", "autoinstall", "alias", "scheduler", "event",
                "action", "management", "source-interface", "ssh", "http", "domain", "common-criteria"),
)


def interpret(tree: Tree, cfg: Config) -> None:
    for node in tree.roots:
        _statement(node, cfg)
    mark_known(tree, DIALECT, cfg)


def _statement(node: Node, cfg: Config) -> None:
    w = node.words
    low = [x.lower() for x in w]
    text = " ".join(low)
    if low[:1] == ["username"] and len(w) > 2:
        _username(node, cfg)
    elif low[:1] == ["enable"] and len(low) > 1 and low[1] in ("secret", "password"):
        user = User("enable", node.where)
        user.storage = _storage(low[1], low[2:], w[2:])
        user.clear = _clear(low[1], low[2:], w[2:])
        cfg.enable.append(user)
    elif low[:3] == ["security", "passwords", "min-length"] and len(low) > 3 and low[3].isdigit():
        cfg.min_length = (int(low[3]), node.where)
    elif low[:3] == ["aaa", "common-criteria", "policy"]:
        cfg.ok(node)
        for child in node.children:
            c = [x.lower() for x in child.words]
            if c[:1] == ["min-length"] and len(c) > 1 and c[1].isdigit():
                cfg.min_length = (int(c[1]), child.where)
            elif c[:1] == ["lifetime"] and len(c) > 2 and c[2].isdigit():
                factor = {"days": 1, "months": 30, "years": 365}.get(c[1], 0)
                if factor:
                    cfg.aging_days = (int(c[2]) * factor, child.where)
            else:
                continue
            cfg.ok(child)
        return
    elif low[:2] == ["login", "block-for"] and "attempts" in low:
        i = low.index("attempts")
        if i + 1 < len(low) and low[i + 1].isdigit():
            cfg.lockout = (int(low[i + 1]), node.where)
    elif low[:5] == ["aaa", "local", "authentication", "attempts", "max-fail"] and len(low) > 5:
        cfg.lockout = (int(low[5]), node.where)
    elif text == "aaa new-model":
        cfg.aaa_login.set(True, node)
    elif low[:1] in (["tacacs"], ["radius"]) and low[1:2] == ["server"]:
        cfg.ok(node)
        for child in node.children:
            c = [x.lower() for x in child.words]
            if c[:2] == ["address", "ipv4"] and len(c) > 2:
                cfg.aaa_servers.append(f"{child.where} {low[0]} {c[2]}")
                cfg.ok(child)
        return
    elif low[:1] in (["tacacs-server"], ["radius-server"]) and low[1:2] == ["host"] and len(low) > 2:
        cfg.aaa_servers.append(f"{node.where} {low[0].split('-')[0]} {w[2]}")
    elif text == "ip ssh version 2":
        cfg.ssh_v1.set(False, node)
    elif text == "ip ssh version 1":
        cfg.ssh_v1.set(True, node)
    elif text == "ip http server":
        cfg.http.set(True, node)
    elif text == "no ip http server":
        cfg.http.set(False, node)
    elif low[:1] == ["line"] and len(low) > 1:
        _line(node, cfg)
        return
    elif low[:1] == ["access-list"] and len(low) > 2:
        rule = _ace(w[2:], w[1], node)
        if rule is None:
            return
        cfg.acls.setdefault(w[1], []).append(rule)
    elif low[:2] == ["ip", "access-list"] and len(w) > 3:
        cfg.ok(node)
        rules = cfg.acls.setdefault(w[3], [])
        for child in node.children:
            words = child.words[1:] if child.words and child.words[0].isdigit() else child.words
            rule = _ace(words, w[3], child)
            if rule is not None:
                rules.append(rule)
                cfg.ok(child)
        return
    elif low[:1] == ["interface"]:
        cfg.ok(node, relevant=False)
        for child in node.children:
            c = [x.lower() for x in child.words]
            if c[:2] == ["ip", "access-group"] and len(c) > 2:
                cfg.bindings.append((child.words[2], child.where))
                cfg.ok(child)
        return
    elif low[:2] == ["snmp-server", "community"] and len(w) > 2:
        rest = [x.lower() for x in w[3:]]
        if "view" in rest:
            del rest[rest.index("view"):rest.index("view") + 2]
        acl = any(x not in ("ro", "rw") for x in rest)
        cfg.snmp_communities.append((w[2], acl, node.where))
        cfg.snmp_versions.append(("v2c", node.where))
    elif low[:2] == ["snmp-server", "group"] and len(low) > 3 and low[3] == "v3":
        level = low[4] if len(low) > 4 and low[4] in ("priv", "auth", "noauth") else "noauth"
        cfg.snmp_v3.append((w[2], level, node.where))
        cfg.snmp_versions.append(("v3", node.where))
    elif low[:1] == ["logging"] and len(w) > 1 and (low[1] == "host" or low[1][0].isdigit()):
        cfg.loghosts.append(f"{node.where} {w[2] if low[1] == 'host' and len(w) > 2 else w[1]}")
    elif text == "no logging on":
        cfg.logging.set(False, node)
    elif low[:2] == ["ntp", "server"] and len(w) > 2:
        cfg.ntp_servers.append(f"{node.where} {w[-1] if w[2].lower() == 'vrf' else w[2]}")
    else:
        return
    cfg.ok(node)


def _storage(kind: str, low: list[str], words: list[str]) -> str:
    """`secret [5|8|9] X` → hashed; `password 7 X` → reversible; `password [0] X` → cleartext."""
    if kind == "secret":
        return "hashed"
    if low[:1] == ["7"]:
        return "reversible"
    return "cleartext"


def _clear(kind: str, low: list[str], words: list[str]) -> str | None:
    if kind != "password":
        return None
    if low[:1] == ["0"] and len(words) > 1:
        return words[1]
    if low and not low[0].isdigit():
        return words[0]
    return None


def _username(node: Node, cfg: Config) -> None:
    w = node.words
    low = [x.lower() for x in w]
    user = cfg.user(w[1], node)
    if "privilege" in low:
        i = low.index("privilege")
        if i + 1 < len(low) and low[i + 1].isdigit():
            user.level = int(low[i + 1])
    elif user.level is None:
        user.level = 1
    for kind in ("secret", "password"):
        if kind in low:
            i = low.index(kind)
            user.storage = _storage(kind, low[i + 1:], w[i + 1:])
            user.clear = _clear(kind, low[i + 1:], w[i + 1:])
    if "nopassword" in low:
        user.storage = "none"


def _line(node: Node, cfg: Config) -> None:
    low = [x.lower() for x in node.words]
    kind = {"vty": "vty", "con": "con", "console": "con", "aux": "aux"}.get(low[1], "")
    cfg.ok(node, relevant=False)
    if not kind:
        return
    line = Access(" ".join(node.words[1:]), node.where, kind, idle_minutes=10.0)
    login = password = None
    for child in node.children:
        c = [x.lower() for x in child.words]
        if c[:1] == ["exec-timeout"]:
            line.idle_minutes, line.idle_where = minutes(c[1:]), child.where
        elif c == ["no", "exec-timeout"]:
            line.idle_minutes, line.idle_where = 0.0, child.where
        elif c[:2] == ["transport", "input"] and len(c) > 2:
            line.protocols = ["ssh", "telnet"] if c[2] == "all" else [] if c[2] == "none" else c[2:]
            line.protocols_where = child.where
        elif c[:1] == ["access-class"] and "in" in c:
            line.acl, line.acl_where = child.words[1], child.where
        elif c[:1] == ["login"]:
            login = "local" if c[1:2] == ["local"] else "aaa" if c[1:2] == ["authentication"] else "password"
        elif c == ["no", "login"]:
            login = "none"
        elif c[:1] == ["password"]:
            password = True
        else:
            continue
        cfg.ok(child)
    if cfg.aaa_login.on:
        line.auth = "aaa" if login != "none" else "none"
    else:
        # IOS defaults: the console asks for nothing, a vty line asks for the line password
        line.auth = login or ("password" if password or kind == "vty" else "none")
    cfg.access.append(line)


def _ace(words: list[str], acl: str, node: Node) -> Rule | None:
    """`permit|deny proto src [wild] dst [wild] [eq port] [log]` (standard ACLs: `permit|deny src`)."""
    low = [x.lower() for x in words]
    if not low or low[0] not in ("permit", "deny"):
        return None
    rest = low[1:]
    standard = not rest or rest[0] in ("any", "host") or rest[0][0].isdigit()
    if standard:
        return Rule(acl, low[0], rest[:1] == ["any"], True, True, "log" in rest, node.where, node.text)
    proto, rest = rest[0], rest[1:]
    src_any, rest = _address(rest)
    if rest[:1] in (["eq"], ["range"], ["gt"], ["lt"], ["neq"]):
        rest = rest[2:] if rest[0] != "range" else rest[3:]
    dst_any, rest = _address(rest)
    ports = any(x in rest for x in ("eq", "range", "gt", "lt", "neq"))
    return Rule(acl, low[0], src_any, dst_any, proto in ("ip", "any") and not ports,
                "log" in rest or "log-input" in rest, node.where, node.text)


def _address(words: list[str]) -> tuple[bool, list[str]]:
    if not words:
        return True, []
    if words[0] == "any":
        return True, words[1:]
    if words[0] in ("host", "object-group", "addrgroup"):
        return False, words[2:]
    return False, words[2:] if len(words) > 1 and words[1][0].isdigit() else words[1:]
