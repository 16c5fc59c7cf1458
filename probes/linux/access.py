"""Access control: sudo rights, mandatory access control (SELinux / AppArmor), ownership and modes of the
account and policy files, and whether SSH is limited to some source addresses (TCP wrappers, host
firewall)."""

from __future__ import annotations

import re
from typing import Any

from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.linux import firewall, sudoers
from assess.probes.linux.parsers import lines, to_int

SUDOERS_SNIPPET = r"""
_file /etc/sudoers
set -f
_todo=/etc/sudoers
for _pass in 1 2 3 4; do
  _next=""
  for _f in $_todo; do
    for _d in $(awk '/^[#@]include(dir)?[ \t]/{gsub(/"/,"",$2); print $1 "|" $2}' "$R$_f" 2>/dev/null); do
      _kind=${_d%%|*}; _p=${_d#*|}
      case "$_p" in /*) ;; *) _p="${_f%/*}/$_p" ;; esac
      case "$_kind" in
        *includedir) set +f; for _g in "$R$_p"/*; do [ -f "$_g" ] && _next="$_next ${_g#"$R"}"; done; set -f ;;
        *) _next="$_next $_p" ;;
      esac
    done
  done
  [ -n "$_next" ] || break
  _file $_next
  _todo=$_next
done
set +f
"""


@fact("sudoers", SUDOERS_SNIPPET, needs_root=True)
def sudoers_fact(section: Section) -> dict[str, Any]:
    """Who can become root through sudo. Example: {"installed": true, "full_root": ["%sudo", "root"],
    "nopasswd_full_root": ["deploy"], "grants": [{"principal": "deploy", "nopasswd": true, "command": "ALL",
    "why": "ALL", "where": "/etc/sudoers.d/90-cloud:1", ...}], "authenticate_disabled": []}"""
    files = section.files()
    for path, read in files.items():
        if read.status == "denied":
            raise FactUnavailable(f"permission denied reading {path} (run as root or with sudo)")
    main = files.get("/etc/sudoers")
    if main is None or not main.ok:
        return {"installed": False, "full_root": [], "nopasswd_full_root": [], "grants": [],
                "authenticate_disabled": [], "files": [], "missing_includes": []}
    parsed = sudoers.parse({p: r.content for p, r in files.items() if r.ok})
    return {"installed": True, **sudoers.summary(parsed)}


@fact("mac_policy", "_cmd getenforce\n_file /etc/selinux/config /sys/fs/selinux/enforce "
                    "/sys/module/apparmor/parameters/enabled /sys/kernel/security/apparmor/profiles")
def mac_policy(section: Section) -> dict[str, Any]:
    """SELinux mode and AppArmor profiles. Example: {"selinux": {"mode": "enforcing", "config_mode":
    "enforcing", "policy": "targeted"}, "apparmor": {"enabled": true, "enforce": 42, "complain": 3}}"""
    files = section.files()
    mode = None
    run = section.command("getenforce")
    if run.found and run.output.strip().lower() in ("enforcing", "permissive", "disabled"):
        mode = run.output.strip().lower()
    elif files.get("/sys/fs/selinux/enforce") is not None and files["/sys/fs/selinux/enforce"].ok:
        mode = {"1": "enforcing", "0": "permissive"}.get(files["/sys/fs/selinux/enforce"].content.strip())
    config: dict[str, str] = {}
    cfg = files.get("/etc/selinux/config")
    if cfg is not None and cfg.ok:
        for line in lines(cfg.content):
            key, _, value = line.partition("=")
            config[key.strip().upper()] = value.strip().strip("\"'").lower()
    if mode is None and (cfg is None or not cfg.ok) and not run.found:
        mode = "absent"
    elif mode is None and config.get("SELINUX") == "disabled":
        mode = "disabled"
    enabled_file = files.get("/sys/module/apparmor/parameters/enabled")
    aa_enabled = enabled_file.content.strip().upper().startswith("Y") if enabled_file is not None and \
        enabled_file.ok else False
    profiles = files.get("/sys/kernel/security/apparmor/profiles")
    enforce = complain = None
    if profiles is not None and profiles.ok:
        modes = re.findall(r"\((\w+)\)\s*$", profiles.content, re.M)
        enforce, complain = modes.count("enforce"), modes.count("complain")
    elif aa_enabled and mode != "enforcing":
        raise FactUnavailable("AppArmor is enabled but its profile list cannot be read (run as root)")
    return {"selinux": {"mode": mode, "config_mode": config.get("SELINUX"), "policy": config.get("SELINUXTYPE")},
            "apparmor": {"enabled": aa_enabled, "enforce": enforce if aa_enabled else 0,
                         "complain": complain if aa_enabled else 0}}


MODE_FILES = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers", "/etc/ssh/sshd_config")
ACCOUNT_FILES = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow")
SECRET_FILES = ("/etc/shadow", "/etc/gshadow")
POLICY_FILES = ("/etc/sudoers", "/etc/ssh/sshd_config")
_STAT = "stat -c %a:%U:%G:%n " + " ".join(MODE_FILES)


@fact("file_modes", "_cmd " + _STAT)
def file_modes(section: Section) -> dict[str, Any]:
    """Mode and owner of the account and policy files, and which of them others can write or read.
    Example: {"files": {"/etc/shadow": {"mode": "0640", "owner": "root", "group": "shadow"}},
    "account_files": {"writable_by_others": [], "not_root_owned": [], "secret_readable": []}, ...}

    `stat -c %a` prints the mode without leading zeros (0044 as `44`, 0000 as `0`): any width is read.
    A file that is not reported missing but whose mode cannot be read makes the fact unavailable."""
    run = section.command(_STAT)
    if not run.found:
        raise FactUnavailable("stat(1) is not available")
    found: dict[str, dict[str, str]] = {}
    missing: list[str] = []
    unread: list[str] = []
    for line in run.output.splitlines():
        m = re.fullmatch(r"([0-7]{1,4}):([^:]*):([^:]*):(/\S+)", line.strip())
        if m:
            found[m.group(4)] = {"mode": f"{int(m.group(1), 8):04o}", "owner": m.group(2), "group": m.group(3)}
    for path in MODE_FILES:
        if path in found:
            continue
        said = [line.strip() for line in run.output.splitlines()
                if re.search("[`'‘\"]" + re.escape(path) + "['’\"]", line)]
        if said and all("No such file or directory" in line for line in said):
            missing.append(path)
        else:
            unread.append(f"{path}: {said[0][:120] if said else 'no mode reported'}")
    if unread:
        raise FactUnavailable("cannot read the mode of " + "; ".join(unread))

    def bits(path: str) -> int:
        return int(found[path]["mode"], 8)

    def category(paths: tuple[str, ...]) -> dict[str, list[str]]:
        present = [p for p in paths if p in found]
        return {
            "writable_by_others": [f"{p} {found[p]['mode']}" for p in present if bits(p) & 0o022],
            "not_root_owned": [f"{p} {found[p]['owner']}" for p in present if found[p]["owner"] != "root"],
            "secret_readable": [f"{p} {found[p]['mode']} {found[p]['group']}" for p in present if p in SECRET_FILES
                                and (bits(p) & 0o004 or (bits(p) & 0o040 and found[p]["group"] not in
                                                         ("root", "shadow")))],
        }

    if "/etc/passwd" not in found:
        raise FactUnavailable("stat gave no result for /etc/passwd: " + run.output.strip()[:200])
    return {"files": found, "missing": missing,
            "account_files": category(ACCOUNT_FILES), "policy_files": category(POLICY_FILES)}


SSH_ACCESS_SNIPPET = r"""
for _b in /usr/sbin/sshd /usr/bin/sshd /sbin/sshd; do
  if [ -f "$R$_b" ]; then if grep -q libwrap "$R$_b" 2>/dev/null; then echo "libwrap yes"; else echo "libwrap no"; fi; break; fi
done
awk 'tolower($1)=="port"{print "port", $2}' "$R/etc/ssh/sshd_config" $R/etc/ssh/sshd_config.d/*.conf 2>/dev/null
_file /etc/hosts.allow /etc/hosts.deny
_cmd iptables-save
_cmd nft list ruleset
"""


@fact("ssh_access", SSH_ACCESS_SNIPPET)
def ssh_access(section: Section) -> dict[str, Any]:
    """Is the SSH port limited to some client addresses? Example: {"ports": [22], "restricted": true,
    "by": ["nft"], "tcp_wrappers": {"linked": true, "result": "open"}, "iptables": "absent",
    "nft": "restricted", "allowed_from": ["ip saddr 10.0.0.0/8 tcp dport 22 accept"]}"""
    plain = [line.split() for line in section.plain().splitlines() if line.strip()]
    ports = [to_int(w[1]) for w in plain if len(w) == 2 and w[0] == "port" and to_int(w[1])]
    port = ports[0] if ports else 22
    linked = next((w[1] == "yes" for w in plain if w and w[0] == "libwrap"), None)
    files = section.files()
    for path in ("/etc/hosts.allow", "/etc/hosts.deny"):
        if files.get(path) is not None and files[path].status == "denied":
            raise FactUnavailable(f"permission denied reading {path}")
    wrappers = tcp_wrappers(files.get("/etc/hosts.allow"), files.get("/etc/hosts.deny"))
    out: dict[str, Any] = {"ports": ports or [22], "tcp_wrappers": {"linked": linked, "result": wrappers}}
    allowed: list[str] = []
    unknown: list[str] = []
    for tool, key in (("iptables", "iptables-save"), ("nft", "nft list ruleset")):
        run = section.command(key)
        if not run.found:
            out[tool] = "absent"
            continue
        if run.rc not in (0, None):
            out[tool] = "unknown"
            unknown.append(f"{key}: {run.output.strip().splitlines()[-1][:160] if run.output.strip() else run.rc}")
            continue
        if tool == "iptables":
            chains = firewall.parse_iptables(run.output, port)
            result = firewall.judge(chains, ["INPUT"] if chains and "INPUT" in chains else []) if chains else \
                ("absent", [])
        else:
            parsed = firewall.parse_nft(run.output, port)
            result = firewall.judge(*parsed) if parsed else ("absent", [])
        out[tool] = result[0]
        allowed += result[1]
    by = [t for t in ("iptables", "nft") if out[t] == "restricted"]
    if linked and wrappers == "restricted":
        by.insert(0, "tcp_wrappers")
    if not by and unknown:
        raise FactUnavailable("firewall rules cannot be read: " + "; ".join(unknown))
    out.update({"restricted": bool(by), "by": by, "allowed_from": allowed[:20]})
    return out


def _wrapper_rules(text: str) -> list[tuple[list[str], list[str], str]]:
    """(daemons, clients, options) per rule of hosts.allow / hosts.deny."""
    rules = []
    joined = re.sub(r"\\\n", " ", text.replace("\r\n", "\n"))
    for line in lines(joined):
        parts = re.split(r":(?![^\[]*\])", line)
        if len(parts) < 2:
            continue
        daemons = re.split(r"[\s,]+", parts[0].strip())
        clients = re.split(r"[\s,]+", parts[1].strip())
        rules.append(([d for d in daemons if d], [c for c in clients if c], ":".join(parts[2:]).strip().lower()))
    return rules


def _list_match(items: list[str], match_one: Any) -> bool | None:
    """hosts_access(5) lists with `EXCEPT`: True, False, or None (cannot tell)."""
    if "EXCEPT" in items:
        i = items.index("EXCEPT")
        head, tail = _list_match(items[:i], match_one), _list_match(items[i + 1:], match_one)
        if head is False or tail is True:
            return False
        if head is None or tail is None:
            return None
        return True
    results = [match_one(x) for x in items]
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def _daemon(word: str) -> bool:
    return word == "ALL" or word.split("@", 1)[0] == "sshd"


def _client(word: str) -> bool | None:
    """An arbitrary remote address that no rule names: only ALL matches it for sure."""
    if word == "ALL":
        return True
    if word in ("KNOWN", "UNKNOWN", "PARANOID"):
        return None
    return False


def tcp_wrappers(allow: Any, deny: Any) -> str:
    """`restricted` when hosts.allow / hosts.deny refuse sshd to an arbitrary client, else `open`."""
    for read, grants in ((allow, True), (deny, False)):
        if read is None or not read.ok:
            continue
        for daemons, clients, options in _wrapper_rules(read.content):
            if _list_match(daemons, _daemon) is not True:
                continue
            hit = _list_match(clients, _client)
            if hit is False:
                continue
            if hit is None:
                return "open"
            verdict = grants
            if re.search(r"(^|:)\s*deny\s*$", options):
                verdict = False
            elif re.search(r"(^|:)\s*allow\s*$", options):
                verdict = True
            return "open" if verdict else "restricted"
    return "open"
