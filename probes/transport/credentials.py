"""SSH credentials: private key files (parsed once per process), passwords from environment variables."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from assess.limits import MAX_KEY_FILE, read_capped

if TYPE_CHECKING:  # paramiko is imported where a key is loaded: inventories without keys skip its ~0.1 s
    import paramiko


class CredentialError(Exception):
    """A key file or password that cannot be used; the message says which and why."""


_KEYS: dict[tuple[str, str | None], paramiko.PKey] = {}
_LOCK = threading.Lock()


def env_secret(name: str, what: str) -> str:
    """The value of environment variable `name`; secrets never come from the inventory file."""
    value = os.environ.get(name)
    if value is None:
        raise CredentialError(f"{what}: environment variable {name} is not set")
    return value


def private_key(path: str, passphrase_env: str | None = None) -> paramiko.PKey:
    """Load a private key file once per process; wrong passphrase and unreadable files are clear errors."""
    passphrase = env_secret(passphrase_env, f"passphrase of key {path}") if passphrase_env else None
    cache_key = (str(Path(path).expanduser().resolve()), passphrase_env)
    with _LOCK:
        if cache_key in _KEYS:
            return _KEYS[cache_key]
    key = _load(Path(path).expanduser(), passphrase)
    with _LOCK:
        _KEYS[cache_key] = key
    return key


def _load(path: Path, passphrase: str | None) -> paramiko.PKey:
    import paramiko

    try:
        data = read_capped(path, MAX_KEY_FILE)
    except FileNotFoundError:
        raise CredentialError(f"key file {path} does not exist") from None
    except IsADirectoryError:
        raise CredentialError(f"key file {path} is a directory") from None
    except OSError as exc:
        raise CredentialError(f"cannot read key file {path}: {exc.strerror or exc}") from None
    password = passphrase.encode() if passphrase is not None else None
    try:
        password = _check(data, password)
    except TypeError as exc:
        raise CredentialError(f"key file {path} is encrypted: give its passphrase with key_passphrase_env "
                              f"(or load it into ssh-agent and use agent: true) [{exc}]") from None
    except ValueError:
        if password is not None:
            raise CredentialError(f"wrong passphrase for key file {path}") from None
        raise CredentialError(f"key file {path} is not a readable private key") from None
    except UnsupportedAlgorithm as exc:
        raise CredentialError(f"key file {path} uses an unsupported key type: {exc}") from None
    try:
        return paramiko.PKey.from_path(path, password)
    except (paramiko.SSHException, ValueError, TypeError) as exc:
        raise CredentialError(f"key file {path} cannot be used: {exc}") from None


def _check(data: bytes, password: bytes | None) -> bytes | None:
    """Parse with `cryptography` to tell a missing or wrong passphrase apart; return the password to use."""
    if b"-----BEGIN OPENSSH PRIVATE KEY-----" in data:
        loader = serialization.load_ssh_private_key
    elif b"PRIVATE KEY-----" in data:
        loader = serialization.load_pem_private_key  # type: ignore[assignment]
    else:
        raise ValueError("not a private key")
    try:
        loader(data, password)
    except TypeError:
        if password is None:
            raise
        loader(data, None)  # a passphrase was given for a key that has none: use it without
        return None
    return password
