"""Database and middleware objects: their inventory fields, and their settings and credentials handed to the
collector script.

    - id: orders-db
      type: database
      engine: mysql                 # mysql | mariadb | postgresql | redis
      host: db1                     # the linux object it runs on (collected through db1's transport) …
      # transport: local            # … or on the machine assess runs on
      port: 3306
      user: assess                  # a read-only account for the probe
      password_env: ASSESS_DB_PW    # the password comes from this environment variable (never the inventory)
      # socket, address, database, defaults_file (MySQL option file), passfile (.pgpass),
      # config (my.cnf / redis.conf / nginx.conf), hba_file, tls, ca_file
    - id: web-nginx
      type: middleware
      engine: nginx                 # nginx | tomcat
      host: web1
      # binary, config, prefix (nginx); catalina_home, catalina_base (tomcat)

A database or middleware object is collected on the host it runs on (through that host's transport). Its
settings from the inventory (port, socket, config paths, Tomcat's CATALINA_HOME …) become shell variables
`A_*` in a setup block that runs before the facts; the password named by `password_env` becomes the
engine client's own environment variable (`MYSQL_PWD`, `PGPASSWORD`, `REDISCLI_AUTH`). The setup block is
part of the script only: evidence keeps each fact's snippet and output, never the setup, so the password
is in no file and no result.

Each engine module registers a shell block (`register_setup`) that defines its query helper and, for
databases, tests the connection once, so that a wrong password costs one failed login, not one per fact.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from assess.catalog.schema import Field, Problems

_PATHS = ("socket", "defaults_file", "passfile", "config", "hba_file", "ca_file", "binary", "prefix",
          "catalina_home", "catalina_base")


def _port(value: Any) -> str | None:
    return None if 0 < value < 65536 else "must be a TCP port (1-65535)"


def _env_name(value: Any) -> str | None:
    return None if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(value)) else "must be the name of an environment variable"


_REACH = {"host": Field(str, required=False), "transport": Field(str, choices=("local",), required=False)}
DATABASE_FIELDS = {
    **_REACH, "port": Field(int, required=False, check=_port), "user": Field(str, required=False),
    "password_env": Field(str, required=False, check=_env_name), "socket": Field(str, required=False),
    "database": Field(str, required=False), "defaults_file": Field(str, required=False),
    "passfile": Field(str, required=False), "config": Field(str, required=False),
    "hba_file": Field(str, required=False), "tls": Field(bool, required=False), "ca_file": Field(str, required=False),
}
MIDDLEWARE_FIELDS = {
    **_REACH, "binary": Field(str, required=False), "config": Field(str, required=False),
    "prefix": Field(str, required=False), "catalina_home": Field(str, required=False),
    "catalina_base": Field(str, required=False),
}

#: inventory setting → shell variable
VARIABLES = {
    "address": "A_ADDR", "port": "A_PORT", "user": "A_USER", "socket": "A_SOCKET", "database": "A_DB",
    "defaults_file": "A_DEFAULTS", "passfile": "A_PASSFILE", "config": "A_CONFIG", "hba_file": "A_HBA",
    "tls": "A_TLS", "ca_file": "A_CA", "binary": "A_BIN", "prefix": "A_PREFIX",
    "catalina_home": "A_HOME", "catalina_base": "A_BASE",
}
#: engine → the client's password variable
PASSWORD_VARIABLES = {"mysql": "MYSQL_PWD", "mariadb": "MYSQL_PWD", "postgresql": "PGPASSWORD",
                      "redis": "REDISCLI_AUTH"}

Builder = Callable[[Mapping[str, Any]], str]
_SETUPS: dict[str, Builder] = {}


def register_setup(engines: Iterable[str], builder: Builder) -> None:
    """How to write the shell block an engine's facts rely on (helpers, one connection test) from the
    object's settings."""
    for engine in engines:
        _SETUPS[engine] = builder


def command_words(*words: str | None) -> str:
    """Shell words for a command line, leaving out the empty ones."""
    return " ".join(quote(w) for w in words if w)


def quote(value: Any) -> str:
    """One POSIX shell word holding `value` literally."""
    text = "1" if value is True else "" if value in (False, None) else str(value)
    return "'" + text.replace("'", "'\"'\"'") + "'"


def setup_builder(engine: str) -> Builder | None:
    """The registered setup block builder of an engine (`assess.probes.registry.setup` writes the block)."""
    return _SETUPS.get(engine)


# -- inventory ------------------------------------------------------------------------------------------------
def connection(node: Any, problems: Problems, file: str) -> dict[str, Any]:
    """`Target.connection` of a database or middleware object: its settings under `service`, and either
    `transport: local` or `via` (the id of the linux object it runs on, resolved by `resolve_hosts`)."""
    oid, kind = node["id"], node.get("type")
    fields = DATABASE_FIELDS if kind == "database" else MIDDLEWARE_FIELDS
    settings = {k: node.get(k) for k in fields if k not in ("host", "transport") and node.get(k) is not None}
    settings["address"] = node.get("address")
    for key in _PATHS:
        if key in settings and not str(settings[key]).startswith("/"):
            problems.at(node, key, f"object '{oid}': {key} must be an absolute path on the host it names", file)
    if not node.get("engine"):
        problems.at(node, None, f"object '{oid}' needs an engine ({', '.join(_engines(kind))})", file)
    name = settings.get("password_env")
    if name and name not in os.environ:
        problems.at(node, "password_env", f"object '{oid}': environment variable {name} (password_env) is not set",
                    file)
    if node.get("transport") == "local":
        if node.get("host"):
            problems.at(node, "host", f"object '{oid}': give either host or transport: local, not both", file)
        return {"transport": "local", "service": settings}
    if not node.get("host"):
        problems.at(node, None, f"object '{oid}' needs host: <id of the linux object it runs on> "
                                "(or transport: local)", file)
        return {}
    return {"via": node["host"], "service": settings}


def _engines(kind: str | None) -> tuple[str, ...]:
    from assess.model import ENGINES

    return ENGINES.get(kind or "", ())


def resolve_hosts(targets: list[Any], nodes: Mapping[str, Any], problems: Problems, file: str) -> None:
    """Give each object reached `via` a linux host that host's transport (local or SSH, jumps included)."""
    by_id = {t.id: t for t in targets}
    for t in targets:
        via = t.connection.get("via")
        if not via:
            continue
        host = by_id.get(via)
        if host is None or host.type != "linux":
            what = "is not in this inventory" if host is None else f"is a {host.type} object, not linux"
            problems.at(nodes.get(t.id), "host", f"object '{t.id}': host '{via}' {what}", file)
            continue
        if not host.connection.get("transport"):
            continue  # the host's own problem is reported already
        t.connection = {**host.connection, "via": via, "service": t.connection["service"]}
        if not t.address:
            t.address = host.address
