"""PostgreSQL facts (domain notes §3.3, P01–P09; derived from the KingbaseES sheet, unverified as evaluator
practice): read-only queries through `psql -XAt`, and pg_hba.conf with the files it includes (found with
SHOW hba_file when connected, or named in the inventory). Server settings come from pg_settings, the
running server's own view (postgresql.conf, its includes and postgresql.auto.conf from ALTER SYSTEM).

The password reaches psql as PGPASSWORD (or a passfile as PGPASSFILE); the setup block tests the connection
once. Role passwords never leave the host: pg_passwords says only how each is stored (scram, md5, plain
text, none), from pg_authid or a superuser-owned helper; a role that may read neither gets "unknown".
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from assess.probes.database.common import is_loopback, log_files, number, query, rows, sql_setup
from assess.probes.facts import FactUnavailable, FileRead, Section, fact
from assess.probes.service import command_words, register_setup


def _setup(settings: Mapping[str, Any]) -> str:
    host = settings.get("socket") or settings.get("address")
    args = command_words(
        "-h" if host else None, str(host) if host else None,
        "-p" if settings.get("port") else None, str(settings.get("port") or ""),
        "-U" if settings.get("user") else None, str(settings.get("user") or ""),
        "-d", str(settings.get("database") or "postgres"),
    )
    return "PGCONNECT_TIMEOUT=5; export PGCONNECT_TIMEOUT" + sql_setup(
        "psql", "command -v psql",
        f'_t 30 psql -X -A -t -F "$(printf \'\\t\')" -v ON_ERROR_STOP=1 {args} -c "$1" </dev/null;')


register_setup(("postgresql",), _setup)

_SETTINGS = (
    "server_version", "server_version_num", "password_encryption", "ssl", "ssl_min_protocol_version",
    "shared_preload_libraries", "idle_session_timeout", "idle_in_transaction_session_timeout",
    "log_connections", "log_disconnections", "logging_collector", "log_directory", "log_filename",
    "log_file_mode", "log_statement", "log_line_prefix", "log_destination", "listen_addresses", "port",
    "data_directory", "hba_file", "config_file", "archive_mode", "wal_level", "data_checksums",
    "authentication_timeout", "pgaudit.log", "auth_delay.milliseconds", "credcheck.max_auth_failure",
    "passwordcheck.minimum_length",
)
_SETTINGS_SQL = ("SELECT name, setting, COALESCE(unit, '') FROM pg_settings WHERE name IN ("
                 + ", ".join(f"'{n}'" for n in _SETTINGS) + ")")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "min": 60, "h": 3600, "d": 86400}


@fact("pg_settings", f'_sql settings "{_SETTINGS_SQL}"', object_type="database")
def pg_settings(section: Section) -> dict[str, Any]:
    """Server settings (names with `.` as `_`), time settings also in seconds (`<name>_s`), and
    `preload`: the shared_preload_libraries as a list."""
    out: dict[str, Any] = {}
    for name, value, unit in rows(query(section, "psql settings", "the server settings"), 3):
        key = name.replace(".", "_")
        out[key] = number(value)
        if unit in _UNIT_SECONDS and isinstance(out[key], int):
            out[key + "_s"] = out[key] * _UNIT_SECONDS[unit]
    out["preload"] = [p.strip() for p in str(out.get("shared_preload_libraries", "")).split(",") if p.strip()]
    listen = out.get("listen_addresses")  # '' = Unix socket only; unknown is not loopback
    out["loopback_only"] = listen is not None and all(
        is_loopback(a.strip()) for a in str(listen).split(",") if a.strip())
    return out


_ROLE_COLUMNS = ("role", "super", "login", "createrole", "replication", "bypassrls", "valid_until")
_ROLES = ("SELECT rolname, rolsuper, rolcanlogin, rolcreaterole, rolreplication, rolbypassrls, "
          "COALESCE(rolvaliduntil::text, '') FROM pg_roles")


@fact("pg_roles", f'_sql roles "{_ROLES}"', object_type="database")
def pg_roles(section: Section) -> dict[str, Any]:
    """Roles (pg_roles, readable by every role). Lists for the checks: superusers (login-capable),
    postgres_login (the bootstrap superuser can log in). How passwords are stored is pg_passwords."""
    roles = []
    for cells in rows(query(section, "psql roles", "the roles"), len(_ROLE_COLUMNS)):
        r = dict(zip(_ROLE_COLUMNS, cells, strict=True))
        roles.append({"role": r["role"], "super": r["super"] == "t", "login": r["login"] == "t",
                      "createrole": r["createrole"] == "t", "replication": r["replication"] == "t",
                      "bypassrls": r["bypassrls"] == "t", "valid_until": r["valid_until"]})
    login = [r for r in roles if r["login"]]
    return {
        "roles": [r for r in roles if r["login"] or r["super"]],
        "superusers": [r["role"] for r in login if r["super"]],
        "superuser_count": sum(1 for r in login if r["super"]),
        "postgres_login": any(r["role"] == "postgres" for r in login),
    }


_KIND = ("CASE WHEN rolpassword IS NULL THEN 'none' WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram' "
         "WHEN rolpassword LIKE 'md5%' THEN 'md5' ELSE 'plain' END")
#: The read-only helper a superuser may install for a non-superuser probe role (README, PostgreSQL): it tells
#: how each role's password is stored, never the hash.
HELPER = "public.assess_password_kinds()"
HELPER_SQL = (f"CREATE FUNCTION {HELPER} RETURNS TABLE (role name, kind text) LANGUAGE sql STABLE "
              f"SECURITY DEFINER SET search_path = pg_catalog AS $$ SELECT rolname, {_KIND} FROM pg_authid $$; "
              f"REVOKE ALL ON FUNCTION {HELPER} FROM PUBLIC; GRANT EXECUTE ON FUNCTION {HELPER} TO assess;")
_PASSWORDS_AUTHID = ("SELECT rolname, rolcanlogin, COALESCE(rolvaliduntil::text, ''), " + _KIND
                     + " FROM pg_authid").replace("$", "\\$")
_PASSWORDS_HELPER = ("SELECT r.rolname, r.rolcanlogin, COALESCE(r.rolvaliduntil::text, ''), k.kind "
                     f"FROM pg_roles r JOIN {HELPER} k ON k.role = r.rolname")
# the helper counts only when a superuser owns it and it runs with its owner's rights
_HELPER_TRUSTED = (f"SELECT 1 FROM pg_proc p JOIN pg_roles o ON o.oid = p.proowner WHERE p.oid = "
                   f"to_regprocedure('{HELPER}') AND p.prosecdef AND o.rolsuper")
NO_AUTHID = ("pg_authid (how each role's password is stored) is readable only by a superuser: scan as one, or "
             f"have a superuser install the read-only SECURITY DEFINER function {HELPER} (README, PostgreSQL)")


@fact("pg_passwords", f"""
if [ -z "$A_DOWN" ] && _q 'SELECT 1 FROM pg_authid LIMIT 0' >/dev/null 2>&1; then
  _sql passwords "{_PASSWORDS_AUTHID}"
elif [ -z "$A_DOWN" ] && [ "$(_q "{_HELPER_TRUSTED}" 2>/dev/null)" = 1 ]; then
  _sql passwords "{_PASSWORDS_HELPER}"
else
  _sql passwords "{_PASSWORDS_AUTHID}"
fi
""", object_type="database")
def pg_passwords(section: Section) -> dict[str, Any]:
    """How each login role's password is stored, from pg_authid or the superuser-owned helper function
    (never the hash): scram | md5 | plain (clear text) | none (no password: peer, cert …). Unreadable is
    unknown (FactUnavailable naming what is missing), never "no password". Lists for the checks: login roles
    with a password but without an expiry (`valid_until`), md5 / plain-text passwords."""
    try:
        got = rows(query(section, "psql passwords", "pg_authid"), 4)
    except FactUnavailable as exc:
        if "permission denied" in str(exc):
            raise FactUnavailable(f"{NO_AUTHID} ({exc})") from None
        raise
    login = [{"role": role, "valid_until": until, "password": kind} for role, can, until, kind in got if can == "t"]
    return {
        "roles": login,
        # VALID UNTIL limits only password logins: a role without a password (peer, cert) has nothing to expire
        "no_expiry": [r["role"] for r in login if r["password"] != "none"
                      and (not r["valid_until"] or r["valid_until"] == "infinity")],
        "weak_storage": [r["role"] for r in login if r["password"] in ("md5", "plain")],
    }


@fact("pg_public_schema", """
_sql public "SELECT has_schema_privilege('public', 'public', 'CREATE'), COALESCE((SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'), '')"
""", object_type="database")
def pg_public_schema(section: Section) -> dict[str, Any]:
    """Whether every role (PUBLIC) may create objects in schema public (P06): {"public_create": false}."""
    got = rows(query(section, "psql public", "the privileges on schema public"), 2)
    if not got:
        return {"public_create": False, "acl": "", "schema": False}
    return {"public_create": got[0][0] == "t", "acl": got[0][1], "schema": True}


@fact("pg_replication", """
_sql replication "SELECT pg_is_in_recovery(), (SELECT count(*) FROM pg_stat_replication)"
""", object_type="database")
def pg_replication(section: Section) -> dict[str, Any]:
    """Standby or primary with streaming replicas: {"is_standby": false, "replicas": 1, "replicating": true}."""
    got = rows(query(section, "psql replication", "the replication status"), 2)
    standby = bool(got) and got[0][0] == "t"
    replicas = number(got[0][1]) if got else 0
    replicas = replicas if isinstance(replicas, int) else 0
    return {"is_standby": standby, "replicas": replicas, "replicating": standby or replicas > 0}


# -- pg_hba.conf ------------------------------------------------------------------------------------------
_HBA_SNIPPET = r"""
# _hba FILE DEPTH: the file, then (depth-first) the files its include / include_if_exists / include_dir lines
# name (PostgreSQL ≥ 16; relative to the including file's directory), up to 4 levels
_hba() {
  _file "$1"
  [ "$2" -lt 4 ] && [ -f "$R$1" ] && [ -r "$R$1" ] || return 0
  awk '{ sub(/#.*/, "") } tolower($1) ~ /^include(_if_exists|_dir)?$/ { v = $2; gsub(/"/, "", v); print tolower($1), v }' \
      "$R$1" | while read -r _k _i; do
    case "$_i" in /*) ;; *) _i="$(dirname "$1")/$_i" ;; esac
    if [ "$_k" = include_dir ]; then
      for _g in "$R${_i%/}"/*.conf; do [ -f "$_g" ] && _hba "${_g#"$R"}" $(($2 + 1)); done
    else _hba "$_i" $(($2 + 1)); fi
  done
}
_h="$A_HBA"
if [ -z "$_h" ] && [ -z "$A_DOWN" ]; then _h=$(_q 'SHOW hba_file' 2>/dev/null); fi
if [ -n "$_h" ]; then _hba "$_h" 0; else echo "hba_file unknown: $A_DOWN"; fi
"""
CLEARTEXT_OR_NONE = ("trust", "password", "ident")


def parse_hba(text: str, file: str = "") -> list[dict[str, Any]]:
    """pg_hba.conf records: type, databases, users, address (none for `local`), method, options, line, and
    `file` when the record comes from an included file."""
    records = []
    for number_, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = re.findall(r'"[^"]*"|\S+', line)
        kind = words[0].lower()
        if kind.startswith("include"):
            records.append({"type": kind, "line": number_, "target": " ".join(words[1:])})
            continue
        if kind == "local":
            if len(words) < 4:
                continue
            address, method, options = "", words[3], words[4:]
        else:
            if len(words) < 5:
                continue
            address, rest = words[3], words[4:]
            if "/" not in address and len(rest) >= 2 and re.fullmatch(r"[\d.:a-fA-F]+", address) \
                    and re.fullmatch(r"[\d.:a-fA-F]+", rest[0]):
                rest = rest[1:]  # an address followed by a separate netmask
            method, options = rest[0], rest[1:]
        records.append({"type": kind, "databases": words[1].split(","), "users": words[2].split(","),
                        "address": address.strip('"'), "method": method.lower(), "options": options,
                        "line": number_, "text": line, **({"file": file} if file else {})})
    return records


def inline_hba(reads: dict[str, FileRead], path: str, depth: int = 0) -> list[dict[str, Any]]:
    """The records of `path` with each include directive followed by the records of the files it names,
    as the server reads them. An included file that cannot be read makes pg_hba unknown; a missing one is
    an error for `include` (the server would not have loaded it) and nothing for `include_if_exists`."""
    read = reads.get(path, FileRead(path, "missing"))
    if read.status == "denied":
        raise FactUnavailable(f"permission denied reading {path} (run as root or the postgres user)")
    if read.status == "missing":
        raise FactUnavailable(f"{path} does not exist")
    out = []
    for record in parse_hba(read.content, path if depth else ""):
        out.append(record)
        if not record["type"].startswith("include") or depth >= 4:
            continue
        target = record["target"].strip('"')
        target = target if target.startswith("/") else posixpath.join(posixpath.dirname(path), target)
        if record["type"] == "include_dir":
            for included in sorted(p for p in reads if posixpath.dirname(p) == target.rstrip("/")
                                   and p.endswith(".conf")):
                out += inline_hba(reads, included, depth + 1)
        elif record["type"] == "include" or reads.get(target, FileRead(target, "missing")).status != "missing":
            out += inline_hba(reads, target, depth + 1)
    return out


def _remote(record: dict[str, Any]) -> bool:
    if record["type"] == "local":
        return False
    address = record["address"]
    return not (is_loopback(address.split("/")[0]) or address in ("samehost",))


def hba_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """What the checks read from pg_hba: lines without real authentication or with a cleartext method,
    remote lines not bound to TLS, and remote lines that admit the bootstrap superuser."""
    live = [r for r in records if "method" in r and r["method"] != "reject"]
    shown = lambda r: f"{r['file'] + ' ' if 'file' in r else ''}line {r['line']}: {r['text']}"  # noqa: E731
    remote = [r for r in live if _remote(r)]
    return {
        "records": records,
        "weak_methods": [shown(r) for r in live if r["method"] in CLEARTEXT_OR_NONE],
        "trust": [shown(r) for r in live if r["method"] == "trust"],
        "remote_without_tls": [shown(r) for r in remote if r["type"] in ("host", "hostnossl", "hostgssenc")
                               and r["method"] not in ("cert",)],
        "remote_superuser": [shown(r) for r in remote
                             if any(u in ("all", "postgres") for u in r["users"])],
        "remote_md5": [shown(r) for r in remote if r["method"] == "md5"],
        "includes": [r["target"] for r in records if r["type"].startswith("include")],
    }


@fact("pg_hba", _HBA_SNIPPET, object_type="database")
def pg_hba(section: Section) -> dict[str, Any]:
    """pg_hba.conf parsed with the files it includes, and the lines the checks judge (see hba_summary)."""
    reads = [r for r in section.files().values()]
    if not reads:
        reason = section.plain().strip().removeprefix("hba_file unknown:").strip()
        raise FactUnavailable("pg_hba.conf location unknown: name it with hba_file in the inventory, or connect "
                              f"as a role that may read it ({reason or 'SHOW hba_file gave nothing'})")
    out = hba_summary(inline_hba(section.files(), reads[0].path))
    out["path"] = reads[0].path
    return out


_LOG_SNIPPET = r"""
_sql logdir "SELECT current_setting('data_directory'), current_setting('log_directory')"
[ -z "$A_DOWN" ] || exit 0
_v=$(_q "SELECT current_setting('data_directory'), current_setting('log_directory')" 2>/dev/null) || exit 0
_dd=$(printf '%s' "$_v" | cut -f1); _ld=$(printf '%s' "$_v" | cut -f2)
case "$_ld" in /*) ;; *) _ld="$_dd/$_ld" ;; esac
[ -d "$R$_ld" ] || exit 0
ls -1t "$R$_ld" 2>/dev/null | head -n 20 | while read -r _n; do stat -c '%a %U %G %n' "$R$_ld/$_n"; done
"""


@fact("pg_log_files", _LOG_SNIPPET, object_type="database")
def pg_log_files(section: Section) -> dict[str, Any]:
    """Modes of the newest files (up to 20) in the server's log_directory."""
    query(section, "psql logdir", "the log directory")
    return log_files(section)
