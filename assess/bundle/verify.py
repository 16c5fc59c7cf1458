"""Verify an evidence bundle: every hash, the Payload-Oxum, the signature and the signer's identity.

Two questions, answered apart: is the bag intact (every hash, the Payload-Oxum, bag-info.txt against the
signed metadata, a signature that is present must be valid), and is it authenticated (signed over the tag
manifest by a key that the evaluator's allowed_signers file names). A bundle is *verified* only when both
hold. Without --allowed-signers nothing can be authenticated: a signature is still checked
cryptographically, but who signed is only reported (the key fingerprint), not vouched for.
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
    unauthenticated: str | None = "not checked"  # why the bundle is not authenticated; None when it is
    signed: bool = False
    signer_fingerprint: str | None = None
    signer_key_type: str | None = None
    principals: list[str] = field(default_factory=list)
    manifest_sha256: str | None = None
    payload: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        """Every hash and consistency check holds (says nothing about who made the bundle)."""
        return not self.problems

    @property
    def authenticated(self) -> bool:
        return self.unauthenticated is None

    @property
    def ok(self) -> bool:
        """Verified: intact and signed by an allowed signer."""
        return self.intact and self.authenticated

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "verified": self.ok, "intact": self.intact,
                "authenticated": self.authenticated, "unauthenticated": self.unauthenticated,
                "problems": self.problems, "warnings": self.warnings, "signed": self.signed, "signer": {"fingerprint": self.signer_fingerprint,
                                                  "key_type": self.signer_key_type, "principals": self.principals},
                "manifest_sha256": self.manifest_sha256, "payload": self.payload,
                "run": self.metadata.get("run"), "operator": self.metadata.get("operator"),
                "previous": self.metadata.get("previous")}

    def lines(self) -> list[str]:
        out = [f"FAIL {p}" for p in self.problems] + [f"WARN {w}" for w in self.warnings]
        if self.unauthenticated:
            out.append(f"NOT AUTHENTICATED: {self.unauthenticated}")
        if self.signed and self.signer_fingerprint:
            who = f" as {', '.join(self.principals)}" if self.principals else ""
            out.append(f"signer: {self.signer_key_type} key {self.signer_fingerprint}{who}")
        if self.manifest_sha256:
            out.append(f"manifest sha256: {self.manifest_sha256}")
        if self.ok:
            out.append(f"OK   bundle verified: {self.source}")
        elif self.intact:
            out.append(f"FAIL bundle intact but not authenticated (not verified): {self.source}")
        else:
            out.append(f"FAIL bundle does not verify ({len(self.problems)} problem(s)): {self.source}")
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
    """A signature that is there must be valid (else a problem); authenticated needs an allowed signer too."""
    sig_path = root / bagcheck.SIGNATURE
    recorded = result.metadata.get("signer") if result.metadata else None
    if not sig_path.is_file():
        if (root / bagcheck.LEGACY_SIGNATURE).is_file():
            result.unauthenticated = (f"{bagcheck.LEGACY_SIGNATURE} is an old-format signature over the payload "
                                      "manifest only: bag-info.txt, VERIFY.md and any verify.py are not covered; "
                                      "create the bundle again with this version of assess")
        else:
            result.unauthenticated = "the bundle is not signed: integrity only, no proof of who made it"
            if recorded:
                result.problems.append(f"{bagcheck.SIGNATURE}: missing, but data/bundle.json names a signer")
        return
    result.signed = True
    try:
        sig = sshsig.verify((root / bagcheck.TAGMANIFEST).read_bytes(), sig_path.read_text(encoding="utf-8"))
    except (sshsig.SignatureError, OSError, UnicodeDecodeError) as exc:
        result.problems.append(f"{bagcheck.SIGNATURE}: {exc}")
        result.unauthenticated = "the signature does not verify"
        return
    result.signer_fingerprint, result.signer_key_type = sig.fingerprint, sshsig.key_type(sig.public_blob)
    if isinstance(recorded, dict) and recorded.get("fingerprint") != sig.fingerprint:
        result.problems.append(f"{bagcheck.SIGNATURE}: made with key {sig.fingerprint}, but data/bundle.json names "
                               f"{recorded.get('fingerprint')}")
    if allowed is None:
        result.unauthenticated = (f"signed by key {sig.fingerprint}, but no --allowed-signers was given to say "
                                  "whose key that is")
        return
    principals, refused = sshsig.signer_principals(sshsig.load_allowed_signers(allowed), sig)
    if not principals:
        why = f" ({'; '.join(refused)})" if refused else ""
        result.unauthenticated = f"signer: key {sig.fingerprint} is not allowed by {allowed}{why}"
        return
    if signer_id is not None and not any(sshsig.match_list(signer_id, p) for p in principals):
        result.unauthenticated = (f"signer: key {sig.fingerprint} belongs to {', '.join(principals)}, not "
                                  f"{signer_id!r}")
        result.principals = principals
        return
    result.principals = [signer_id] if signer_id is not None else principals
    result.unauthenticated = None


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
