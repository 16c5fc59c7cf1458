"""The inventory: which 测评对象 a scan covers and how to reach them.

Without an inventory file, a scan covers the local machine (a `linux` object reached locally), plus
the `site` (机房) and `organization` (管理制度/机构/人员) objects that physical and management items
are judged on by interview.

`-i FILE` accepts three formats, recognised by content:
  * the assess inventory (YAML with `objects:`, optional `defaults:` and `ssh_config:`);
  * an Ansible inventory, INI or YAML (see assess.inventory.ansible);
  * an OpenSSH client configuration (`Host` blocks; see assess.inventory.ssh_config).

Fields are declared per object type (`TYPE_FIELDS`) and each type with a way to reach it has a connection
builder (`CONNECTIONS`) that fills `Target.connection`; adding an object type with its own fields is one
entry in each. Every problem is reported as `file:line: message` (or names the object) and nothing is
scanned: YAML errors, unknown or missing fields, duplicate ids, jump cycles, unreadable key files, wrong
passphrases, unset environment variables. Secrets never live in the inventory: passwords and
passphrases are named by environment variable (`password_env`, `become_password_env`, `key_passphrase_env`).
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess import model
from assess.catalog.schema import Field, Problems, check_mapping
from assess.errors import InputError, LintErrors
from assess.inventory import ansible as ansible_inventory
from assess.inventory import ssh_config as ssh_config_mod
from assess.limits import MAX_OBJECTS, MAX_TAGS
from assess.model import Target
from assess.probes import service
from assess.probes.cloud import target as cloud_target
from assess.probes.http import target as http_target
from assess.probes.network import target as device_target
from assess.probes.transport import credentials
from assess.run.document import safe_name
from assess.yamlio import Node, load_text, plain, read_text

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _env_name(value: Any) -> str | None:
    return None if _ENV_NAME.match(str(value)) else "must be the name of an environment variable"


def _port(value: Any) -> str | None:
    return None if 0 < value < 65536 else "must be a TCP port (1-65535)"


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be a positive number of seconds"


COMMON_FIELDS: dict[str, Field] = {
    "id": Field(str), "type": Field(str, choices=model.OBJECT_TYPES), "name": Field(str, required=False),
    "address": Field(str, required=False), "engine": Field(str, required=False),
    "tags": Field(list, required=False),
}

#: Linux objects: reached locally or over SSH.
LINUX_FIELDS: dict[str, Field] = {
    "transport": Field(str, choices=("ssh", "local"), required=False),
    "port": Field(int, required=False, check=_port),
    "user": Field(str, required=False),
    "key": Field(str, required=False),
    "key_passphrase_env": Field(str, required=False, check=_env_name),
    "agent": Field(bool, required=False),
    "password_env": Field(str, required=False, check=_env_name),
    "known_hosts": Field((str, list), required=False),
    "jump": Field((str, list), required=False),
    "become": Field(str, required=False, choices=("sudo",)),
    "become_password_env": Field(str, required=False, check=_env_name),
    "connect_timeout": Field(float, required=False, check=_positive),
    "command_timeout": Field(float, required=False, check=_positive),
}

#: Fields each object type accepts besides COMMON_FIELDS.
TYPE_FIELDS: dict[str, dict[str, Field]] = {"linux": LINUX_FIELDS, "webapp": http_target.FIELDS,
                                            "database": service.DATABASE_FIELDS,
                                            "middleware": service.MIDDLEWARE_FIELDS,
                                            "network-device": device_target.FIELDS,
                                            "security-device": device_target.FIELDS,
                                            "cloud-account": cloud_target.FIELDS}

_SECRET_KEYS = {"password": "password_env", "become_password": "become_password_env",
                "sudo_password": "become_password_env", "passphrase": "key_passphrase_env",
                "key_passphrase": "key_passphrase_env"}
_FILE_SPEC = {"objects": Field(list), "interview_objects": Field(bool, required=False),
              "defaults": Field(dict, required=False), "ssh_config": Field((str, bool), required=False)}


@dataclass
class Context:
    """What connection builders need: where relative paths start, the ssh config, the problem list."""

    file: str
    base: Path
    ssh_config: ssh_config_mod.SSHConfig | None
    problems: Problems
    #: raw `jump` lists per SSH object id, resolved into hop chains once every object is known
    jumps: dict[str, tuple[list[str], Node]] = field(default_factory=dict)

    def path(self, value: str) -> str:
        p = Path(os.path.expanduser(value))
        return str(p if p.is_absolute() else (self.base / p).resolve())


def interview_objects() -> list[Target]:
    return [Target(id="site", type="site", name="机房（物理环境）"),
            Target(id="organization", type="organization", name="安全管理（制度、机构、人员、建设、运维）")]


def local_inventory() -> list[Target]:
    """The default scan: this machine, plus the interview objects."""
    if not sys.platform.startswith("linux"):
        raise InputError(f"a local scan needs Linux; this is {sys.platform}. Scan Linux hosts over SSH with "
                         "`assess scan -i inventory.yaml`")
    host = socket.gethostname() or "localhost"
    local = Target(id="local", type="linux", name=host, address="localhost", connection={"transport": "local"})
    return [local, *interview_objects()]


# -- formats ---------------------------------------------------------------------------------------------
def load(path: Path, ssh_config: Path | None | bool = True) -> list[Target]:
    """Read an inventory in any accepted format; every problem is reported before anything is scanned.

    `ssh_config`: True reads ~/.ssh/config when it exists, False reads none, a path reads that file
    (an assess inventory can also say `ssh_config: PATH` or `ssh_config: false`).
    """
    text = read_text(path, "an inventory file")
    f = str(path)
    base = path.resolve().parent
    interview = True
    if ssh_config_mod.looks_like(text):
        config = ssh_config_mod.SSHConfig(path)
        entries = [_alias_entry(alias, line, f) for alias, line in config.hosts()]
        ctx = Context(f, base, config, Problems())
        return _targets(entries, ctx, interview)
    try:
        data = load_text(text, f)
    except InputError:
        if ansible_inventory.looks_like_ini(text):
            entries = ansible_inventory.load_ini(text, f)
            return _targets(entries, Context(f, base, _ssh_config(ssh_config, base), Problems()), interview)
        raise
    if ansible_inventory.is_ansible_yaml(data):
        entries = ansible_inventory.load_yaml(data, f)
    elif isinstance(data, str) and ansible_inventory.looks_like_ini(text):
        entries = ansible_inventory.load_ini(text, f)
    else:
        problems = Problems()
        if not check_mapping(data, _FILE_SPEC, "inventory", problems, f):
            raise LintErrors(list(problems))
        if problems:
            raise LintErrors(list(problems))
        interview = data.get("interview_objects", True)
        setting = data.get("ssh_config", True)
        if setting is False:
            ssh_config = False
        elif isinstance(setting, str):
            ssh_config = Path(Context(f, base, None, problems).path(setting))
        entries = _with_defaults(data["objects"], data.get("defaults"), f, problems)
        if problems:
            raise LintErrors(list(problems))
    return _targets(entries, Context(f, base, _ssh_config(ssh_config, base), Problems()), interview)


def _ssh_config(setting: Path | None | bool, base: Path) -> ssh_config_mod.SSHConfig | None:
    if setting is False or setting is None:
        return None
    path = ssh_config_mod.default_path() if setting is True else Path(setting)
    if setting is True and not path.is_file():
        return None
    return ssh_config_mod.SSHConfig(path)


def _alias_entry(alias: str, line: int, file: str) -> Node:
    node = Node({"id": alias, "type": "linux", "address": alias})
    node.file, node.line, node.key_lines = file, line, dict.fromkeys(node, line)
    return node


def _with_defaults(objects: list[Any], defaults: Node | None, file: str, problems: Problems) -> list[Any]:
    """Apply `defaults:` to each object (only the keys its type accepts), keeping line numbers."""
    if not defaults:
        return objects
    out = []
    for obj in objects:
        if not isinstance(obj, Node):
            out.append(obj)
            continue
        kind = obj.get("type", defaults.get("type"))
        allowed = {**COMMON_FIELDS, **TYPE_FIELDS.get(str(kind), {})}
        merged = Node(obj)
        merged.file, merged.line, merged.key_lines = obj.file, obj.line, dict(obj.key_lines)
        for key, value in defaults.items():
            if key in ("id", "name", "address"):
                problems.at(defaults, key, f"'{key}' cannot be a default (it differs per object)", file)
            elif key not in merged and key in allowed:
                merged[key] = value
                merged.key_lines[key] = defaults.line_of(key)
        out.append(merged)
    return out


# -- objects ---------------------------------------------------------------------------------------------
def _targets(entries: list[Any], ctx: Context, interview: bool) -> list[Target]:
    targets: list[Target] = []
    seen: dict[str, int] = {}
    nodes: dict[str, Node] = {}
    p, f = ctx.problems, ctx.file
    if len(entries) > MAX_OBJECTS:
        raise InputError(f"{len(entries)} objects; an inventory may hold at most {MAX_OBJECTS}", f,
                         getattr(entries[MAX_OBJECTS], "line", None))
    for node in entries:
        node = _without_secrets(node, ctx)
        kind = node.get("type") if isinstance(node, dict) else None
        spec = {**COMMON_FIELDS, **TYPE_FIELDS.get(kind if isinstance(kind, str) else "", {})}
        if not check_mapping(node, spec, "object", p, f) or "id" not in node or not isinstance(node["id"], str):
            continue
        oid = node["id"]
        try:
            safe_name(oid)
        except InputError as exc:
            p.at(node, "id", exc.message, f)
            continue
        if oid in seen or oid == model.UNCOVERED_TYPE:
            p.at(node, "id", f"duplicate object id '{oid}'" + (f" (first at line {seen[oid]})"
                                                               if oid in seen else " (reserved)"), f)
            continue
        seen[oid] = node.line
        nodes[oid] = node
        if kind not in model.OBJECT_TYPES:
            continue
        if len(node.get("tags") or ()) > MAX_TAGS:
            p.at(node, "tags", f"object '{oid}': more than {MAX_TAGS} tags", f)
            continue
        engine = node.get("engine")
        if engine and engine not in model.ENGINES.get(kind, ()):
            p.at(node, "engine", f"unknown engine '{engine}' for {kind}", f)
        builder = CONNECTIONS.get(kind)
        connection = builder(node, ctx) if builder else {}
        address = connection.get("host") or node.get("address", "")
        targets.append(Target(id=oid, type=kind, name=node.get("name", ""), address=address, engine=engine,
                              tags=[str(t) for t in plain(node.get("tags") or [])], connection=connection))
    _resolve_jumps(targets, nodes, ctx)
    service.resolve_hosts(targets, nodes, p, f)
    if p:
        raise LintErrors(list(p))
    if interview:
        present = {t.id for t in targets}
        targets += [t for t in interview_objects() if t.id not in present and
                    not any(x.type == t.type for x in targets)]
    return targets


def _without_secrets(node: Any, ctx: Context) -> Any:
    """Report secret values written into the inventory, and leave them out of any further checks."""
    if not isinstance(node, Node) or not any(k in _SECRET_KEYS for k in node):
        return node
    clean = Node({k: v for k, v in node.items() if k not in _SECRET_KEYS})
    clean.file, clean.line, clean.key_lines = node.file, node.line, node.key_lines
    for key in node:
        if key in _SECRET_KEYS:
            ctx.problems.at(node, key, f"'{key}' is not accepted: secrets never live in the inventory; put it in "
                                       f"an environment variable and name it with {_SECRET_KEYS[key]}", ctx.file)
    return clean


def _linux_connection(node: Node, ctx: Context) -> dict[str, Any]:
    """How to reach a linux object: `transport: local`, or SSH (with ~/.ssh/config filling the gaps)."""
    oid, f = node["id"], ctx.file
    transport = node.get("transport") or ("ssh" if node.get("address") else None)
    if transport == "local":
        return {"transport": "local"}
    if transport is None:
        ctx.problems.at(node, None, f"object '{oid}' needs an address (or transport: local)", f)
        return {}
    alias = node["address"]
    cfg = ctx.ssh_config.lookup(alias) if ctx.ssh_config else ssh_config_mod.HostConfig()
    known = node.get("known_hosts")
    conn: dict[str, Any] = {
        "transport": "ssh", "label": oid, "host": cfg.hostname or alias,
        "port": node.get("port") or cfg.port or 22, "user": node.get("user") or cfg.user or getpass.getuser(),
        "key": ctx.path(node["key"]) if node.get("key") else cfg.identity_file,
        "key_passphrase_env": node.get("key_passphrase_env"), "agent": bool(node.get("agent")),
        "password_env": node.get("password_env"),
        "known_hosts": [ctx.path(k) for k in ([known] if isinstance(known, str) else plain(known))]
        if known else None,
        "become": node.get("become"), "become_password_env": node.get("become_password_env"),
        "connect_timeout": node.get("connect_timeout"), "command_timeout": node.get("command_timeout"),
    }
    jump = node.get("jump") or cfg.proxy_jump
    if jump:
        ctx.jumps[oid] = ([jump] if isinstance(jump, str) else [str(j) for j in plain(jump)], node)
    _check_credentials(conn, node, ctx)
    return conn


#: Connection builders per object type (types without one are judged by interview only).
CONNECTIONS: dict[str, Callable[[Node, Context], dict[str, Any]]] = {
    "linux": _linux_connection,
    "webapp": lambda node, ctx: http_target.connection(node, ctx.problems, ctx.file),
    "database": lambda node, ctx: service.connection(node, ctx.problems, ctx.file),
    "middleware": lambda node, ctx: service.connection(node, ctx.problems, ctx.file),
    "network-device": lambda node, ctx: device_target.connection(node, ctx.problems, ctx.file, ctx.path),
    "security-device": lambda node, ctx: device_target.connection(node, ctx.problems, ctx.file, ctx.path),
    "cloud-account": lambda node, ctx: cloud_target.connection(node, ctx.problems, ctx.file, ctx.path),
}


def _check_credentials(conn: dict[str, Any], node: Node, ctx: Context) -> None:
    """Key files load (right passphrase), named environment variables are set, known_hosts files exist."""
    oid, p, f = node["id"], ctx.problems, ctx.file
    if conn.get("key"):
        try:
            credentials.private_key(conn["key"], conn.get("key_passphrase_env"))
        except credentials.CredentialError as exc:
            p.at(node, "key" if "key" in node else None, f"object '{oid}': {exc}", f)
    for key in ("password_env", "become_password_env"):
        name = conn.get(key)
        if name and name not in os.environ:
            p.at(node, key, f"object '{oid}': environment variable {name} ({key}) is not set", f)
    if conn.get("agent") and not os.environ.get("SSH_AUTH_SOCK"):
        p.at(node, "agent", f"object '{oid}': agent: true but SSH_AUTH_SOCK is not set (no ssh-agent)", f)
    for path in conn.get("known_hosts") or []:
        if not Path(path).exists():
            p.at(node, "known_hosts", f"object '{oid}': known_hosts file {path} does not exist", f)
        elif not Path(path).is_file():
            p.at(node, "known_hosts", f"object '{oid}': known_hosts file {path} is not a regular file", f)
    if conn.get("become") == "sudo" and conn.get("user") == "root":
        conn["become"] = None  # root needs no sudo


_SPEC = re.compile(r"^(?:(?P<user>[^@\s]+)@)?(?P<host>\[[^\]]+\]|[^:\s\[\]]+)(?::(?P<port>\d+))?$")


def _resolve_jumps(targets: list[Target], nodes: dict[str, Node], ctx: Context) -> None:
    """Turn each `jump` (object ids or user@host:port, chains allowed) into the hop list, outermost first."""
    by_id = {t.id: t for t in targets if t.connection.get("transport") == "ssh"}
    routes: dict[str, list[dict[str, Any]]] = {}

    def hop_of(target: Target) -> dict[str, Any]:
        keys = ("host", "port", "user", "key", "key_passphrase_env", "agent", "password_env", "known_hosts",
                "label")
        return {k: target.connection.get(k) for k in keys}

    def route(oid: str, stack: list[str]) -> list[dict[str, Any]]:
        if oid in routes:
            return routes[oid]
        if oid not in ctx.jumps:
            return []
        raw, node = ctx.jumps[oid]
        if oid in stack:
            cycle = " → ".join([*stack[stack.index(oid):], oid])
            raise _Cycle(f"jump cycle: {cycle}", node)
        chain: list[dict[str, Any]] = []
        for i, spec in enumerate(raw):
            if spec == oid:
                raise _Cycle(f"object '{oid}' lists itself as its jump host", node)
            if spec in by_id:
                if i == 0:
                    chain += route(spec, [*stack, oid])
                chain.append(hop_of(by_id[spec]))
            elif spec in nodes:
                ctx.problems.at(node, "jump", f"object '{oid}': jump host '{spec}' is not reached over SSH", ctx.file)
            else:
                chain.append(_spec_hop(spec, by_id[oid], node, ctx))
        routes[oid] = chain
        return chain

    for oid in ctx.jumps:
        if oid not in by_id:
            continue
        try:
            by_id[oid].connection["jump"] = route(oid, [])
        except _Cycle as exc:
            ctx.problems.at(exc.node, "jump" if "jump" in exc.node else None, exc.message, ctx.file)
            return


class _Cycle(Exception):
    def __init__(self, message: str, node: Node) -> None:
        super().__init__(message)
        self.message, self.node = message, node


def _spec_hop(spec: str, target: Target, node: Node, ctx: Context) -> dict[str, Any]:
    """A jump host written as [user@]host[:port] (or an ssh config alias); credentials as the target's."""
    m = _SPEC.match(spec)
    if not m:
        ctx.problems.at(node, "jump", f"object '{target.id}': jump '{spec}' is neither an object id nor "
                                      "[user@]host[:port]", ctx.file)
        return {}
    host = m.group("host").strip("[]")
    cfg = ctx.ssh_config.lookup(host) if ctx.ssh_config else ssh_config_mod.HostConfig()
    c = target.connection
    return {"host": cfg.hostname or host, "port": int(m.group("port") or cfg.port or 22),
            "user": m.group("user") or cfg.user or c.get("user"),
            "key": cfg.identity_file or c.get("key"), "key_passphrase_env": c.get("key_passphrase_env"),
            "agent": c.get("agent"), "password_env": None, "known_hosts": c.get("known_hosts"), "label": spec}
