"""Verify an evidence bundle: every hash, the Payload-Oxum, the signature and the signer's identity.

Without --allowed-signers a signature is still checked cryptographically, but who signed is only
reported (the key fingerprint), not vouched for: that needs the operator's key from out of band.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess.bundle import archive, bagcheck, sshsig
from assess.errors import InputError

#: bag-info.txt labels that must repeat what the signed data/bundle.json says.
_INFO_FIELDS = {"x-run-id": ("run", "id"), "x-system-name": ("system",), "x-operator": ("operator",),
                "x-catalog-sha256": ("catalog", "sha256"), "x-profile": ("profile",),
                "x-previous-manifest-sha256": ("previous", "manifest_sha256"),
                "x-signer-fingerprint": ("signer", "fingerprint")}


@dataclass
class Verification:
    """The outcome of verifying one bundle; `problems` empty means it verified."""

    source: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    signed: bool = False
    signer_fingerprint: str | None = None
    signer_key_type: str | None = None
    principals: list[str] = field(default_factory=list)
    manifest_sha256: str | None = None
    payload: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "verified": self.ok, "problems": self.problems, "warnings": self.warnings,
                "signed": self.signed, "signer": {"fingerprint": self.signer_fingerprint,
                                                  "key_type": self.signer_key_type, "principals": self.principals},
                "manifest_sha256": self.manifest_sha256, "payload": self.payload,
                "run": self.metadata.get("run"), "operator": self.metadata.get("operator"),
                "previous": self.metadata.get("previous")}

    def lines(self) -> list[str]:
        out = [f"FAIL {p}" for p in self.problems] + [f"WARN {w}" for w in self.warnings]
        if self.signed and self.signer_fingerprint:
            who = f" as {', '.join(self.principals)}" if self.principals else ""
            out.append(f"signer: {self.signer_key_type} key {self.signer_fingerprint}{who}")
        if self.manifest_sha256:
            out.append(f"manifest sha256: {self.manifest_sha256}")
        out.append(("OK   bundle verified" if self.ok else f"FAIL bundle does not verify ({len(self.problems)} "
                                                             "problem(s))") + f": {self.source}")
        return out


def _get(meta: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = meta
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def verify_bag(root: Path, allowed_signers: Path | None = None, signer_id: str | None = None,
               previous_manifest: str | None = None, source: str | None = None) -> Verification:
    """Every check on an extracted bag directory."""
    result = Verification(source or str(root))
    report = bagcheck.check(root)
    result.problems += report.problems
    result.payload = f"{report.payload_files} files, {report.payload_bytes} bytes"
    manifest = root / bagcheck.MANIFEST
    if manifest.is_file():
        result.manifest_sha256 = hashlib.sha256(manifest.read_bytes()).hexdigest()
    meta_path = root / "data" / "bundle.json"
    try:
        result.metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(result.metadata, dict):
            raise ValueError("not an object")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        result.problems.append(f"data/bundle.json: unreadable ({exc})")
        result.metadata = {}
    for label, path in _INFO_FIELDS.items():
        signed, shown = _get(result.metadata, path), report.first(label) or None
        if result.metadata and str(signed or "") != str(shown or ""):
            result.problems.append(f"bag-info.txt: {label} is {shown!r} but the signed data/bundle.json says "
                                   f"{signed!r}")
    if not (root / "data" / "run" / "results.json").is_file():
        result.problems.append("data/run/results.json: missing (not a complete run)")
    _check_signature(root, result, allowed_signers, signer_id)
    if previous_manifest is not None:
        recorded = _get(result.metadata, ("previous", "manifest_sha256"))
        if recorded != previous_manifest:
            result.problems.append(f"chain: this bundle names previous manifest {recorded}, not {previous_manifest}")
    return result


def _check_signature(root: Path, result: Verification, allowed: Path | None, signer_id: str | None) -> None:
    sig_path = root / bagcheck.SIGNATURE
    recorded = result.metadata.get("signer") if result.metadata else None
    if not sig_path.is_file():
        if allowed or signer_id or recorded:
            result.problems.append(f"{bagcheck.SIGNATURE}: missing (the bundle is not signed)")
        else:
            result.warnings.append("the bundle is not signed: integrity only, no proof of who made it")
        return
    result.signed = True
    try:
        sig = sshsig.verify((root / bagcheck.MANIFEST).read_bytes(), sig_path.read_text(encoding="utf-8"))
    except (sshsig.SignatureError, OSError, UnicodeDecodeError) as exc:
        result.problems.append(f"{bagcheck.SIGNATURE}: {exc}")
        return
    result.signer_fingerprint, result.signer_key_type = sig.fingerprint, sshsig.key_type(sig.public_blob)
    if isinstance(recorded, dict) and recorded.get("fingerprint") != sig.fingerprint:
        result.problems.append(f"{bagcheck.SIGNATURE}: made with key {sig.fingerprint}, but data/bundle.json names "
                               f"{recorded.get('fingerprint')}")
    if allowed is None:
        result.warnings.append(f"signer identity not checked (no --allowed-signers): key {sig.fingerprint}")
        return
    principals, refused = sshsig.signer_principals(sshsig.load_allowed_signers(allowed), sig)
    if not principals:
        why = f" ({'; '.join(refused)})" if refused else ""
        result.problems.append(f"signer: key {sig.fingerprint} is not allowed by {allowed}{why}")
        return
    result.principals = principals
    if signer_id is not None and not any(sshsig.match_list(signer_id, p) for p in principals):
        result.problems.append(f"signer: key {sig.fingerprint} belongs to {', '.join(principals)}, not "
                               f"{signer_id!r}")
    elif signer_id is not None:
        result.principals = [signer_id]


@contextlib.contextmanager
def opened(path: Path) -> Iterator[Path]:
    """The bag root of a bundle file (extracted safely into a temporary directory) or of a bag directory."""
    if path.is_dir():
        yield archive.bag_root(path)
        return
    if not path.is_file():
        raise InputError("bundle not found", str(path))
    with archive.io_errors("cannot verify"), tempfile.TemporaryDirectory(prefix="assess-verify-") as tmp:
        yield archive.bag_root(archive.extract(path, Path(tmp) / "bundle"))


def verify(path: Path, allowed_signers: Path | None = None, signer_id: str | None = None,
           previous: Path | None = None) -> Verification:
    """Verify a bundle file or directory; `previous` checks the chain to the bundle before it."""
    previous_manifest = None
    if previous is not None:
        with opened(previous) as prev_root:
            previous_manifest = hashlib.sha256((prev_root / bagcheck.MANIFEST).read_bytes()).hexdigest()
    with opened(path) as root:
        return verify_bag(root, allowed_signers, signer_id, previous_manifest, str(path))
