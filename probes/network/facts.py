"""The facts of network and security devices, derived from a parsed `Config`.

Each fact is plain data whose findings are `file:line what` strings, so a check's observed value points
at the configuration line. A fact the configuration cannot settle (a setting left at a default that
differs between releases) is unavailable with the reason and the command that would settle it — never
guessed into a pass or a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assess.probes.network.model import DEFAULT_ACCOUNTS, WEAK_COMMUNITIES, Config, Rule, weak_password

#: Fact name → what it holds (declared for both device object types).
DESCRIPTIONS = {
    "net_parse": "Files read, encodings, session logs, and per file how many statements were understood (coverage)",
    "net_accounts": "Local accounts: level/role, how passwords are stored, default accounts, weak or default "
                    "passwords visible in clear",
    "net_password_policy": "Password policy: minimum length and maximum age, and whether the policy is in force",
    "net_login": "Login-failure lockout and idle timeouts of every console/vty line",
    "net_vty_auth": "How each login line authenticates (per-user AAA/local, shared line password, none) and the "
                    "AAA servers",
    "net_cleartext_mgmt": "Cleartext management protocols (Telnet, HTTP, FTP) enabled, with the lines that enable them",
    "net_ssh": "SSH server enabled and whether only SSH version 2 is accepted",
    "net_mgmt_acl": "Whether each remote-management path admits only listed source addresses (vty ACLs, ASA ssh/http)",
    "net_snmp": "SNMP: weak or default communities, v1/v2c in use, v3 groups without privacy",
    "net_logging": "Log servers (syslog) the device sends to",
    "net_ntp": "NTP servers",
    "net_policy": "Access-control policy bound at the boundary: default deny, any-any permits, logging on permits",
}
DEVICE_TYPES = ("network-device", "security-device")


class Unsettled(Exception):
    """The configuration leaves the fact open; the message says how to settle it."""


def _where(setting_where: str, what: str) -> str:
    return f"{setting_where} {what}"


def accounts(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    users = [u for u in list(cfg.users.values()) + cfg.enable if not u.removed]
    defaults = DEFAULT_ACCOUNTS.get(cfg.vendor, {})
    out: dict[str, Any] = {"users": [], "reversible": [], "cleartext": [], "default_accounts": [],
                           "weak_visible": [], "default_password": [], "admins": [], "non_admin": []}
    for u in users:
        out["users"].append({"name": u.name, "level": u.level, "role": u.role, "storage": u.storage,
                             "services": u.services, "at": u.where})
        if u.storage == "reversible":
            out["reversible"].append(_where(u.where, f"{u.name}: reversible password encoding"))
        elif u.storage in ("cleartext", "none"):
            out["cleartext"].append(_where(u.where, f"{u.name}: password {'in clear' if u.storage == 'cleartext' else 'not set'}"))
        if u.name in defaults:
            out["default_accounts"].append(_where(u.where, u.name))
            if u.clear is not None and u.clear in defaults[u.name]:
                out["default_password"].append(_where(u.where, f"{u.name}: factory-default password"))
        if u.clear is not None and weak_password(u.clear):
            out["weak_visible"].append(_where(u.where, f"{u.name}: weak password in clear"))
        elif u.storage == "none":
            out["weak_visible"].append(_where(u.where, f"{u.name}: no password"))
        if u.name == "enable":
            continue
        if (u.level is not None and u.level >= 15) or u.role in ("network-admin",):
            out["admins"].append(u.name)
        elif (u.level is not None and u.level < 15) or u.role in ("network-operator", "security-audit"):
            out["non_admin"].append(u.name)
    return out


def password_policy(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    in_force = True
    note = ""
    if cfg.vendor == "h3c" and not cfg.policy_enabled.on:
        in_force = False
        note = (f"{cfg.policy_enabled.where} password-control disabled" if cfg.policy_enabled.where else
                "password-control not enabled (Comware default: disabled); its settings do not apply")
    length, aging = (cfg.min_length, cfg.aging_days) if in_force else (None, None)
    return {"length_configurable": cfg.vendor != "huawei", "in_force": in_force, "note": note,
            "min_length": length[0] if length else None, "min_length_at": length[1] if length else None,
            "aging_days": aging[0] if aging else None, "aging_at": aging[1] if aging else None}


def login(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    lockout = cfg.lockout
    note = ""
    if cfg.vendor == "h3c" and lockout and not cfg.policy_enabled.on:
        lockout, note = None, f"{cfg.lockout[1]} password-control login-attempt does not apply: password-control " \
                              "is not enabled"
    idle = [{"line": a.name, "minutes": a.idle_minutes, "at": a.idle_where or f"{a.where} (default)"}
            for a in cfg.access if a.kind in ("vty", "con")]
    if cfg.vendor == "cisco-asa":
        for what, default in (("ssh", 5.0), ("console", 0.0)):
            value, at = cfg.idle_global.get(what, (default, "(default)"))
            idle.append({"line": what, "minutes": value, "at": at})
    return {"lockout_attempts": lockout[0] if lockout else None, "lockout_at": lockout[1] if lockout else None,
            "note": note, "idle": idle}


def vty_auth(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    lines = [{"line": a.name, "auth": a.auth, "at": a.where} for a in cfg.access if a.kind in ("vty", "con")]
    silent = [f"{x['at']} {x['line']}" for x in lines if x["auth"] is None]
    if silent:
        raise Unsettled("the configuration does not state authentication-mode on " + ", ".join(silent) +
                        " (the default differs between software versions); set it explicitly or add "
                        "`display user-interface` / `display line` output")
    if cfg.vendor == "cisco-asa":
        lines.append({"line": "ssh", "auth": "aaa" if cfg.aaa_login.on else "password",
                      "at": cfg.aaa_login.where or "(no aaa authentication ssh console)"})
    return {"lines": lines, "aaa_servers": cfg.aaa_servers}


def _vty_allows(cfg: Config, protocol: str) -> tuple[bool | None, str]:
    """Whether some vty line admits `protocol`: True/False with the line, None when a line does not say."""
    unknown = ""
    for a in cfg.access:
        if a.kind != "vty":
            continue
        if a.protocols is None:
            unknown = unknown or a.where
        elif protocol in a.protocols:
            return True, a.protocols_where
    return (None, unknown) if unknown else (False, "")


def cleartext_mgmt(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    found: list[str] = []
    open_questions: list[str] = []
    v = cfg.vendor
    if v == "cisco-asa":
        found += [_where(w, f"telnet {net} admitted") for net, w in cfg.mgmt_sources.get("telnet", [])]
    elif v == "cisco":
        allows, where = _vty_allows(cfg, "telnet")
        if allows:
            found.append(_where(where, "vty admits telnet"))
        elif allows is None:
            open_questions.append(f"telnet: {where} line vty states no `transport input` (the default differs "
                                  "between IOS releases); add `show running-config all` or `show line` output")
    else:
        comware7 = v == "h3c" and cfg.version.startswith("7")
        server = cfg.telnet.on if cfg.telnet.on is not None else (False if comware7 else None)
        allows, where = _vty_allows(cfg, "telnet")
        if server:
            if allows is not False:
                found.append(_where(cfg.telnet.where, "telnet server enabled"))
        elif server is None:
            if allows:
                found.append(_where(where, "vty admits telnet (protocol inbound) and telnet is not disabled"))
            elif allows is None or not cfg.access:
                open_questions.append("telnet: the configuration neither enables nor disables the Telnet server and "
                                      "a vty line accepts the default protocols (the default differs between software "
                                      "versions); add `display telnet server status` output")
    if v != "cisco-asa":
        if cfg.http.on:
            found.append(_where(cfg.http.where, "HTTP server enabled"))
        elif cfg.http.on is None:
            open_questions.append("http: the configuration neither enables nor disables the HTTP (web management) "
                                  "server; its default differs between releases — disable it explicitly (" +
                                  {"huawei": "undo http server enable", "h3c": "undo ip http enable",
                                   "cisco": "no ip http server"}[v] + ") or add the status output")
    if cfg.ftp.on:
        found.append(_where(cfg.ftp.where, "FTP server enabled"))
    if found:
        return {"cleartext": found}
    if open_questions:
        raise Unsettled("the configuration does not settle whether cleartext management is possible: " +
                        "; ".join(open_questions))
    return {"cleartext": []}


def ssh(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    enabled = bool(cfg.ssh.on) or bool(_vty_allows(cfg, "ssh")[0]) or bool(cfg.mgmt_sources.get("ssh"))
    if not enabled:
        return {"enabled": False, "v2_only": None, "at": cfg.ssh.where or None}
    if cfg.ssh_v1.on is None:
        if cfg.vendor == "cisco":
            return {"enabled": True, "v2_only": False, "at": "(no `ip ssh version 2`: IOS default 1.99)"}
        raise Unsettled("SSH is enabled but the configuration does not say whether SSH1 clients are accepted (the "
                        "default differs between releases); add `display ssh server status` / `show ssh` output "
                        "or set SSH version 2 explicitly")
    return {"enabled": True, "v2_only": not cfg.ssh_v1.on, "at": cfg.ssh_v1.where}


def _acl_restricts(cfg: Config, name: str) -> tuple[bool, str]:
    rules = cfg.acls.get(name)
    if not rules:
        return False, f"ACL {name} is not defined (an empty or missing ACL admits every source)"
    if any(r.action == "permit" and r.src_any for r in rules):
        return False, f"ACL {name} permits any source"
    return True, f"ACL {name}"


def mgmt_acl(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    lines: list[dict[str, Any]] = []
    if cfg.vendor == "cisco-asa":
        for proto in ("ssh", "telnet", "http"):
            for net, where in cfg.mgmt_sources.get(proto, []):
                wide = net in ("0.0.0.0 0.0.0.0", "0 0", "any")
                lines.append({"line": f"{proto} {net}", "restricted": not wide, "at": where,
                              "why": "admits every address" if wide else "listed management network"})
        if not lines:
            lines.append({"line": "remote management", "restricted": True, "at": "(no ssh/telnet/http lines)",
                          "why": "no remote management admitted (console only)"})
    else:
        for a in cfg.access:
            if a.kind != "vty":
                continue
            if a.protocols == []:
                lines.append({"line": a.name, "restricted": True, "at": a.protocols_where,
                              "why": "the line admits no remote protocol"})
                continue
            if a.acl:
                ok, why = _acl_restricts(cfg, a.acl)
                lines.append({"line": a.name, "restricted": ok, "at": a.acl_where, "why": why})
                continue
            protocols = a.protocols if a.protocols is not None else ["ssh", "telnet"]
            if cfg.telnet.on is False or (cfg.vendor == "h3c" and cfg.version.startswith("7") and not cfg.telnet.on):
                protocols = [p for p in protocols if p != "telnet"]
            checks = [(p, cfg.protocol_acls.get(p)) for p in protocols]
            if protocols and all(acl for _p, acl in checks):
                results = [_acl_restricts(cfg, acl[0]) for _p, acl in checks if acl]
                ok = all(r[0] for r in results)
                lines.append({"line": a.name, "restricted": ok, "at": checks[0][1][1] if checks[0][1] else a.where,
                              "why": "; ".join(r[1] for r in results)})
            else:
                lines.append({"line": a.name, "restricted": False, "at": a.where, "why": "no ACL bound to the line"})
    return {"lines": lines, "unrestricted": [f"{x['at']} {x['line']}: {x['why']}" for x in lines
                                             if not x["restricted"]]}


def snmp(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    weak = []
    for name, _acl, where in cfg.snmp_communities:
        if name is not None and (name.lower() in WEAK_COMMUNITIES or len(name) < 8):
            weak.append(_where(where, "default or weak community"))
    v1v2c = sorted({w for v, w in cfg.snmp_versions if v in ("v1", "v2c")} |
                   {w for _n, _a, w in cfg.snmp_communities})
    nopriv = [_where(w, f"v3 {name}: {level}") for name, level, w in cfg.snmp_v3 if level != "priv"]
    enabled = bool(cfg.snmp_communities or cfg.snmp_versions or cfg.snmp_v3)
    return {"enabled": enabled, "weak_communities": weak, "v1_v2c": [_where(w, "SNMPv1/v2c") for w in v1v2c],
            "v3_without_priv": nopriv,
            "communities_without_acl": [_where(w, "community without ACL") for _n, a, w in cfg.snmp_communities
                                        if not a]}


def logging(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    enabled = cfg.logging.on if cfg.logging.on is not None else cfg.vendor != "cisco-asa"
    return {"enabled": enabled, "at": cfg.logging.where or "(default)",
            "loghosts": cfg.loghosts if enabled else []}


def ntp(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    return {"servers": cfg.ntp_servers}


def _ends_in_deny(rules: list[Rule]) -> bool:
    last = rules[-1] if rules else None
    return bool(last and last.action == "deny" and last.src_any and last.dst_any and last.service_any)


def policy(cfg: Config, ctx: dict[str, Any]) -> dict[str, Any]:
    names = list(dict.fromkeys(n for n, _w in cfg.bindings))
    if cfg.firewall_policy:
        names.append("security-policy")
    bound = {n: cfg.acls.get(n, []) for n in names}
    rules = [r for rs in bound.values() for r in rs]
    if cfg.vendor in ("cisco", "cisco-asa"):
        deny, why = bool(bound), "implicit deny at the end of every bound ACL"
    elif cfg.firewall_policy:
        deny = cfg.default_deny.on is not False
        why = _where(cfg.default_deny.where, "default action") if cfg.default_deny.where else \
            "security-policy default action deny"
    elif cfg.default_deny.on:
        deny, why = True, _where(cfg.default_deny.where, "packet-filter default deny")
    else:
        deny = bool(bound) and all(_ends_in_deny(rs) for rs in bound.values())
        why = "every bound ACL ends with a deny-all rule" if deny else \
            "a packet-filter ACL permits what no rule matches unless its last rule denies all"
    return {"boundary": bool(ctx.get("boundary")), "present": bool(bound), "policies": names, "rules": len(rules),
            "bindings": [w for _n, w in cfg.bindings], "default_deny": deny, "default_deny_why": why,
            "any_any": [_where(r.where, r.text) for r in rules if r.any_any],
            "unlogged_permits": [_where(r.where, r.text) for r in rules if r.action == "permit" and not r.logged]}


DERIVE: dict[str, Callable[[Config, dict[str, Any]], dict[str, Any]]] = {
    "net_accounts": accounts, "net_password_policy": password_policy, "net_login": login,
    "net_vty_auth": vty_auth, "net_cleartext_mgmt": cleartext_mgmt, "net_ssh": ssh, "net_mgmt_acl": mgmt_acl,
    "net_snmp": snmp, "net_logging": logging, "net_ntp": ntp, "net_policy": policy,
}
