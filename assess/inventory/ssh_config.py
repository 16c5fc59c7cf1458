"""The user's OpenSSH client configuration (~/.ssh/config) as an inventory source.

Two uses: `assess scan -i ~/.ssh/config` scans every named `Host` (no wildcards) as a linux object, and
every SSH object of any inventory takes HostName, Port, User, IdentityFile and ProxyJump from the
configuration when the inventory leaves them unset (like `ssh` itself). paramiko parses the file;
`Include` is not followed and `Match exec` is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assess.errors import InputError
from assess.limits import MAX_TEXT_FILE, read_capped

_HOST_LINE = re.compile(r"^\s*Host(?:\s*=\s*|\s+)(.+?)\s*$", re.IGNORECASE)
_MATCH_EXEC = re.compile(r"^\s*Match\b.*\bexec\b", re.IGNORECASE)


def default_path() -> Path:
    return Path("~/.ssh/config").expanduser()


def looks_like(text: str) -> bool:
    """True when the first meaningful line of a file is an ssh_config keyword that starts a block."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return bool(re.match(r"(?i)^(Host|Match)(\s|=)", stripped))
    return False


@dataclass
class HostConfig:
    """What the configuration says about one host alias (only settings it really sets)."""

    hostname: str | None = None
    port: int | None = None
    user: str | None = None
    identity_file: str | None = None
    proxy_jump: list[str] | None = None


class SSHConfig:
    """A parsed ssh_config file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.text = read_capped(path, MAX_TEXT_FILE).decode("utf-8")
        except OSError as exc:
            raise InputError(f"cannot read ssh config: {exc.strerror or exc}", str(path)) from None
        except UnicodeDecodeError:
            raise InputError("ssh config is not UTF-8 text", str(path)) from None
        for n, line in enumerate(self.text.splitlines(), 1):
            if _MATCH_EXEC.match(line):
                raise InputError("'Match exec' is not supported (assess runs no local commands from it)",
                                 str(path), n)
        import paramiko  # imported here: it costs ~0.15 s, and most scans have no ssh config

        try:
            self._config = paramiko.SSHConfig.from_text(self.text)
        except (paramiko.ConfigParseError, ValueError) as exc:
            raise InputError(f"cannot parse ssh config: {exc}", str(path)) from None

    def lookup(self, alias: str) -> HostConfig:
        import paramiko

        try:
            found: dict[str, Any] = self._config.lookup(alias)
        except (paramiko.ConfigParseError, ValueError) as exc:
            raise InputError(f"ssh config lookup of {alias!r} failed: {exc}", str(self.path)) from None
        out = HostConfig()
        if found.get("hostname") and found["hostname"] != alias:
            out.hostname = found["hostname"]
        if "port" in found:
            try:
                out.port = int(found["port"])
            except ValueError:
                raise InputError(f"Port of {alias!r} is not a number: {found['port']!r}", str(self.path)) from None
        out.user = found.get("user")
        files = [f for f in found.get("identityfile", []) if Path(f).expanduser().is_file()]
        out.identity_file = files[0] if files else None
        jump = found.get("proxyjump")
        if jump and jump.lower() != "none":
            out.proxy_jump = [j.strip() for j in jump.split(",") if j.strip()]
        return out

    def hosts(self) -> list[tuple[str, int]]:
        """Named hosts (aliases without wildcards or negation) with the line that declares them."""
        out: list[tuple[str, int]] = []
        seen: set[str] = set()
        for n, line in enumerate(self.text.splitlines(), 1):
            m = _HOST_LINE.match(line)
            if not m:
                continue
            for alias in m.group(1).split():
                if any(c in alias for c in "*?!") or alias in seen:
                    continue
                seen.add(alias)
                out.append((alias, n))
        return out
