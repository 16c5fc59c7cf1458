"""Redis facts (domain notes §3.4, R01–R08): redis.conf (redacted on the host), `CONFIG GET`, `ACL LIST` and
`INFO` through `redis-cli --no-auth-warning`.

The password reaches redis-cli as REDISCLI_AUTH. Secrets are judged on the host and never leave it:
`requirepass`/`masterauth` become `<redacted:len=N,foobared=yes|no>`, ACL passwords `><redacted…>`, and
password hashes in ACL rules `#<sha256>` (or `#<sha256:foobared>` when the hash is that of the example
password from the shipped redis.conf).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from assess.probes.database.common import is_loopback, log_files, loose_text, number
from assess.probes.facts import FactUnavailable, FileRead, Section, fact
from assess.probes.service import command_words, register_setup

DEFAULT_PASSWORD = "foobared"
_FOOBARED_SHA = hashlib.sha256(DEFAULT_PASSWORD.encode()).hexdigest()
_ERRORS = ("ERR", "NOAUTH", "NOPERM", "WRONGPASS", "(error)", "Could not connect", "AUTH failed")


def _setup(settings: Mapping[str, Any]) -> str:
    tls = bool(settings.get("tls"))
    args = command_words(
        "-s" if settings.get("socket") else "-h",
        str(settings.get("socket") or settings.get("address") or "127.0.0.1"),
        *(("-p", str(settings["port"])) if settings.get("port") and not settings.get("socket") else ()),
        *(("--user", str(settings["user"])) if settings.get("user") else ()),
        "--tls" if tls else None,
        *(("--cacert", str(settings["ca_file"])) if tls and settings.get("ca_file") else ()),
        "--insecure" if tls and not settings.get("ca_file") else None,
    )
    return f"""
_rc=$(command -v redis-cli)
_q() {{ _t 15 redis-cli --no-auth-warning {args} "$@" </dev/null | tr -d '\\r'; }}
# Secrets never leave the host: password hashes and passwords in ACL rules are replaced.
_redact() {{ sed -e 's/#{_FOOBARED_SHA}/#<sha256:foobared>/g' -e 's/#[0-9a-f]\\{{64\\}}/#<sha256>/g' \\
               | sed -E 's/(^|[[:space:]])>[^[:space:]]*/\\1><redacted>/g'; }}
if [ -z "$_rc" ]; then A_DOWN=missing
else
  _o=$(_q PING 2>&1)
  case "$_o" in PONG) A_DOWN= ;; *) A_DOWN="cannot connect to the server: $_o" ;; esac
fi
# _redis LABEL ARGS...: the reply between markers (exit 1 on an error reply), or why the server could not be asked.
_redis() {{
  if [ "$A_DOWN" = missing ]; then echo "$B X redis-cli"; return; fi
  _l=$1; shift; echo "$B C redis-cli $_l"
  if [ -n "$A_DOWN" ]; then printf '%s\\n' "$A_DOWN"; echo "$B RC 1"; return; fi
  _o=$(_q "$@" 2>&1); _s=$?
  printf '%s\\n' "$_o" | _redact
  case "$_o" in ERR*|NOAUTH*|NOPERM*|WRONGPASS*|"(error)"*|"AUTH failed"*|"Could not connect"*) _s=1 ;; esac
  echo "$B RC $_s"
}}
# _redisconf: the config file's path (inventory, else INFO server).
_redisconf() {{
  if [ -n "$A_CONFIG" ]; then printf '%s' "$A_CONFIG"
  elif [ -z "$A_DOWN" ]; then _q INFO server 2>/dev/null | sed -n 's/^config_file://p'; fi
}}
# _redisconfs FILE DEPTH: FILE, then (depth-first, in reading order) the files its `include` lines name, globs
# expanded, up to 4 levels; redis-server reads them in that order, each at the place of its include line.
_redisconfs() {{
  echo "$1"
  [ "$2" -lt 4 ] && [ -f "$R$1" ] && [ -r "$R$1" ] || return 0
  awk 'tolower($1) == "include" {{ for (i = 2; i <= NF; i++) {{ v = $i; gsub(/^["\\047]|["\\047]$/, "", v); print v }} }}' \
      "$R$1" | while read -r _i; do for _g in $R$_i; do _redisconfs "${{_g#"$R"}}" $(($2 + 1)); done; done
}}
"""


register_setup(("redis",), _setup)


def _reply(section: Section, key: str, what: str) -> str:
    run = section.command(f"redis-cli {key}")
    if not run.found:
        raise FactUnavailable(f"redis-cli not installed on the host (needed to query {what})")
    if run.rc != 0:
        message = " ".join(line.strip() for line in run.output.strip().splitlines()[-3:]) or f"exit {run.rc}"
        raise FactUnavailable(f"cannot query {what}: {message}")
    return run.output


def _info(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and not key.startswith("#"):
            out[key.strip()] = number(value.strip())
    return out


@fact("redis_info", """
_redis info INFO server
_redis replication INFO replication
_redis persistence INFO persistence
""", object_type="database")
def redis_info(section: Section) -> dict[str, Any]:
    """INFO server, replication and persistence fields: version, config file, role, replicas, RDB/AOF state.
    `replicating`: this server is a replica or has connected replicas."""
    out = _info(_reply(section, "info", "INFO server"))
    for key in ("replication", "persistence"):
        run = section.command(f"redis-cli {key}")
        if run.found and run.rc == 0:
            out.update(_info(run.output))
    out["major"] = int(str(out.get("redis_version", "0")).split(".")[0] or 0)
    slaves = out.get("connected_slaves", 0)
    out["replicating"] = out.get("role") == "slave" or (isinstance(slaves, int) and slaves > 0)
    return out


# -- ACL ----------------------------------------------------------------------------------------------
def _apply(rule: str, can: dict[str, bool]) -> None:
    """Track whether a user may run CONFIG and FLUSHALL through one ACL rule (categories approximated:
    CONFIG is in @admin and @dangerous, FLUSHALL in @keyspace, @write and @dangerous)."""
    r = rule.lower()
    grant = r.startswith("+") or r in ("allcommands",)
    if r in ("allcommands", "+@all", "nocommands", "-@all"):
        can["config"] = can["flushall"] = r in ("allcommands", "+@all")
    elif r in ("+@dangerous", "-@dangerous"):
        can["config"] = can["flushall"] = grant
    elif r in ("+@admin", "-@admin", "+config", "-config"):
        can["config"] = grant
    elif r in ("+@keyspace", "-@keyspace", "+@write", "-@write", "+flushall", "-flushall"):
        can["flushall"] = grant


def parse_acl_user(line: str) -> dict[str, Any]:
    """One `user NAME rules…` line of ACL LIST or redis.conf (secrets already redacted)."""
    words = line.split()
    name, rules = words[1], words[2:]
    can = {"config": False, "flushall": False}
    enabled, nopass, passwords, default_password = False, False, 0, False
    all_keys = False
    for rule in rules:
        low = rule.lower()
        if low == "on":
            enabled = True
        elif low == "off":
            enabled = False
        elif low == "nopass":
            nopass, passwords = True, 0
        elif low == "resetpass":
            nopass, passwords, default_password = False, 0, False
        elif rule.startswith((">", "#")):
            passwords += 1
            nopass = False
            default_password = default_password or "foobared=yes" in rule or rule == "#<sha256:foobared>"
        elif low in ("~*", "allkeys", "%rw~*"):
            all_keys = True
        elif low in ("resetkeys",):
            all_keys = False
        else:
            _apply(rule, can)
    all_commands = can["config"] and can["flushall"] and any(r.lower() in ("+@all", "allcommands") for r in rules)
    return {"user": name, "enabled": enabled, "nopass": nopass, "passwords": passwords,
            "default_password": default_password, "all_commands": all_commands, "all_keys": all_keys,
            "can_config": can["config"], "can_flushall": can["flushall"], "rules": " ".join(rules)}


@fact("redis_acl", "_redis acl ACL LIST", object_type="database")
def redis_acl(section: Section) -> dict[str, Any]:
    """ACL users (Redis ≥ 6) without their secrets, and the lists the checks read: enabled users without a
    password, users with the example password, users that may run CONFIG or FLUSHALL, superusers
    (every command), whether the `default` user is enabled (and without a password), and `anonymous_admin`:
    the `default` user when it needs no password yet may run CONFIG or FLUSHALL."""
    users = [parse_acl_user(line) for line in _reply(section, "acl", "ACL LIST").splitlines()
             if line.startswith("user ")]
    enabled = [u for u in users if u["enabled"]]
    default = next((u for u in users if u["user"] == "default"), None)
    return {
        "users": users,
        "nopass": [u["user"] for u in enabled if u["nopass"]],
        "default_password": [u["user"] for u in enabled if u["default_password"]],
        "dangerous": [u["user"] for u in enabled if u["can_config"] or u["can_flushall"]],
        "dangerous_count": sum(1 for u in enabled if u["can_config"] or u["can_flushall"]),
        "superusers": [u["user"] for u in enabled if u["all_commands"]],
        "default_enabled": bool(default and default["enabled"]),
        "default_nopass": bool(default and default["enabled"] and default["nopass"]),
        # anyone who can connect may run CONFIG or FLUSHALL: no administrator, however few the named ones
        "anonymous_admin": [u["user"] for u in enabled if u["user"] == "default" and u["nopass"]
                            and (u["can_config"] or u["can_flushall"])],
    }


# -- configuration ---------------------------------------------------------------------------------------
_REDACT_CONF = r"""
function verdict(v) { gsub(/^["\047]|["\047]$/, "", v); return "<redacted:len=" length(v) ",foobared=" (v == "foobared" ? "yes" : "no") ">" }
{ k = tolower($1) }
k == "requirepass" || k == "masterauth" {
  v = $0; sub(/^[ \t]*[^ \t]+[ \t]*/, "", v); sub(/[ \t\r]+$/, "", v); print $1 " " verdict(v); next }
k == "user" {
  out = $1
  for (i = 2; i <= NF; i++) { t = $i
    if (t ~ /^>/) t = ">" verdict(substr(t, 2))
    else if (t ~ /^#/) t = (t == "#FOOSHA" ? "#<sha256:foobared>" : "#<sha256>")
    out = out " " t }
  print out; next }
{ print }
""".replace("FOOSHA", _FOOBARED_SHA)

_CONFIG_SNIPPET = f"""
_c=$(_redisconf)
if [ -z "$_c" ]; then echo "config file unknown"
else _redisconfs "$_c" 0 | while read -r _f; do
  if [ ! -e "$R$_f" ] || [ -d "$R$_f" ]; then echo "$B M $_f"
  elif [ ! -r "$R$_f" ]; then echo "$B D $_f"
  else echo "$B F $_f"; awk '{_REDACT_CONF.strip()}' "$R$_f" | _redact; fi
done; fi
_redis config CONFIG GET timeout protected-mode bind port tls-port loglevel logfile save appendonly
_redis server INFO server
"""


def parse_redis_conf(text: str) -> dict[str, Any]:
    """redis.conf directives (last one wins; lower-case names). `bind` and `save` are lists,
    `rename-command` a map from command to its new name ('' = disabled), `user` the ACL lines."""
    out: dict[str, Any] = {"rename-command": {}, "user": [], "include": []}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = re.findall(r'"[^"]*"|\'[^\']*\'|\S+', line)
        key, args = words[0].lower(), [w.strip("\"'") for w in words[1:]]
        if key == "rename-command" and args:
            out["rename-command"][args[0].upper()] = args[1] if len(args) > 1 else ""
        elif key == "user":
            out["user"].append(line)
        elif key == "include":
            out["include"] += args
        elif key in ("save", "bind"):
            out[key] = args
        else:
            out[key] = " ".join(args)
    return out


_INCLUDE = re.compile(r"^\s*include\s+(.+?)\s*$", re.IGNORECASE)


def inline_includes(files: Mapping[str, FileRead]) -> str:
    """The configuration as redis-server reads it: the first file, each `include` line followed by the files
    it names (as the collector listed them, globs matched), four levels deep. An included file that exists
    but cannot be read makes the settings unknown; one that is missing (an unmatched glob) adds nothing."""
    paths = list(files)

    def expand(path: str, depth: int) -> list[str]:
        read = files[path]
        if read.status == "denied":
            raise FactUnavailable(f"permission denied reading {path} (run as root or the redis user)")
        out = []
        for line in read.content.splitlines() if read.ok else []:
            out.append(line)
            m = _INCLUDE.match(line)
            if not m or depth >= 4:
                continue
            for arg in (w.strip("\"'") for w in re.findall(r'"[^"]*"|\'[^\']*\'|\S+', m[1])):
                pattern = any(c in arg for c in "*?[")
                for included in (p for p in paths if p == arg or pattern and fnmatch.fnmatchcase(p, arg)):
                    out += expand(included, depth + 1)
        return out

    return "\n".join(expand(paths[0], 0)) if paths else ""


def _requirepass(value: str) -> dict[str, Any]:
    m = re.fullmatch(r"<redacted:len=(\d+),foobared=(yes|no)>", value or "")
    if not m:
        return {"set": False, "length": 0, "foobared": False}
    return {"set": int(m[1]) > 0, "length": int(m[1]), "foobared": m[2] == "yes"}


def _listening_ports(info: Mapping[str, Any], tls_port: Any) -> dict[str, Any]:
    """The ports the running server listens on, from INFO server. Redis ≥ 7.2 lists them
    (`listenerN:name=tcp|tls,…,port=N`); older servers show only `tcp_port`, which is the TLS port when the
    plain port is 0 (so a `tcp_port` equal to the configured tls-port means port 0)."""
    listeners = [dict(f.partition("=")[::2] for f in str(v).split(",")) for k, v in info.items()
                 if k.startswith("listener")]
    if listeners:
        ports = {x.get("name"): int(x["port"]) for x in listeners if x.get("port", "").isdigit()}
        return {"port": ports.get("tcp", 0), "tls-port": ports.get("tls", 0)}
    port = info.get("tcp_port")
    if not isinstance(port, int):
        return {}
    return {"port": 0 if port and str(port) == str(tls_port) else port}


@fact("redis_settings", _CONFIG_SNIPPET, object_type="database")
def redis_settings(section: Section) -> dict[str, Any]:
    """Settings from redis.conf and the files it includes, overlaid with the live CONFIG GET values when
    CONFIG may be run (it is often renamed away) and with the running server's own ports from INFO server
    (`tcp_port`; TLS listeners on Redis ≥ 7.2). `requirepass`: {set, length, foobared}; `disabled_commands`:
    commands renamed to '' or to something else; `source`: file, live and/or info."""
    reads = section.files()
    first = next(iter(reads.values()), None)
    conf: dict[str, Any] = {}
    source = []
    if first is not None and first.status == "denied":
        raise FactUnavailable(f"permission denied reading {first.path} (run as root or the redis user)")
    if first is not None and first.ok:
        conf = parse_redis_conf(inline_includes(reads))
        source.append("file")
    live = section.command("redis-cli config")
    if live.found and live.rc == 0:
        lines = live.output.splitlines()
        for key, value in zip(lines[::2], lines[1::2], strict=False):
            conf[key.strip()] = value.split() if key.strip() in ("bind", "save") else value.strip()
        source.append("live")
    info = section.command("redis-cli server")
    if info.found and info.rc == 0:
        conf.update(_listening_ports(_info(info.output), conf.get("tls-port")))
        source.append("info")
    if "file" not in source and "live" not in source:
        why = loose_text(section).strip() or (live.output.strip() if live.found else "redis-cli not installed")
        raise FactUnavailable(f"neither redis.conf nor CONFIG GET could be read: {why}; name the file with config "
                              "in the inventory")
    out = {k: number(v) if isinstance(v, str) else v for k, v in conf.items()}
    out["requirepass"] = _requirepass(conf.get("requirepass", ""))
    out.pop("masterauth", None)
    out["disabled_commands"] = sorted(conf.get("rename-command", {}))
    bind = conf.get("bind") or []
    out["bind"] = bind if isinstance(bind, list) else str(bind).split()
    out["listens_everywhere"] = not out["bind"] or any(b.lstrip("-") in ("0.0.0.0", "*", "::", "::*")
                                                       for b in out["bind"])
    out["loopback_only"] = bool(out["bind"]) and all(is_loopback(b.lstrip("-")) for b in out["bind"])
    out["config_file"] = first.path if first else ""
    out["config_files"] = [p for p, r in reads.items() if r.ok]
    out["source"] = "+".join(source)
    out.setdefault("port", 6379)
    out.setdefault("tls-port", 0)
    out.setdefault("timeout", 0)
    out.setdefault("protected-mode", "yes")
    out.setdefault("loglevel", "notice")
    out.setdefault("logfile", "")
    out.setdefault("appendonly", "no")
    out.setdefault("save", ["3600", "1", "300", "100", "60", "10000"])
    out["persistence"] = bool(out["save"] and out["save"] != [""]) or out["appendonly"] == "yes"
    return out


_LOG_SNIPPET = r"""
_c=$(_redisconf)
# every log file the live value or a configuration file names (the parser picks the one in force)
{ [ -z "$A_DOWN" ] && _q CONFIG GET logfile 2>/dev/null | sed -n '1{/^logfile$/!q;}; 2p'
  [ -n "$_c" ] && _redisconfs "$_c" 0 | while read -r _f; do
    [ -f "$R$_f" ] && [ -r "$R$_f" ] && awk 'tolower($1) == "logfile" { v = $2; gsub(/"/, "", v); print v }' "$R$_f"
  done; } | sort -u | while read -r _l; do [ -f "$R$_l" ] && stat -c '%a %U %G %n' "$R$_l"; done
_redis logging CONFIG GET logfile daemonize syslog-enabled supervised
_redis server INFO server
[ -n "$_c" ] && _redisconfs "$_c" 0 | while read -r _f; do
  if [ ! -e "$R$_f" ] || [ -d "$R$_f" ]; then echo "$B M $_f"
  elif [ ! -r "$R$_f" ]; then echo "$B D $_f"
  else echo "$B F $_f"; awk 'tolower($1) ~ /^(logfile|daemonize|syslog-enabled|supervised|include)$/' "$R$_f"; fi
done
"""
_SUPERVISORS = ("systemd", "upstart")


@fact("redis_log_files", _LOG_SNIPPET, object_type="database")
def redis_log_files(section: Section) -> dict[str, Any]:
    """Where the server's log goes and the mode of its log file. `destination`: file | syslog | stdout (kept
    by the service manager) | none (`logfile ""` in a server that put itself in the background: its output
    went to /dev/null). The running server's view wins: CONFIG GET, and INFO server's `process_supervised`
    (a server supervised by systemd or upstart never daemonizes, whatever `daemonize` says)."""
    conf: dict[str, Any] = {}
    reads = section.files()
    if reads:
        conf = parse_redis_conf(inline_includes(reads))
    live = section.command("redis-cli logging")
    if live.found and live.rc == 0:
        lines = live.output.splitlines()
        conf.update((k.strip(), v.strip()) for k, v in zip(lines[::2], lines[1::2], strict=False))
    elif not any(r.ok for r in reads.values()):
        why = live.output.strip() if live.found else "redis-cli not installed"
        raise FactUnavailable(f"neither redis.conf nor CONFIG GET could be read: {why}; name the file with config "
                              "in the inventory")
    info = section.command("redis-cli server")
    supervised = _info(info.output).get("process_supervised") if info.found and info.rc == 0 else None
    logfile = str(conf.get("logfile", ""))
    if logfile:
        destination = "file"
    elif str(conf.get("syslog-enabled", "no")).lower() == "yes":
        destination = "syslog"
    elif str(conf.get("daemonize", "no")).lower() != "yes":
        destination = "stdout"
    else:
        if supervised is None and live.found and live.rc == 0 and conf.get("supervised") in ("no", *_SUPERVISORS):
            supervised = conf["supervised"]
        if supervised is None:
            raise FactUnavailable("logfile is empty and daemonize yes: whether the log goes to /dev/null depends "
                                  "on how the server was started (its command line may override redis.conf); "
                                  "allow the probe user INFO (+info)")
        destination = "stdout" if supervised in _SUPERVISORS else "none"
    out = log_files(section)
    files = [f for f in out["files"] if logfile and f["path"].endswith(logfile)]
    return {"destination": destination, "audit_on": destination != "none", "logfile": logfile,
            "supervised": supervised, "files": files,
            "writable_by_others": [f["path"] for f in files if f["group_or_other_write"]],
            "readable_by_others": [f["path"] for f in files if f["other_access"]]}
