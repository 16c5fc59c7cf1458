"""PAM facts: password quality, failed-login lockout, su restriction, host-trust and second-factor modules.

Everything is judged on the expanded stacks (pamstack), so Debian's common-* files, RHEL's system-auth /
password-auth (authselect), include, substack and @include are followed, and a module only counts
when it actually runs and its failure ends the login.
"""

from __future__ import annotations

import re
from typing import Any

from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.linux import pamstack
from assess.probes.linux.pamstack import REGULAR, ROOT, PamConfig, PamLine, User
from assess.probes.linux.parsers import lines, to_int

PWQUALITY_CONF = "/etc/security/pwquality.conf"
FAILLOCK_CONF = "/etc/security/faillock.conf"
QUALITY_MODULES = ("pam_pwquality", "pam_cracklib", "pam_passwdqc")
LOCKOUT_SERVICES = ("sshd", "login")
_MODULE_DIRS = ("/lib/security /lib64/security /usr/lib/security /usr/lib64/security "
                "/lib/*-linux-gnu/security /usr/lib/*-linux-gnu/security")

# libpwquality defaults (pwqprivate.h): 1.3.0 changed them from minlen 9 / credits 1 (CentOS 7 ships
# 1.2.3) to minlen 8 / credits 0; pam_cracklib's compiled defaults are minlen 9 / credits 1.
_PWQUALITY_DEFAULTS = {"minlen": 8, "dcredit": 0, "ucredit": 0, "lcredit": 0, "ocredit": 0, "minclass": 0}
_PWQUALITY_OLD_DEFAULTS = {"minlen": 9, "dcredit": 1, "ucredit": 1, "lcredit": 1, "ocredit": 1, "minclass": 0}
# Settings pwquality.conf understands, by the libpwquality version that added them (NEWS). Reading a
# configuration stops at the first setting the installed version does not know.
_PWQ_KEYS = (((0, 0, 0), {"difok", "minlen", "dcredit", "ucredit", "lcredit", "ocredit", "minclass", "maxrepeat",
                          "maxclassrepeat", "maxsequence", "gecoscheck", "badwords", "dictpath"}),
             ((1, 3, 0), {"dictcheck"}), ((1, 4, 0), {"usercheck", "enforcing"}),
             ((1, 4, 1), {"retry", "enforce_for_root", "local_users_only"}), ((1, 4, 3), {"usersubstr"}))
_CRACKLIB_DEFAULTS = {"minlen": 9, "dcredit": 1, "ucredit": 1, "lcredit": 1, "ocredit": 1, "minclass": 0}
_CREDITS = ("dcredit", "ucredit", "lcredit", "ocredit")

SNIPPET = f"""
for d in {_MODULE_DIRS}; do
  [ -d "$R$d" ] || continue
  for m in "$R$d"/pam_*.so; do [ -e "$m" ] && echo "module ${{m##*/}}"; done
done
_cmd rpm -q --qf %{{VERSION}} libpwquality
_cmd dpkg-query -W -f='${{Version}}' libpwquality1
_glob '/etc/pam.d/*'
_file {PWQUALITY_CONF} {FAILLOCK_CONF} /etc/authselect/authselect.conf
_glob '/etc/security/pwquality.conf.d/*.conf'
"""


@fact("pam", SNIPPET)
def pam(section: Section) -> dict[str, Any]:
    """Effective PAM policy. Example: {"password_quality": {"module": "pam_pwquality", "min_length": 8,
    "min_classes": 3, "enforce_for_root": true, "enforced": true, ...}, "lockout": [{"service": "sshd",
    "module": "pam_faillock", "deny": 5, "unlock_time": 600, "records_failures": true, "enforced": true,
    "root_covered": false}], "su_restricted": false, "host_trust_auth": [], "mfa": {...},
    "session_umask": [{"service": "sshd", "umask": "027", "where": "common-session:25: session optional ..."}]}"""
    files = section.files()
    pamd: dict[str, str] = {}
    for path, read in files.items():
        if not path.startswith("/etc/pam.d/"):
            continue
        if read.status == "denied":
            raise FactUnavailable(f"permission denied reading {path} (run as root or with sudo)")
        if read.ok:
            pamd[path[len("/etc/pam.d/"):]] = read.content
    if not pamd:
        raise FactUnavailable("/etc/pam.d is missing or empty: PAM policy cannot be read")
    for path in (PWQUALITY_CONF, FAILLOCK_CONF):
        if files.get(path) and files[path].status == "denied":
            raise FactUnavailable(f"permission denied reading {path} (run as root or with sudo)")
    installed = {line.split()[1][:-3] for line in section.plain().splitlines() if line.startswith("module ")}
    config = PamConfig(pamd, installed or None)
    locks = [lockout(config, service, files) for service in LOCKOUT_SERVICES if config.has(service)]
    result = {
        "services": sorted(pamd),
        "modules_installed": sorted(installed),
        "authselect": _authselect(files.get("/etc/authselect/authselect.conf")),
        "password_quality": password_quality(config, files, pwquality_version(section)),
        # Remote logins are what brute force targets: the sshd stack is judged when sshd has one, else
        # the console `login` stack; the other one is kept as evidence.
        "lockout": locks[:1],
        "lockout_other": locks[1:],
        "su_restricted": None,
        "host_trust_auth": host_trust_auth(config),
        "mfa": mfa(config),
        "session_umask": session_umask(config),
    }
    waits = [entry["unlock_time"] for entry in result["lockout"] if entry["module"] and not entry["unlock_never"]]
    result["lockout_shortest_unlock"] = min(waits) if waits else None
    if config.has("su"):
        result.update(su_restriction(config))
    result["problems"] = sorted(set(config.problems))
    return result


def session_umask(config: PamConfig) -> list[dict[str, Any]]:
    """pam_umask `umask=` in the sshd and login session stacks: it overrides login.defs UMASK for the
    session (without the argument pam_umask reads UMASK, judged with login.defs)."""
    out = []
    for service in LOCKOUT_SERVICES:
        if not config.has(service):
            continue
        for line in pamstack.flatten(config.stack(service, "session")):
            value = line.arg("umask") if line.module == "pam_umask" else None
            if value is not None:
                octal = re.fullmatch(r"[0-7]{1,4}", value)
                out.append({"service": service, "umask": f"{int(value, 8) & 0o777:03o}" if octal else value,
                            "where": line.text})
    return out


def _authselect(read: Any) -> dict[str, Any] | None:
    if read is None or not read.ok:
        return None
    words = lines(read.content)
    return {"profile": words[0] if words else "", "features": words[1:]}


def _conf_values(text: str) -> dict[str, str]:
    """`name = value` or bare `name` lines (pwquality.conf, faillock.conf); last one wins."""
    out: dict[str, str] = {}
    for line in lines(text):
        name, sep, value = line.partition("=")
        if not sep:
            name, _, value = line.partition(" ")
        out[name.strip().lower()] = value.strip()
    return out


# --- password quality -------------------------------------------------------------------------------

def password_quality(config: PamConfig, files: dict, version: tuple[int, int, int] | None) -> dict[str, Any]:
    """The quality module that runs when a password is changed with passwd(1), and its effective limits."""
    nodes = config.stack("passwd", "password")
    executed = pamstack.trace(nodes, lambda ln: "success", config.installed).ran
    line = next((ln for ln in executed if ln.module in QUALITY_MODULES), None)
    if line is None:
        unix = next((ln for ln in executed if ln.module in pamstack.PASSWORD_MODULES), None)
        out: dict[str, Any] = {"module": None, "line": None, "enforced": False, "min_length": None,
                               "min_classes": None, "enforce_for_root": False}
        if unix is not None:
            out["unix_minlen"] = to_int(unix.arg("minlen")) or 6
        return out
    weak = pamstack.trace(nodes, lambda ln: "authtok_err" if ln is line else "success", config.installed)
    if line.module == "pam_passwdqc":
        values = _passwdqc(line)
    else:
        values = _pwquality(line, files, version) if line.module == "pam_pwquality" else _cracklib(line)
    values["enforced"] = bool(values.pop("enforcing", True)) and not weak.success
    return {"module": line.module, "line": line.text, **values}


def pwquality_version(section: Section) -> tuple[int, int, int] | None:
    """The installed libpwquality version from rpm or dpkg-query, when either answers."""
    for key in ("rpm", "dpkg-query"):
        run = section.command(key)
        m = re.search(r"^(\d+)\.(\d+)\.(\d+)", run.output.strip()) if run.found and run.rc == 0 else None
        if m:
            return int(m.group(1)), int(m.group(2)), int(m.group(3))
    return None


def _conf_pairs(text: str) -> list[tuple[str, str]]:
    """`name = value` / `name value` / bare `name` lines of pwquality.conf, in order (`#` starts a comment)."""
    out = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"([^\s=]+)\s*=?\s*(.*)$", line)
        if m:
            out.append((m.group(1).lower(), m.group(2).strip()))
    return out


def _pwquality(line: PamLine, files: dict, version: tuple[int, int, int] | None) -> dict[str, Any]:
    """libpwquality: pwquality.conf.d/*.conf (sorted, from 1.3.0), then pwquality.conf, then the module
    arguments. A setting the installed version does not know ends the reading of the configuration."""
    v = version or (9, 9, 9)
    known = set().union(*(keys for since, keys in _PWQ_KEYS if v >= since))
    settings: dict[str, Any] = dict(_PWQUALITY_DEFAULTS if v >= (1, 3, 0) else _PWQUALITY_OLD_DEFAULTS)
    sources = {k: "default" for k in settings}
    flags = {"enforce_for_root": False, "enforcing": True, "local_users_only": False}
    dropins = sorted(p for p in files if p.startswith("/etc/security/pwquality.conf.d/") and files[p].ok) \
        if v >= (1, 3, 0) else []
    conf = files.get(PWQUALITY_CONF)
    ordered = dropins + ([PWQUALITY_CONF] if conf is not None and conf.ok else [])
    stopped = None
    for path in ordered:
        for name, value in _conf_pairs(files[path].content):
            if name not in known:
                stopped = f"{path}: unknown setting '{name}' for libpwquality {'.'.join(map(str, v))}"
                break
            _apply_quality(name, value, settings, sources, flags, path)
        if stopped:
            break
    for arg in line.args:
        name, _, value = arg.partition("=")
        _apply_quality(name.lower(), value, settings, sources, flags, "module argument")
    settings["minlen"] = max(settings["minlen"], 6)  # PWQ_BASE_MIN_LENGTH
    out = _effective(settings, sources, flags)
    out["libpwquality"] = ".".join(map(str, version)) if version else None
    if stopped:
        out["config_read_stopped"] = stopped
    return out


def _cracklib(line: PamLine) -> dict[str, Any]:
    settings: dict[str, Any] = dict(_CRACKLIB_DEFAULTS)
    sources = {k: "default" for k in settings}
    flags = {"enforce_for_root": False, "enforcing": True, "local_users_only": False}
    for arg in line.args:
        name, _, value = arg.partition("=")
        _apply_quality(name.lower(), value, settings, sources, flags, "module argument")
    settings["minlen"] = max(settings["minlen"], 5)  # CO_MIN_LENGTH_BASE
    return _effective(settings, sources, flags)


def _apply_quality(name: str, value: str, settings: dict, sources: dict, flags: dict, origin: str) -> None:
    if name in settings:
        number = to_int(value)
        if number is not None:
            settings[name] = number
            sources[name] = origin
    elif name in ("enforce_for_root", "local_users_only"):
        flags[name] = True
    elif name == "enforcing":
        number = to_int(value)
        flags["enforcing"] = number != 0 if number is not None else True


def _effective(settings: dict, sources: dict, flags: dict) -> dict[str, Any]:
    """Shortest and least varied password the module accepts.

    A positive credit lets each character of its class count twice, up to the credit, so the shortest
    accepted password is minlen minus the positive credits; a negative credit demands that many
    characters of the class (libpwquality check.c simple()). Required classes: minclass, or the
    number of classes with a negative credit, whichever is larger.
    """
    positive = sum(max(settings[c], 0) for c in _CREDITS)
    required_chars = sum(-settings[c] for c in _CREDITS if settings[c] < 0)
    negative_classes = sum(1 for c in _CREDITS if settings[c] < 0)
    minclass = min(max(settings["minclass"], 0), 4)
    return {**settings, "min_length": max(settings["minlen"] - positive, required_chars, 1),
            "min_classes": max(minclass, negative_classes), "sources": sources,
            "enforce_for_root": flags["enforce_for_root"], "enforcing": flags["enforcing"],
            "local_users_only": flags["local_users_only"]}


def _passwdqc(line: PamLine) -> dict[str, Any]:
    """pam_passwdqc `min=N0,N1,N2,N3,N4` (1 class, 2 classes, passphrase, 3 classes, 4 classes)."""
    limits = (line.arg("min") or "disabled,24,11,8,7").split(",")
    values = [to_int(v) if v != "disabled" else None for v in (limits + ["disabled"] * 5)[:5]]
    enabled = [v for v in values if v is not None]
    if values[0] is not None or values[2] is not None:
        classes = 1
    else:
        classes = next((c for c, v in ((2, values[1]), (3, values[3]), (4, values[4])) if v is not None), 4)
    enforce = line.arg("enforce") or "everyone"
    return {"min": ",".join(limits), "min_length": min(enabled) if enabled else None, "min_classes": classes,
            "enforce_for_root": enforce == "everyone", "enforcing": enforce != "none"}


# --- failed-login lockout ---------------------------------------------------------------------------

def lockout(config: PamConfig, service: str, files: dict) -> dict[str, Any]:
    """Does a wrong password count, and does a lock stop the right password? (sshd or login)."""
    nodes = config.stack(service, "auth")
    inst = config.installed

    def run(user: User, password_ok: bool, locked: bool) -> pamstack.Trace:
        return pamstack.trace(nodes, lambda ln: pamstack.outcome(ln, user, password_ok, locked), inst)

    wrong = run(REGULAR, False, False)
    counting = [ln for ln in wrong.ran if _counts_failure(ln)]
    right_locked = run(REGULAR, True, True)
    checking = [ln for ln in right_locked.ran if ln.module in ("pam_faillock", "pam_tally2", "pam_tally")]
    normal = run(REGULAR, True, False)
    out: dict[str, Any] = {"service": service, "module": None, "deny": None, "unlock_time": None,
                           "unlock_never": False, "even_deny_root": False, "root_covered": False,
                           "records_failures": bool(counting),
                           "enforced": bool(checking) and not right_locked.success and normal.success,
                           "lines": list(dict.fromkeys(ln.text for ln in counting + checking))}
    line = (checking or counting or [None])[0]
    if line is None:
        return out
    out["module"] = line.module
    out.update(_faillock_options(line, files) if line.module == "pam_faillock" else _tally_options(line))
    root_wrong = run(ROOT, False, False)
    root_locked = run(ROOT, True, True)
    out["root_covered"] = (out["even_deny_root"] and any(_counts_failure(ln) for ln in root_wrong.ran)
                           and not root_locked.success)
    return out


def _counts_failure(line: PamLine) -> bool:
    if line.module == "pam_faillock":
        return pamstack.faillock_action(line) == "authfail"
    return line.module in ("pam_tally2", "pam_tally")


def _faillock_options(line: PamLine, files: dict) -> dict[str, Any]:
    """faillock.conf (pam >= 1.4), then the module arguments; defaults deny=3, unlock_time=600."""
    opts: dict[str, Any] = {"deny": 3, "unlock_time": 600, "fail_interval": 900, "even_deny_root": False,
                            "root_unlock_time": None, "conf": FAILLOCK_CONF}
    conf_path = line.arg("conf") or FAILLOCK_CONF
    opts["conf"] = conf_path
    conf = files.get(conf_path)
    pairs = list(_conf_values(conf.content).items()) if conf is not None and conf.ok else []
    pairs += [(a.partition("=")[0].lower(), a.partition("=")[2]) for a in line.args]
    for name, value in pairs:
        if name in ("deny", "unlock_time", "fail_interval", "root_unlock_time"):
            if value.strip().lower() == "never" and name.endswith("unlock_time"):
                opts[name] = 0
            elif to_int(value) is not None:
                opts[name] = to_int(value)
        elif name == "even_deny_root":
            opts["even_deny_root"] = True
        if name == "root_unlock_time":
            opts["even_deny_root"] = True  # faillock.conf(5): root_unlock_time implies even_deny_root
    if opts["root_unlock_time"] is None:
        opts["root_unlock_time"] = opts["unlock_time"]
    opts["unlock_never"] = opts["unlock_time"] == 0
    opts["unlock_time"] = None if opts["unlock_never"] else opts["unlock_time"]
    return opts


def _tally_options(line: PamLine) -> dict[str, Any]:
    """pam_tally2 / pam_tally: deny=0 (default) never denies; without unlock_time a lock is permanent."""
    unlock = to_int(line.arg("unlock_time") or "")
    return {"deny": to_int(line.arg("deny") or "") or 0, "unlock_time": unlock or None,
            "unlock_never": not unlock,
            "even_deny_root": line.flag("even_deny_root") or line.flag("even_deny_root_account"),
            "root_unlock_time": to_int(line.arg("root_unlock_time") or "")}


# --- su, host trust, second factors -----------------------------------------------------------------

def su_restriction(config: PamConfig) -> dict[str, Any]:
    """Can a user outside the wheel group `su` to root with root's password? (pam_wheel)."""
    nodes = config.stack("su", "auth")
    wheel = [ln for ln in pamstack.flatten(nodes) if ln.module == "pam_wheel"]

    def result(ln: PamLine) -> str:
        if ln.module == "pam_wheel":
            if ln.flag("deny"):
                return "success" if ln.flag("trust") else "ignore"
            return "perm_denied"
        return pamstack.outcome(ln, REGULAR, True, False)

    outsider = pamstack.trace(nodes, result, config.installed)
    group = next((ln.arg("group") for ln in wheel if ln.arg("group")), None) or "wheel"
    return {"su_restricted": not outsider.success and any(ln in outsider.ran for ln in wheel),
            "su_wheel_group": group, "su_wheel_lines": [ln.text for ln in wheel]}


def host_trust_auth(config: PamConfig) -> list[str]:
    """Auth lines that let a user in on a host or list alone: pam_rhosts, pam_listfile sense=allow + done."""
    found = []
    for name in sorted(config.files):
        for d in pamstack.parse_file(config.files[name]):
            if d.kind != "module" or d.type != "auth":
                continue
            module = pamstack.module_name(d.target)
            actions = pamstack.parse_control(d.control) or {}
            grants = actions.get("success", actions.get("default")) == "done"
            if module in ("pam_rhosts", "pam_rhosts_auth") or (
                    module == "pam_listfile" and "sense=allow" in d.args and grants):
                found.append(f"{name}:{d.lineno}: {d.type} {d.control} {d.target} {' '.join(d.args)}".rstrip())
    return found


def mfa(config: PamConfig) -> dict[str, Any]:
    """Second-factor modules in sshd's auth stack, and whether a wrong second factor ends the login."""
    out: dict[str, Any] = {"sshd_modules": [], "sshd_required": False, "nullok": False,
                           "installed": sorted(m for m in (config.installed or ()) if m in pamstack.MFA_MODULES)}
    if not config.has("sshd"):
        return out
    nodes = config.stack("sshd", "auth")
    lines_ = [ln for ln in pamstack.flatten(nodes) if ln.module in pamstack.MFA_MODULES]
    out["sshd_modules"] = sorted({ln.module for ln in lines_})
    out["lines"] = [ln.text for ln in lines_]
    out["nullok"] = any(ln.flag("nullok") for ln in lines_)

    def result(ln: PamLine) -> str:
        if ln.module in pamstack.MFA_MODULES:
            return "auth_err"
        return pamstack.outcome(ln, REGULAR, True, False)

    stolen_password = pamstack.trace(nodes, result, config.installed)
    ran = [ln for ln in stolen_password.ran if ln.module in pamstack.MFA_MODULES]
    out["sshd_required"] = bool(ran) and not stolen_password.success and not out["nullok"]
    return out
