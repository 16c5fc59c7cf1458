"""OpenSSH server: the effective configuration, from `sshd -T` when it runs, else from the files.

`sshd -T` needs root, the host keys and (on Debian) /run/sshd; when it fails the files are parsed
the way sshd reads them: case-insensitive keywords, `Keyword value` or `Keyword=value`, the first value
of a keyword wins (lists such as Port, ListenAddress, AllowUsers accumulate), `Include` with globs
relative to /etc/ssh, and `Match` blocks kept apart (the global value is the first one outside any
Match). Keywords left unset get OpenSSH's default for the installed version, listed under `defaults`.
RHEL 8 passes its crypto policy on sshd's command line ($CRYPTO_POLICY), which outranks the files and
is not shown by `sshd -T`; it is applied on top.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from assess.probes.facts import FactUnavailable, FileRead, Section, fact
from assess.probes.linux.parsers import split_words, strip_comment, to_int

MAIN = "/etc/ssh/sshd_config"
CRYPTO_POLICY = "/etc/crypto-policies/back-ends/opensshserver.config"
SYSCONFIG = "/etc/sysconfig/sshd"

SNIPPET = r"""
if [ -x "$R/usr/sbin/sshd" ] || [ -x "$R/usr/bin/sshd" ] || [ -x "$R/sbin/sshd" ]; then echo "binary yes"; else echo "binary no"; fi
[ -e "$R/etc/ssh/ssh_host_key" ] && echo "v1hostkey yes"
_cmd ssh -V
_cmd sshd -T
_cmd pgrep -x sshd
_file /etc/ssh/sshd_config
set -f
_todo=/etc/ssh/sshd_config
for _pass in 1 2 3 4; do
  _next=""
  for _f in $_todo; do
    for _p in $(awk 'tolower($1)=="include"{for(i=2;i<=NF;i++){gsub(/"/,"",$i);print $i}}' "$R$_f" 2>/dev/null); do
      case "$_p" in /*) ;; *) _p="/etc/ssh/$_p" ;; esac
      set +f
      for _g in $R$_p; do [ -f "$_g" ] && _next="$_next ${_g#"$R"}"; done
      set -f
    done
  done
  [ -n "$_next" ] || break
  _file $_next
  _todo=$_next
done
set +f
_file /etc/crypto-policies/back-ends/opensshserver.config /etc/sysconfig/sshd
"""

ACCUMULATE = {"port", "listenaddress", "hostkey", "hostcertificate", "acceptenv", "allowusers", "denyusers",
              "allowgroups", "denygroups", "subsystem", "setenv"}
ALGORITHM_LISTS = ("ciphers", "macs", "kexalgorithms")
ALIASES = {"challengeresponseauthentication": "kbdinteractiveauthentication",
           "pubkeyacceptedkeytypes": "pubkeyacceptedalgorithms",
           "hostbasedacceptedkeytypes": "hostbasedacceptedalgorithms", "dsaauthentication": "pubkeyauthentication"}
NUMERIC = {"maxauthtries", "clientaliveinterval", "clientalivecountmax", "logingracetime", "maxsessions"}
FIELDS = ("permitrootlogin", "passwordauthentication", "pubkeyauthentication", "kbdinteractiveauthentication",
          "hostbasedauthentication", "ignorerhosts", "permitemptypasswords", "usepam", "authenticationmethods",
          "protocol", "ciphers", "macs", "kexalgorithms", "clientaliveinterval", "clientalivecountmax",
          "maxauthtries", "allowusers", "allowgroups", "denyusers", "denygroups", "listenaddress", "port",
          "logingracetime", "x11forwarding")

_MODERN_CIPHERS = ["chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr",
                   "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]
_LEGACY_CIPHERS = ["aes128-ctr", "aes192-ctr", "aes256-ctr", "arcfour256", "arcfour128", "aes128-cbc",
                   "3des-cbc", "blowfish-cbc", "cast128-cbc", "aes192-cbc", "aes256-cbc", "arcfour",
                   "rijndael-cbc@lysator.liu.se"]
_RHEL7_EXTRA_CIPHERS = ["aes128-cbc", "aes192-cbc", "aes256-cbc", "blowfish-cbc", "cast128-cbc", "3des-cbc"]
_MODERN_MACS = ["umac-64-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-sha2-256-etm@openssh.com",
                "hmac-sha2-512-etm@openssh.com", "hmac-sha1-etm@openssh.com", "umac-64@openssh.com",
                "umac-128@openssh.com", "hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"]
_LEGACY_MACS = ["hmac-md5", "hmac-sha1", "umac-64@openssh.com", "hmac-ripemd160", "hmac-sha1-96",
                "hmac-md5-96"]
_KEX_74 = ["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
           "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512",
           "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1"]
_KEX_LEGACY = ["ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
               "diffie-hellman-group-exchange-sha256", "diffie-hellman-group-exchange-sha1",
               "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"]


def defaults_for(version: tuple[int, int] | None, family: str | None = None) -> dict[str, Any]:
    """OpenSSH's built-in server defaults for the keywords the checks read (sshd_config(5))."""
    v = version or (9, 0)
    ciphers = list(_MODERN_CIPHERS) if v >= (6, 7) else list(_LEGACY_CIPHERS)
    if family == "rhel" and (7, 4) <= v < (7, 5):
        ciphers += _RHEL7_EXTRA_CIPHERS  # RHEL/CentOS 7's openssh keeps the CBC modes enabled
    kex = [k for k in _KEX_74 if v < (8, 2) or k != "diffie-hellman-group14-sha1"] if v >= (7, 4) else \
        list(_KEX_LEGACY if v < (6, 7) else [k for k in _KEX_LEGACY if k != "diffie-hellman-group1-sha1"])
    if v >= (8, 5):
        kex.insert(5, "sntrup761x25519-sha512@openssh.com")
    if v >= (9, 2):
        kex.append("sntrup761x25519-sha512")  # standard name; Debian 12's 9.2p1 already offers it
    if v >= (9, 9):
        kex.insert(0, "mlkem768x25519-sha256")
    return {
        "port": [22], "listenaddress": ["0.0.0.0", "::"],
        "permitrootlogin": "prohibit-password" if v >= (7, 0) else "yes",
        "passwordauthentication": "yes", "pubkeyauthentication": "yes", "kbdinteractiveauthentication": "yes",
        "hostbasedauthentication": "no", "ignorerhosts": "yes", "permitemptypasswords": "no", "usepam": "no",
        "authenticationmethods": ["any"], "maxauthtries": 6, "clientaliveinterval": 0, "clientalivecountmax": 3,
        "logingracetime": 120, "x11forwarding": "no",
        "protocol": "2" if v >= (7, 0) else "2,1",
        "ciphers": ciphers, "macs": list(_MODERN_MACS) if v >= (6, 7) else list(_LEGACY_MACS),
        "kexalgorithms": kex,
        "allowusers": [], "allowgroups": [], "denyusers": [], "denygroups": [],
    }


@fact("sshd", SNIPPET)
def sshd(section: Section) -> dict[str, Any]:
    """Effective sshd settings. Example: {"installed": true, "running": true, "version": "9.2p1",
    "source": "sshd -T", "permitrootlogin": "no", "passwordauthentication": "yes", "ciphers": [...],
    "clientaliveinterval": 300, "dead_peer_timeout": 900, "match": [{"criteria": "Address 10.0.0.0/8",
    "settings": {"permitrootlogin": "yes"}}], "defaults": ["maxauthtries"], "mfa_methods_required": false}"""
    plain = {line.split(" ", 1)[0]: line.split(" ", 1)[-1] for line in section.plain().splitlines() if line}
    files = section.files()
    main = files.get(MAIN, FileRead(MAIN, "missing"))
    installed = plain.get("binary") == "yes"
    version = _version(section.command("ssh -V"))
    pgrep = section.command("pgrep -x sshd")
    out: dict[str, Any] = {"installed": installed or main.ok, "running": (pgrep.rc == 0) if pgrep.found else None,
                           "version": ".".join(map(str, version)) if version else None, "files": []}
    if not out["installed"]:
        return out
    if main.status == "denied" and not _sshd_t_ok(section):
        raise FactUnavailable(f"permission denied reading {MAIN} and `sshd -T` did not run (run as root)")
    hidden = sorted(p for p, read in files.items() if read.status == "denied" and p not in (MAIN, SYSCONFIG))
    if hidden and not _sshd_t_ok(section):
        # e.g. Ubuntu cloud images' 0600 sshd_config.d/50-cloud-init.conf: its values would silently be missing
        raise FactUnavailable(f"permission denied reading {', '.join(hidden)} and `sshd -T` did not run "
                              "(run as root)")
    family = "rhel" if any(files[p].ok for p in (CRYPTO_POLICY, SYSCONFIG) if p in files) else None
    parsed = ConfigParser(files).parse(MAIN) if main.ok else ParsedConfig({}, [], [])
    out["files"] = parsed.files
    if _sshd_t_ok(section):
        settings, filled = parse_sshd_t(section.command("sshd -T").output), []
        out["source"] = "sshd -T"
    else:
        settings, filled = apply_defaults(parsed.settings, version, family)
        out["source"] = "config files"
        run = section.command("sshd -T")
        if run.found:
            out["sshd_t_error"] = run.output.strip().splitlines()[-1][:200] if run.output.strip() else \
                f"exit {run.rc}"
    overlay = crypto_policy_options(files)
    if overlay:
        for key, value in overlay.items():
            settings[key] = value
            if key in filled:
                filled.remove(key)
        out["crypto_policy_cmdline"] = sorted(overlay)
    out.update({k: settings.get(k) for k in FIELDS})
    out["defaults"] = sorted(filled)
    out["match"] = parsed.matches
    out["match_unknown"] = not main.ok
    out.update(derived(settings, version, plain.get("v1hostkey") == "yes"))
    # a Match block (from the files: `sshd -T` shows no Match) can relax AuthenticationMethods for some
    # users or source addresses: the second factor is then not required of everyone
    out["mfa_match_exceptions"] = single_factor_matches(parsed.matches)
    if out["mfa_match_exceptions"]:
        out["mfa_methods_required"] = False
    out["pam_in_every_method"] = _pam_in_every_list(settings.get("authenticationmethods")) and all(
        _pam_in_every_list(m["settings"]["authenticationmethods"]) for m in parsed.matches
        if "authenticationmethods" in m["settings"])
    return out


def _sshd_t_ok(section: Section) -> bool:
    run = section.command("sshd -T")
    return run.found and run.rc == 0 and bool(re.search(r"^port \d+", run.output, re.M))


def _version(run: Any) -> tuple[int, int] | None:
    if not run.found:
        return None
    m = re.search(r"OpenSSH_(\d+)\.(\d+)", run.output)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _normalise(key: str, args: list[str]) -> tuple[str, Any]:
    key = ALIASES.get(key, key)
    if key in ALGORITHM_LISTS:
        return key, ",".join(args)
    if key == "authenticationmethods":
        return key, list(args)
    if key in NUMERIC:
        return key, to_int(args[0]) if args and to_int(args[0]) is not None else (args[0] if args else "")
    if key == "port":
        return key, [to_int(a) if to_int(a) is not None else a for a in args]
    if key in ACCUMULATE:
        return key, list(args)
    value = " ".join(args)
    if key == "permitrootlogin" and value.lower() == "without-password":
        value = "prohibit-password"
    if key not in ("subsystem", "banner", "authorizedkeysfile", "forcecommand"):
        value = value.lower()
    return key, value


def parse_sshd_t(text: str) -> dict[str, Any]:
    """`sshd -T` prints one `keyword value` per line (lists repeat the keyword)."""
    out: dict[str, Any] = {}
    for line in text.replace("\r\n", "\n").splitlines():
        if not re.match(r"^[a-z][a-z0-9]* ", line):
            continue
        key, _, rest = line.partition(" ")
        key, value = _normalise(key, rest.split() if key not in ALGORITHM_LISTS else [rest.strip()])
        if key in ACCUMULATE:
            out.setdefault(key, []).extend(value)
        elif key not in out:
            out[key] = value
    for key in ALGORITHM_LISTS:
        if isinstance(out.get(key), str):
            out[key] = [a for a in out[key].split(",") if a]
    for key in ("allowusers", "allowgroups", "denyusers", "denygroups"):
        out.setdefault(key, [])  # sshd -T prints nothing for an empty list
    return out


class ParsedConfig:
    def __init__(self, settings: dict[str, Any], matches: list[dict[str, Any]], files: list[str]):
        self.settings = settings
        self.matches = matches
        self.files = files


class ConfigParser:
    """sshd_config with Include (depth-limited) and Match blocks; first value wins."""

    def __init__(self, files: dict[str, FileRead]):
        self.files = files
        self.settings: dict[str, Any] = {}
        self.matches: list[dict[str, Any]] = []
        self.read: list[str] = []

    def parse(self, path: str) -> ParsedConfig:
        self._file(path, None, 0)
        return ParsedConfig(self.settings, self.matches, self.read)

    def _file(self, path: str, block: dict[str, Any] | None, depth: int) -> None:
        read = self.files.get(path)
        if read is None or not read.ok or depth > 8:
            return
        if path not in self.read:
            self.read.append(path)
        for raw in read.content.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            line = strip_comment(raw).strip()
            if not line:
                continue
            m = re.match(r"([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(.*)$", line)
            if not m:
                continue
            key, args = m.group(1).lower(), split_words(m.group(2))
            if key == "match":
                block = {"criteria": " ".join(args), "settings": {}, "file": path}
                self.matches.append(block)
            elif key == "include":
                for pattern in args:
                    full = pattern if pattern.startswith("/") else "/etc/ssh/" + pattern
                    for inc in sorted(p for p in self.files if fnmatch.fnmatchcase(p, full)):
                        self._file(inc, block, depth + 1)
            else:
                self._set(block["settings"] if block else self.settings, key, args)

    @staticmethod
    def _set(target: dict[str, Any], key: str, args: list[str]) -> None:
        key, value = _normalise(key, args)
        if key in ACCUMULATE:
            target.setdefault(key, []).extend(value)
        elif key not in target:
            target[key] = value


def apply_defaults(settings: dict[str, Any], version: tuple[int, int] | None, family: str | None
                   ) -> tuple[dict[str, Any], list[str]]:
    """Fill unset keywords with OpenSSH defaults and resolve `+`, `-`, `^` algorithm list edits."""
    defaults = defaults_for(version, family)
    out = dict(settings)
    filled = []
    for key, value in defaults.items():
        if key not in out:
            out[key] = value
            if value not in ([], None):
                filled.append(key)
    for key in ALGORITHM_LISTS:
        if isinstance(out[key], str):
            out[key] = edit_algorithms(defaults[key], out[key])
    return out, filled


def edit_algorithms(default: list[str], spec: str) -> list[str]:
    """`+a,b` appends, `-a*` removes (wildcards), `^a` prepends, anything else replaces."""
    spec = spec.strip()
    names = [a for a in spec[1:].split(",") if a] if spec[:1] in "+-^" else [a for a in spec.split(",") if a]
    if spec.startswith("+"):
        return default + [a for a in names if a not in default]
    if spec.startswith("-"):
        return [a for a in default if not any(fnmatch.fnmatchcase(a, p) for p in names)]
    if spec.startswith("^"):
        return names + [a for a in default if a not in names]
    return names


def crypto_policy_options(files: dict[str, FileRead]) -> dict[str, Any]:
    """RHEL 8: `CRYPTO_POLICY='-oCiphers=... -oMACs=...'` reaches sshd as command-line options unless
    /etc/sysconfig/sshd sets CRYPTO_POLICY itself. (RHEL 9 includes the file as sshd_config instead.)"""
    policy = files.get(CRYPTO_POLICY)
    if policy is None or not policy.ok or "CRYPTO_POLICY=" not in policy.content:
        return {}
    sysconfig = files.get(SYSCONFIG)
    if sysconfig is not None and sysconfig.ok and re.search(r"^\s*CRYPTO_POLICY=", sysconfig.content, re.M):
        return {}
    out: dict[str, Any] = {}
    for key, value in re.findall(r"-o\s*([A-Za-z]+)=([^\s'\"]+)", policy.content):
        key = ALIASES.get(key.lower(), key.lower())
        if key in ALGORITHM_LISTS:
            out[key] = [a for a in value.split(",") if a]
    return out


def _two_methods(methods: list[str] | None) -> bool:
    """Does every AuthenticationMethods list name two different methods (`publickey,password`)?"""
    methods = methods or ["any"]
    lists = [[m.split(":", 1)[0] for m in entry.split(",") if m] for entry in methods if entry != "any"]
    return bool(lists) and "any" not in methods and all(len(set(lst)) >= 2 for lst in lists)


def _pam_in_every_list(methods: list[str] | None) -> bool:
    """Does every AuthenticationMethods list include a method that runs the PAM auth stack
    (keyboard-interactive, or password with UsePAM), so that no key alone gets in?"""
    methods = methods or ["any"]
    if "any" in methods:
        return False
    lists = [[m.split(":", 1)[0] for m in entry.split(",") if m] for entry in methods]
    return bool(lists) and all({"keyboard-interactive", "password"} & set(lst) for lst in lists)


def single_factor_matches(matches: list[dict[str, Any]]) -> list[str]:
    """Match blocks whose AuthenticationMethods let some users or addresses in with one method."""
    return [m["criteria"] for m in matches if "authenticationmethods" in m["settings"]
            and not _two_methods(m["settings"]["authenticationmethods"])]


def derived(settings: dict[str, Any], version: tuple[int, int] | None, v1_hostkey: bool) -> dict[str, Any]:
    """Values the checks compare directly: second factor required, idle-peer timeout, SSHv1."""
    mfa = _two_methods(settings.get("authenticationmethods"))
    interval = settings.get("clientaliveinterval")
    count = settings.get("clientalivecountmax")
    timeout = ends = None
    if isinstance(interval, int) and interval > 0 and isinstance(count, int):
        if count > 0:
            # a client that answers the keep-alive requests (any live ssh client) is never dropped
            timeout, ends = interval * count, "unresponsive client"
        elif version is not None and version < (8, 2):
            # before 8.2, CountMax 0 dropped the client after one silent interval: a real idle timeout
            timeout, ends = interval, "idle session"
    allow = settings.get("allowusers") or []
    restricted = bool(allow) and all("@" in u and u.split("@", 1)[1] not in ("*", "") for u in allow)
    protocol = str(settings.get("protocol") or "2")
    v1 = "1" in protocol.split(",") and version is not None and version < (7, 4) and v1_hostkey
    return {"mfa_methods_required": mfa, "dead_peer_timeout": timeout, "client_alive_ends": ends,
            "allowusers_from_hosts": restricted,
            "protocol_v1": v1}
