"""Ansible inventories (INI and YAML) as assess inventories.

Hosts become linux objects; groups become tags. Variables are merged the Ansible way (the `all` group,
then groups from the outermost to the innermost, then host variables) and mapped to inventory fields:

  ansible_host → address        ansible_port → port          ansible_user → user
  ansible_ssh_private_key_file → key                          ansible_become → become: sudo
  ansible_ssh_common_args / ansible_ssh_extra_args with -J or ProxyJump → jump
  assess_type, assess_password_env, assess_become_password_env, assess_key_passphrase_env,
  assess_known_hosts, assess_agent, assess_jump, assess_tags, assess_name → the field of that name

Passwords are never read from an inventory: ansible_password and friends are an error that says to use
assess_password_env instead. Templated values (`{{ ... }}`) are not evaluated and are an error too.
"""

from __future__ import annotations

import re
import shlex
import string
from dataclasses import dataclass, field
from typing import Any

from assess.catalog.schema import Problems
from assess.errors import LintErrors
from assess.limits import MAX_OBJECTS
from assess.yamlio import Node

_FIELDS = {
    "ansible_host": "address", "ansible_ssh_host": "address",
    "ansible_port": "port", "ansible_ssh_port": "port",
    "ansible_user": "user", "ansible_ssh_user": "user",
    "ansible_ssh_private_key_file": "key", "ansible_private_key_file": "key",
    "assess_type": "type", "assess_name": "name", "assess_password_env": "password_env",
    "assess_become_password_env": "become_password_env", "assess_key_passphrase_env": "key_passphrase_env",
    "assess_known_hosts": "known_hosts", "assess_agent": "agent", "assess_jump": "jump", "assess_tags": "tags",
}
_SECRETS = ("ansible_password", "ansible_ssh_pass", "ansible_ssh_password", "ansible_become_password",
            "ansible_become_pass", "ansible_sudo_pass", "ansible_ssh_private_key_passphrase")
_SSH_CONNECTIONS = ("ssh", "paramiko", "smart")
_RANGE = re.compile(r"\[([0-9a-zA-Z]+):([0-9a-zA-Z]+)(?::(\d+))?\]")
_JUMP = re.compile(r"(?:-J\s*|-o\s*['\"]?ProxyJump[= ]\s*)([^\s'\"]+)")


@dataclass
class _Group:
    name: str
    vars: dict[str, tuple[Any, int]] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    hosts: dict[str, dict[str, tuple[Any, int]]] = field(default_factory=dict)


@dataclass
class _Inventory:
    file: str
    groups: dict[str, _Group] = field(default_factory=dict)
    first_line: dict[str, int] = field(default_factory=dict)

    def group(self, name: str) -> _Group:
        return self.groups.setdefault(name, _Group(name))

    def add_hosts(self, group: str, pattern: str, hvars: dict[str, tuple[Any, int]], line: int) -> None:
        """Add the hosts a name or range pattern stands for; ValueError for a bad range or too many hosts."""
        for host in expand(pattern, MAX_OBJECTS - len(self.first_line)):
            self.group(group).hosts.setdefault(host, {}).update(hvars)
            self.first_line.setdefault(host, line)
        if len(self.first_line) > MAX_OBJECTS:
            raise ValueError(f"more than {MAX_OBJECTS} hosts in the inventory")


# -- reading ----------------------------------------------------------------------------------------------
def looks_like_ini(text: str) -> bool:
    """An INI inventory: `[group]` headers or `host key=value` lines, and nothing that parses as YAML data."""
    for line in text.splitlines():
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("---"):
            return False
        return s.startswith("[") and s.endswith("]") or ":" not in s.split("=", 1)[0]
    return False


def is_ansible_yaml(data: Any) -> bool:
    """A YAML mapping of groups, each with hosts/children/vars (`all:` at the top, usually)."""
    return (isinstance(data, dict) and bool(data) and "objects" not in data
            and all(v is None or isinstance(v, dict) and set(v) <= {"hosts", "children", "vars"}
                    for v in data.values()))


def expand(pattern: str, limit: int = MAX_OBJECTS) -> list[str]:
    """Ansible host ranges: web[01:03] → web01 web02 web03; db-[a:c] → db-a db-b db-c.

    ValueError for a bad range, or for a pattern that stands for more than `limit` hosts (counted first).
    """
    ranges = [_range_values(m) for m in _RANGE.finditer(pattern)]
    count = 1
    for values, _width in ranges:
        count *= len(values)
    if count > limit:
        raise ValueError(f"host pattern {pattern!r} stands for {count} hosts; an inventory may hold at most "
                         f"{MAX_OBJECTS}")
    out = [pattern]
    for values, width in ranges:  # each pass replaces the leftmost range left
        out = [p[:m.start()] + str(v).zfill(width) + p[m.end():]
               for p in out for m in [_RANGE.search(p)] if m for v in values]
    return out


def _range_values(m: re.Match[str]) -> tuple[range | list[str], int]:
    """The values of one `[start:end:step]` and their zero-padded width (numbers stay a lazy range)."""
    start, end, step = m.group(1), m.group(2), int(m.group(3) or 1)
    if step < 1:
        raise ValueError(f"bad host range [{m.group(0)[1:-1]}]: the step must be at least 1")
    if start.isdigit() and end.isdigit():
        return range(int(start), int(end) + 1, step), len(start) if start.startswith("0") else 0
    if len(start) == 1 and len(end) == 1 and start.isalpha() and end.isalpha():
        letters = string.ascii_letters
        return list(letters[letters.index(start):letters.index(end) + 1:step]), 0
    raise ValueError(f"bad host range [{m.group(0)[1:-1]}]")


def _ini_value(raw: str) -> Any:
    if raw.lower() in ("true", "yes"):
        return True
    if raw.lower() in ("false", "no"):
        return False
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw


def load_ini(text: str, file: str) -> list[Node]:
    inv = _Inventory(file)
    problems = Problems()
    section, kind = "ungrouped", "hosts"
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            m = re.fullmatch(r"\[([^\]:]+)(?::(vars|children))?\]", line)
            if not m:
                problems.add(file, n, f"bad section header {line!r} (expected [group], [group:vars] or "
                                      "[group:children])")
                continue
            section, kind = m.group(1), m.group(2) or "hosts"
            inv.group(section)
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            problems.add(file, n, f"cannot parse line: {exc}")
            continue
        if kind == "children":
            inv.group(section).children.append(words[0])
            inv.group(words[0])
        elif kind == "vars":
            key, sep, value = line.partition("=")
            if not sep:
                problems.add(file, n, f"expected key=value in [{section}:vars], got {line!r}")
                continue
            value = value.strip()
            inv.group(section).vars[key.strip()] = (_ini_value(shlex.split(value)[0] if value else ""), n)
        else:
            hvars: dict[str, tuple[Any, int]] = {}
            for word in words[1:]:
                key, sep, value = word.partition("=")
                if not sep:
                    problems.add(file, n, f"expected key=value after the host name, got {word!r}")
                    continue
                hvars[key] = (_ini_value(value), n)
            try:
                inv.add_hosts(section, words[0], hvars, n)
            except ValueError as exc:
                problems.add(file, n, str(exc))
                if len(inv.first_line) >= MAX_OBJECTS:
                    break
    if problems:
        raise LintErrors(list(problems))
    return _entries(inv)


def load_yaml(data: Node, file: str) -> list[Node]:
    inv = _Inventory(file)
    problems = Problems()

    def walk(name: str, body: Any, line: int) -> None:
        group = inv.group(name)
        if body is None:
            return
        if not isinstance(body, dict):
            problems.add(file, line, f"group '{name}' must be a mapping of hosts, vars and children")
            return
        for host, hvars in (body.get("hosts") or {}).items():
            hline = body["hosts"].line_of(host) if isinstance(body["hosts"], Node) else line
            if hvars is not None and not isinstance(hvars, dict):
                problems.add(file, hline, f"variables of host '{host}' must be a mapping")
                continue
            values = {k: (v, hvars.line_of(k)) for k, v in (hvars or {}).items()}
            try:
                inv.add_hosts(name, str(host), values, hline)
            except ValueError as exc:
                problems.add(file, hline, str(exc))
                if len(inv.first_line) >= MAX_OBJECTS:
                    return
        gvars = body.get("vars") or {}
        if isinstance(gvars, dict):
            group.vars.update({k: (v, gvars.line_of(k)) for k, v in gvars.items()})
        for child, child_body in (body.get("children") or {}).items():
            group.children.append(child)
            walk(child, child_body, body["children"].line_of(child))

    for name, body in data.items():
        walk(name, body, data.line_of(name))
    if problems:
        raise LintErrors(list(problems))
    return _entries(inv)


# -- merging ----------------------------------------------------------------------------------------------
def _depths(inv: _Inventory) -> dict[str, int]:
    depth = {name: 1 for name in inv.groups}
    depth["all"] = 0
    for _ in range(len(inv.groups)):  # bounded relaxation; cycles simply stop growing
        changed = False
        for g in inv.groups.values():
            for child in g.children:
                want = max(depth.get(g.name, 1) + 1, 1)
                if child != "all" and depth.get(child, 1) < want and want <= len(inv.groups) + 1:
                    depth[child] = want
                    changed = True
        if not changed:
            break
    return depth


def _groups_of(inv: _Inventory) -> dict[str, set[str]]:
    """Every group each host belongs to, directly or through parent groups."""
    direct: dict[str, set[str]] = {}
    for g in inv.groups.values():
        for host in g.hosts:
            direct.setdefault(host, set()).add(g.name)
    parents: dict[str, set[str]] = {}
    for g in inv.groups.values():
        for child in g.children:
            parents.setdefault(child, set()).add(g.name)
    out: dict[str, set[str]] = {}
    for host, groups in direct.items():
        todo, seen = list(groups), set()
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += list(parents.get(name, ()))
        out[host] = seen | {"all"}
    return out


def _entries(inv: _Inventory) -> list[Node]:
    depth = _depths(inv)
    problems = Problems()
    entries = []
    for host, groups in _groups_of(inv).items():
        merged: dict[str, tuple[Any, int]] = {}
        for name in sorted(groups, key=lambda g: (depth.get(g, 1), g)):
            merged.update(inv.groups[name].vars if name in inv.groups else {})
        for name in sorted(groups):
            merged.update(inv.groups[name].hosts.get(host, {}) if name in inv.groups else {})
        tags = sorted(g for g in groups if g not in ("all", "ungrouped"))
        node = _to_node(host, merged, tags, inv.file, inv.first_line.get(host, 1), problems)
        if node is not None:
            entries.append(node)
    if problems:
        raise LintErrors(list(problems))
    return sorted(entries, key=lambda e: e.line)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "yes", "1", "on")


def _to_node(host: str, merged: dict[str, tuple[Any, int]], tags: list[str], file: str, line: int,
             problems: Problems) -> Node | None:
    node = Node()
    node.file, node.line, node.key_lines = file, line, {}

    def put(key: str, value: Any, at: int) -> None:
        node[key] = value
        node.key_lines[key] = at

    put("id", host, line)
    put("type", "linux", line)
    put("address", host, line)
    if tags:
        put("tags", tags, line)
    for var, (value, at) in merged.items():
        if var in _SECRETS:
            problems.add(file, at, f"host '{host}': {var} is not read: passwords never live in the inventory; "
                                   "put the password in an environment variable and name it with "
                                   f"{'assess_become_password_env' if 'become' in var or 'sudo' in var else 'assess_password_env'}")
            continue
        if isinstance(value, str) and "{{" in value:
            problems.add(file, at, f"host '{host}': {var} is a template ({value!r}); assess does not evaluate "
                                   "Ansible templates, give the value itself")
            continue
        if var in _FIELDS:
            key = _FIELDS[var]
            if key == "tags":
                value = node.get("tags", []) + ([t.strip() for t in value.split(",")] if isinstance(value, str)
                                                else list(value or []))
            elif key == "agent":
                value = _truthy(value)
            put(key, value, at)
        elif var == "ansible_become":
            if _truthy(value):
                put("become", "sudo", at)
        elif var == "ansible_become_method" and str(value) != "sudo":
            problems.add(file, at, f"host '{host}': become method {value!r} is not supported (assess uses sudo)")
        elif var == "ansible_become_user" and str(value) != "root":
            problems.add(file, at, f"host '{host}': ansible_become_user {value!r}: assess becomes root only")
        elif var == "ansible_connection":
            if value == "local":
                put("transport", "local", at)
            elif value not in _SSH_CONNECTIONS:
                problems.add(file, at, f"host '{host}': ansible_connection {value!r} is not supported "
                                       "(assess reaches Linux hosts over SSH or locally)")
        elif var in ("ansible_ssh_common_args", "ansible_ssh_extra_args") and isinstance(value, str):
            if "ProxyCommand" in value:
                problems.add(file, at, f"host '{host}': ProxyCommand is not supported; use ProxyJump (-J)")
            m = _JUMP.search(value)
            if m:
                put("jump", m.group(1).split(","), at)
    return node
