"""Parsers for socket listings (`ss -tulnp`, `netstat -tulnp`) and the services around them."""

from __future__ import annotations

import ipaddress
import re

_SS_USERS = re.compile(r'\("([^"]+)",pid=(\d+)')


def split_host_port(text: str) -> tuple[str, int | None]:
    """`0.0.0.0:22`, `[::]:22`, `:::22`, `*:22`, `127.0.0.53%lo:53` → (address, port)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port) if port.isdigit() else None


def is_loopback(address: str) -> bool:
    """True for 127/8, ::1, ::ffff:127.x and anything bound to the `lo` interface."""
    addr, _, iface = address.partition("%")
    if iface == "lo":
        return True
    if addr in ("", "*", "0.0.0.0", "::"):
        return False
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return addr == "localhost"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _listener(proto: str, local: str, process: str) -> dict | None:
    address, port = split_host_port(local)
    if port is None:
        return None
    return {"proto": proto, "address": address, "port": port, "process": process,
            "public": not is_loopback(address)}


def parse_ss(text: str) -> list[dict]:
    """`ss -tulnp` rows: Netid State Recv-Q Send-Q Local Peer [users:((…))]."""
    out = []
    for line in text.replace("\r", "").split("\n"):
        parts = line.split()
        if len(parts) < 6 or parts[0] not in ("tcp", "udp"):
            continue
        users = _SS_USERS.findall(" ".join(parts[6:]))
        item = _listener(parts[0], parts[4], users[0][0] if users else "")
        if item:
            out.append(item)
    return out


def parse_netstat(text: str) -> list[dict]:
    """`netstat -tulnp` rows: Proto Recv-Q Send-Q Local Foreign [State] PID/Program."""
    out = []
    for line in text.replace("\r", "").split("\n"):
        parts = line.split()
        if len(parts) < 5 or not re.fullmatch(r"(tcp|udp)6?", parts[0]):
            continue
        proto = parts[0][:3]
        rest = parts[5:]
        if proto == "tcp" and rest and rest[0] == "LISTEN":
            rest = rest[1:]
        elif proto == "tcp":
            continue  # only listening TCP sockets
        prog = rest[0].split("/", 1)[1].rstrip(":") if rest and "/" in rest[0] else ""
        item = _listener(proto, parts[3], prog)
        if item:
            out.append(item)
    return out


def unit_name(unit: str) -> str:
    """`telnet.socket` → `telnet`, `getty@tty1.service` → `getty`, `S20telnet` stays as given."""
    name = unit.strip()
    for suffix in (".service", ".socket", ".target", ".timer"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.split("@", 1)[0]


def rc_link_name(link: str) -> str | None:
    """`S20telnet` → `telnet`; anything that is not a start link → None."""
    m = re.fullmatch(r"S\d\d(.+)", link)
    return m.group(1) if m else None


def xinetd_services(files: dict[str, str]) -> list[str]:
    """Services xinetd would offer: `service NAME { … }` unless `disable = yes`, honouring the
    `disabled` / `enabled` lists of the `defaults` block (xinetd.conf(5))."""
    blocks: list[tuple[str, dict[str, str]]] = []
    for text in files.values():
        current: tuple[str, dict[str, str]] | None = None
        for raw in text.replace("\r", "").split("\n"):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if current is None:
                m = re.fullmatch(r"(service\s+(\S+)|defaults)\s*(\{)?", line)
                if m:
                    current = (m.group(2) or "", {})
                continue
            if line in ("{",):
                continue
            if line.startswith("}"):
                blocks.append(current)
                current = None
                continue
            m = re.match(r"([A-Za-z_]+)\s*[+-]?=\s*(.*)", line)
            if m:
                key = m.group(1).lower()
                current[1][key] = (current[1].get(key, "") + " " + m.group(2)).strip() \
                    if "+=" in line else m.group(2).strip()
    disabled: set[str] = set()
    enabled: set[str] | None = None
    for name, opts in blocks:
        if name == "":
            disabled |= set(opts.get("disabled", "").split())
            if "enabled" in opts:
                enabled = set(opts["enabled"].split())
    out = []
    for name, opts in blocks:
        if not name or opts.get("disable", "no").lower() == "yes" or name in disabled:
            continue
        if enabled is not None and name not in enabled and opts.get("id", name) not in enabled:
            continue
        out.append(name)
    return sorted(set(out))


def inetd_services(text: str) -> list[str]:
    """Active entries of /etc/inetd.conf (first field of every uncommented line)."""
    out = []
    for raw in text.replace("\r", "").split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name = line.split()[0]
        out.append(name.split(":")[-1].split("/")[0])  # `127.0.0.1:ftp`, `rstatd/1-3`
    return sorted(set(out))


def nfs_exports(text: str) -> list[dict]:
    """/etc/exports entries: path, clients, and whether anyone at all may mount it."""
    out = []
    joined = re.sub(r"\\\n", " ", text.replace("\r", ""))
    for raw in joined.split("\n"):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith('"') and '"' in line[1:]:
            end = line.find('"', 1)
            path, rest = line[1:end], line[end + 1:]
        else:
            parts = line.split(None, 1)
            path, rest = parts[0], parts[1] if len(parts) > 1 else ""
        clients = []
        for token in rest.split():
            host, _, opts = token.partition("(")
            clients.append({"host": host or "*", "options": opts.rstrip(")").split(",") if opts else []})
        if not clients:
            clients = [{"host": "*", "options": []}]
        world = any(c["host"] in ("*", "0.0.0.0/0", "::/0") for c in clients)
        out.append({"path": path, "clients": [c["host"] for c in clients], "world": world,
                    "no_root_squash": any("no_root_squash" in c["options"] for c in clients)})
    return out


def samba_shares(text: str) -> list[dict]:
    """Share sections of smb.conf (everything but [global]) with `available = no` honoured."""
    shares: list[dict] = []
    current: dict | None = None
    for raw in text.replace("\r", "").split("\n"):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        m = re.fullmatch(r"\[([^\]]+)\]", line)
        if m:
            name = m.group(1).strip()
            current = None if name.lower() == "global" else {"name": name, "available": True}
            if current is not None:
                shares.append(current)
            continue
        if current is not None:
            key, _, value = line.partition("=")
            if key.strip().lower() == "available" and value.strip().lower() in ("no", "false", "0"):
                current["available"] = False
    return [s for s in shares if s["available"]]
