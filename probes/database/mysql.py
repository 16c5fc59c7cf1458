"""MySQL and MariaDB facts (domain notes §3.2, M01–M15): read-only queries through the server's own client,
plus the option files (my.cnf and what it includes).

The client runs as `mysql --batch --skip-column-names` (or `mariadb`) with the object's settings; the
password, when the inventory names one, reaches it as MYSQL_PWD (assess.probes.service). The setup block
tests the connection once: when it fails, every query fact carries the client's message and no further
login is attempted. Password hashes never leave the host: the accounts query says per account whether the
password is empty, one of a few well-known passwords, or set.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from assess.probes.database.common import is_loopback, log_files, number, query, rows, sql_setup
from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.service import command_words, register_setup

ENGINES = ("mysql", "mariadb")
#: Well-known passwords checked on the host against mysql_native_password hashes (salted hashes cannot be).
WEAK_PASSWORDS = ("", "root", "mysql", "mariadb", "123456", "12345678", "123456789", "password", "admin",
                  "root123", "qwerty", "abc123", "test", "changeme", "Passw0rd", "P@ssw0rd", "111111", "000000")
#: Authentication plugins that do not use a password stored in the server.
EXTERNAL_PLUGINS = ("unix_socket", "auth_socket", "gssapi", "pam", "auth_pam", "authentication_pam",
                    "auth_pam_compat", "ed25519_socket", "authentication_ldap_simple", "authentication_ldap_sasl")


def native_hash(password: str) -> str:
    """mysql_native_password's stored form: '*' + upper-case hex SHA1(SHA1(password))."""
    return "*" + hashlib.sha1(hashlib.sha1(password.encode()).digest()).hexdigest().upper()


def _setup(settings: Mapping[str, Any]) -> str:
    args = command_words(
        f"--defaults-extra-file={settings['defaults_file']}" if settings.get("defaults_file") else None,
        "--connect-timeout=5",
        f"--socket={settings['socket']}" if settings.get("socket") else None,
        f"--host={settings['address']}" if settings.get("address") and not settings.get("socket") else None,
        f"--port={settings['port']}" if settings.get("port") else None,
        f"--user={settings['user']}" if settings.get("user") else None,
    )
    return sql_setup("mysql", "command -v mariadb || command -v mysql",
                     f'_t 30 "$_cli" {args} --batch --skip-column-names -e "$1" </dev/null;')


register_setup(ENGINES, _setup)

_VARIABLE_NAMES = (
    "version", "version_comment", "have_ssl", "have_openssl", "require_secure_transport", "tls_version",
    "ssl_ca", "ssl_cert", "ssl_key", "wait_timeout", "interactive_timeout", "general_log", "general_log_file",
    "log_output", "log_error", "log_bin", "default_password_lifetime", "max_password_errors",
    "max_connect_errors", "bind_address", "skip_networking", "port", "local_infile", "secure_file_priv",
    "default_table_encryption", "datadir", "strict_password_validation", "disconnect_on_expired_password",
    "password_history", "password_reuse_interval", "read_only",
)
_VARIABLE_PATTERNS = ("validate_password%", "connection_control%", "component_connection_control%", "simple_password_check%", "cracklib%",
                      "server_audit%", "audit_log%", "innodb_encrypt%", "encrypt_%", "file_key_management%",
                      "keyring%")
_VARIABLES_SQL = ("SHOW GLOBAL VARIABLES WHERE Variable_name IN ("
                  + ", ".join(f"'{n}'" for n in _VARIABLE_NAMES) + ") OR "
                  + " OR ".join(f"Variable_name LIKE '{p}'" for p in _VARIABLE_PATTERNS))


@fact("mysql_variables", f'_sql variables "{_VARIABLES_SQL}"', object_type="database")
def mysql_variables(section: Section) -> dict[str, Any]:
    """Server variables the checks read (names lower-case, `.` as `_`; numbers as integers), plus `flavor`
    (mysql | mariadb) and `version`: {"version": "10.11.6-MariaDB", "wait_timeout": 28800, …}. The MySQL 9
    component's `component_connection_control.*` also appear under the plugin's `connection_control_*` names."""
    out: dict[str, Any] = {}
    for name, value in rows(query(section, "mysql variables", "the server variables"), 2):
        if name and not name.startswith(("ERROR", "mysql:", "mariadb:")):
            out[name.lower().replace(".", "_")] = number(value)
    # MySQL 9's connection-control component names its variables component_connection_control.*
    for key in [k for k in out if k.startswith("component_connection_control_")]:
        out.setdefault(key.removeprefix("component_"), out[key])
    out["flavor"] = "mariadb" if "mariadb" in str(out.get("version", "")).lower() else "mysql"
    out["loopback_only"] = loopback_only(out.get("bind_address"), str(out.get("skip_networking", "")) == "ON")
    return out


def loopback_only(bind_address: Any, no_tcp: bool) -> bool:
    """Whether the server takes connections only on this host (TCP off, or every bind address loopback);
    an unknown bind address is not loopback."""
    if no_tcp:
        return True
    if bind_address is None:
        return False
    addresses = [a.strip() for a in str(bind_address).split(",") if a.strip()]
    return bool(addresses) and all(is_loopback(a) for a in addresses)


def _password_case(plugin: str, auth: str) -> str:
    weak = ", ".join(f"'{native_hash(p)}'" for p in WEAK_PASSWORDS if p)
    external = ", ".join(f"'{p}'" for p in EXTERNAL_PLUGINS)
    return (f"CASE WHEN {plugin} IN ({external}) THEN 'external' WHEN {auth} = '' THEN 'empty' "
            f"WHEN {auth} = 'invalid' THEN 'invalid' WHEN {auth} IN ({weak}) THEN 'weak' ELSE 'set' END")


_ACCOUNT_COLUMNS = ("user", "host", "plugin", "password", "expired", "locked", "lifetime", "default_lifetime",
                    "super", "grant", "file", "create_user", "ssl_type", "is_role")
_MARIADB_ACCOUNTS = (
    "SELECT u.User, u.Host, u.plugin, " + _password_case("u.plugin", "u.authentication_string")
    + ", u.password_expired, IFNULL(JSON_VALUE(g.Priv, '$.account_locked'), 'false'), "
    "IFNULL(JSON_VALUE(g.Priv, '$.password_lifetime'), -1), @@default_password_lifetime, u.Super_priv, "
    "u.Grant_priv, u.File_priv, u.Create_user_priv, u.ssl_type, u.is_role "
    "FROM mysql.user u LEFT JOIN mysql.global_priv g ON g.User = u.User AND g.Host = u.Host")
_MYSQL_ACCOUNTS = (
    "SELECT User, Host, plugin, " + _password_case("plugin", "authentication_string")
    + ", password_expired, IF(account_locked = 'Y', 'true', 'false'), IFNULL(password_lifetime, -1), "
    "@@default_password_lifetime, Super_priv, Grant_priv, File_priv, Create_user_priv, ssl_type, 'N' "
    "FROM mysql.user")


@fact("mysql_accounts", f"""
if [ -z "$A_DOWN" ] && _q 'SELECT 1 FROM mysql.global_priv LIMIT 0' >/dev/null 2>&1; then
  _sql accounts "{_MARIADB_ACCOUNTS}"
else
  _sql accounts "{_MYSQL_ACCOUNTS}"
fi
""", object_type="database")
def mysql_accounts(section: Section) -> dict[str, Any]:
    """Accounts of mysql.user without their hashes. `password`: empty | weak (a well-known password) | set |
    invalid (cannot log in by password) | external (socket/PAM/LDAP plugin). Lists of `user@host` for the
    checks: empty_password, weak_password, anonymous, root (login-capable), remote_root, super (login-capable
    with SUPER), remote_super, login (accounts that can log in, with their effective password lifetime)."""
    accounts = []
    for cells in rows(query(section, "mysql accounts", "the accounts in mysql.user"), len(_ACCOUNT_COLUMNS)):
        a = dict(zip(_ACCOUNT_COLUMNS, cells, strict=True))
        if a["host"] == "" and a["is_role"] == "Y" or a["is_role"] == "Y":
            continue
        lifetime = number(a["lifetime"])
        default = number(a["default_lifetime"])
        effective = default if lifetime in (-1, "NULL") else lifetime
        locked = a["locked"].lower() in ("true", "1", "y")
        accounts.append({
            "account": f"{a['user']}@{a['host']}", "user": a["user"], "host": a["host"], "plugin": a["plugin"],
            "password": a["password"], "expired": a["expired"] == "Y", "locked": locked,
            "lifetime_days": effective if isinstance(effective, int) else 0,
            "super": a["super"] == "Y", "grant": a["grant"] == "Y", "file": a["file"] == "Y",
            "create_user": a["create_user"] == "Y", "ssl_required": a["ssl_type"] not in ("", "NULL"),
            "remote": not is_loopback(a["host"]),
            "login": not locked and a["password"] != "invalid" and not (a["expired"] == "Y"),
        })
    login = [a for a in accounts if a["login"]]
    names = lambda xs: [a["account"] for a in xs]  # noqa: E731
    return {
        "accounts": accounts,
        "login": [{"account": a["account"], "lifetime_days": a["lifetime_days"]} for a in login
                  if a["password"] != "external"],
        "empty_password": names(a for a in login if a["password"] == "empty"),
        "weak_password": names(a for a in login if a["password"] == "weak"),
        "anonymous": names(a for a in accounts if a["user"] == "" and not a["locked"]),
        "root": names(a for a in login if a["user"] == "root"),
        "remote_root": names(a for a in login if a["user"] == "root" and a["remote"]),
        "super": names(a for a in login if a["super"]),
        "super_count": sum(1 for a in login if a["super"]),
        "remote_super": names(a for a in login if a["super"] and a["remote"]),
        "expired_unlocked": names(a for a in accounts if a["expired"] and not a["locked"]
                                  and a["password"] not in ("invalid", "external")),
    }


_DATABASES_SQL = ("SELECT 'db', SCHEMA_NAME FROM information_schema.SCHEMATA UNION ALL "
                  "SELECT 'open', CONCAT(Db, ' to ', IF(User = '', 'anonymous', User)) FROM mysql.db "
                  "WHERE User IN ('', 'PUBLIC')")


@fact("mysql_databases", f'_sql databases "{_DATABASES_SQL}"', object_type="database")
def mysql_databases(section: Section) -> dict[str, Any]:
    """Schemas, whether the sample `test` schema exists, and schema grants to everyone (anonymous or
    PUBLIC): {"databases": [...], "test_database": false, "open_grants": ["test to PUBLIC"]}."""
    dbs, grants = [], []
    for kind, value in rows(query(section, "mysql databases", "the schemas"), 2):
        (dbs if kind == "db" else grants if kind == "open" else []).append(value)
    return {"databases": dbs, "test_database": any(d == "test" or d.startswith("test_") for d in dbs),
            "open_grants": grants}


_LOG_SQL = ("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('datadir', 'log_error', 'general_log_file', "
            "'server_audit_file_path', 'audit_log_file', 'slow_query_log_file')")


@fact("mysql_log_files", f"""
_sql logs "{_LOG_SQL}"
[ -z "$A_DOWN" ] || exit 0
_v=$(_q "{_LOG_SQL}" 2>/dev/null)
_dd=$(printf '%s\\n' "$_v" | awk -F'\\t' '$1=="datadir"{{print $2}}')
printf '%s\\n' "$_v" | awk -F'\\t' '$1!="datadir" && $2!="" {{print $2}}' | sort -u | while read -r _p; do
  case "$_p" in /*) ;; *) _p="$_dd${{_p#./}}" ;; esac
  [ -f "$R$_p" ] && stat -c '%a %U %G %n' "$R$_p"
done
""", object_type="database")
def mysql_log_files(section: Section) -> dict[str, Any]:
    """Modes of the error, general, slow and audit log files the server writes (paths from its variables)."""
    query(section, "mysql logs", "the log file paths")
    return log_files(section)


@fact("mysql_replication", """
_sql replica 'SHOW REPLICA STATUS\\G'
_sql replicas 'SHOW REPLICA HOSTS'
""", object_type="database")
def mysql_replication(section: Section) -> dict[str, Any]:
    """Whether this server replicates from a source, and how many replicas it feeds:
    {"is_replica": true, "source": "10.0.0.5:3306", "io_running": "Yes", "replicas": 0}."""
    try:
        status = query(section, "mysql replica", "the replication status")
    except FactUnavailable as exc:
        if "denied" in str(exc).lower():
            raise FactUnavailable(f"{exc} (SHOW REPLICA STATUS needs REPLICA MONITOR on MariaDB ≥ 10.5, "
                                  "REPLICATION CLIENT on MySQL: grant it to the probe account, README)") from None
        raise
    fields = {}
    for line in status.splitlines():
        key, sep, value = line.strip().partition(": ")
        if sep:
            fields[key.replace("Slave_", "Replica_").replace("Master_", "Source_")] = value.strip()
    replicas = section.command("mysql replicas")
    count = len(rows(replicas.output)) if replicas.found and replicas.rc == 0 else 0
    source = fields.get("Source_Host", "")
    return {"is_replica": bool(source), "source": f"{source}:{fields.get('Source_Port', '')}" if source else "",
            "io_running": fields.get("Replica_IO_Running", ""), "sql_running": fields.get("Replica_SQL_Running", ""),
            "replicas": count, "replicating": bool(source) or count > 0}


# -- option files ---------------------------------------------------------------------------------------
_MYCNF_SNIPPET = r"""
# _mycnf FILE DEPTH: the file, then (depth-first, in the order of its lines) what its !include and !includedir
# lines name, up to 4 levels: the order the server reads them in
_mycnf() {
  _file "$1"
  [ "$2" -lt 4 ] && [ -f "$R$1" ] && [ -r "$R$1" ] || return 0
  awk '$1 == "!include" || $1 == "!includedir" { k = substr($1, 2); sub(/^[ \t]*![a-z]+[ \t]+/, ""); print k, $0 }' \
      "$R$1" | while read -r _k _i; do
    if [ "$_k" = include ]; then _mycnf "$_i" $(($2 + 1))
    else for _g in "$R${_i%/}"/*.cnf; do [ -f "$_g" ] && _mycnf "${_g#"$R"}" $(($2 + 1)); done; fi
  done
}
if [ -n "$A_CONFIG" ]; then _mycnf "$A_CONFIG" 0
else for _c in /etc/my.cnf /etc/mysql/my.cnf; do [ -e "$R$_c" ] && _mycnf "$_c" 0; done; fi
"""
SERVER_GROUPS = ("mysqld", "server", "mariadb", "mariadbd", "mysqld_safe", "galera")
_GROUP = re.compile(r"^\s*\[([^\]]+)\]\s*$")


def parse_option_files(files: list[tuple[str, str]]) -> dict[str, Any]:
    """Option files as the collector listed them (each top-level file, then what it includes) → {"files":
    [...], "mysqld": {option: value}}. Each `!include FILE` / `!includedir DIR` is read where it stands, as
    the server does, so an option after it overrides the included one.

    Options of the server groups ([mysqld], [server], [mariadb], versioned [mariadb-10.11] …) merge, later
    ones winning; names take `_` for `-` and lose a `loose_` prefix; a bare option (`skip-grant-tables`) has
    the value "ON"; `skip-X=0`/`OFF` removes it."""
    contents = dict(files)
    server: dict[str, str] = {}
    done: set[str] = set()

    def read(path: str, depth: int) -> None:
        done.add(path)
        group = ""
        for raw in contents.get(path, "").splitlines():
            line = raw.strip()
            if line.startswith("!"):
                directive, _sep, target = line.partition(" ")
                target = target.strip()
                if depth < 4 and directive == "!include" and target in contents:
                    read(target, depth + 1)
                elif depth < 4 and directive == "!includedir":
                    for included in (p for p in contents if posixpath.dirname(p) == target.rstrip("/")
                                     and p.endswith(".cnf")):
                        read(included, depth + 1)
                continue
            if not line or line.startswith(("#", ";")):
                continue
            m = _GROUP.match(line)
            if m:
                group = m.group(1).strip().lower()
                continue
            if group not in SERVER_GROUPS and not re.fullmatch(r"(mysqld|mariadb|mariadbd)-[\d.]+", group):
                continue
            name, sep, value = line.partition("=")
            name = name.strip().lower().replace("-", "_")
            name = name[len("loose_"):] if name.startswith("loose_") else name
            value = value.split("#", 1)[0].strip().strip("'\"") if sep else "ON"
            if value.upper() in ("0", "OFF", "FALSE") and name.startswith("skip_"):
                server.pop(name, None)
                continue
            server[name] = value

    for path, _content in files:
        if path not in done:  # a top-level file (the included ones are read at their directive)
            read(path, 0)
    return {"files": [p for p, _ in files], "mysqld": server}


@fact("mysql_config", _MYCNF_SNIPPET, object_type="database")
def mysql_config(section: Section) -> dict[str, Any]:
    """The server's option files with `!include`/`!includedir` followed (depth ≤ 4) and its merged server
    options: {"files": ["/etc/mysql/my.cnf", …], "mysqld": {"bind_address": "127.0.0.1", …}}."""
    reads = section.files()
    denied = [p for p, r in reads.items() if r.status == "denied"]
    parsed = parse_option_files([(p, r.content) for p, r in reads.items() if r.ok])
    parsed["denied"] = denied
    return parsed
