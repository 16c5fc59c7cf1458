"""The keyless checks of an evidence bundle (a BagIt 1.0 bag): declaration, Payload-Oxum, both manifests.

Every file of the bag except the signature is listed in one of the manifests, and the signature
(`tagmanifest-sha256.txt.sig`) is over the tag manifest, which lists the payload manifest: so an unlisted,
missing or changed file anywhere in the bag fails here or in the signature check (`assess.bundle.verify`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "manifest-sha256.txt"
TAGMANIFEST = "tagmanifest-sha256.txt"
SIGNATURE = "tagmanifest-sha256.txt.sig"
LEGACY_SIGNATURE = "manifest-sha256.txt.sig"  # before the tag manifest was signed: covered the payload only
NAMESPACE = "assess-bundle"


@dataclass
class BagReport:
    """What a bag check found: problems (each names a file), and the bag's metadata."""

    root: Path
    problems: list[str] = field(default_factory=list)
    info: dict[str, list[str]] = field(default_factory=dict)
    payload_files: int = 0
    payload_bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def first(self, label: str, default: str = "") -> str:
        values = self.info.get(label.lower())
        return values[0] if values else default


def decode_path(text: str) -> str:
    """A manifest file path with RFC 8493's percent-encoding of CR, LF and % undone."""
    return text.replace("%0D", "\r").replace("%0d", "\r").replace("%0A", "\n").replace("%0a", "\n") \
        .replace("%25", "%")


def encode_path(path: str) -> str:
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(path: Path, report: BagReport) -> dict[str, str]:
    """`<sha256> <path>` lines; a malformed line is a problem, not a crash."""
    entries: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(f"{path.name}: cannot read: {exc}")
        return entries
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or len(parts[0]) != 64 or any(c not in "0123456789abcdefABCDEF" for c in parts[0]):
            report.problems.append(f"{path.name}:{number}: malformed line")
            continue
        name = decode_path(parts[1].strip())
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            report.problems.append(f"{path.name}:{number}: unsafe path {name!r}")
            continue
        if name in entries:
            report.problems.append(f"{path.name}:{number}: {name} is listed twice")
        entries[name] = parts[0].lower()
    return entries


def read_info(path: Path, report: BagReport) -> dict[str, list[str]]:
    """bag-info.txt labels (lower-cased) to their values; continuation lines start with whitespace."""
    info: dict[str, list[str]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(f"{path.name}: cannot read: {exc}")
        return info
    last: tuple[str, int] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if line[:1] in (" ", "\t") and last:
            label, index = last
            info[label][index] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        if not sep or not label.strip():
            if line.strip():
                report.problems.append(f"{path.name}:{number}: not a 'Label: value' line")
            continue
        key = label.strip().lower()
        info.setdefault(key, []).append(value.strip())
        last = (key, len(info[key]) - 1)
    return info


def walk(root: Path) -> list[str]:
    """Every file below `root` as a bag-relative POSIX path; symlinks count as files (and fail the check)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath)
        for name in sorted(filenames) + [d for d in dirnames if (base / d).is_symlink()]:
            out.append((base / name).relative_to(root).as_posix())
    return out


def check(root: Path) -> BagReport:
    """Every check that needs no key: bag declaration, payload, manifests, Payload-Oxum, extra files."""
    report = BagReport(Path(root))
    root = report.root
    declaration = root / "bagit.txt"
    if not declaration.is_file():
        report.problems.append("bagit.txt: missing (not a BagIt bag)")
        return report
    decl = read_info(declaration, report)
    if decl.get("bagit-version", [""])[0] not in ("1.0", "0.97"):
        report.problems.append(f"bagit.txt: unsupported BagIt-Version {decl.get('bagit-version')}")
    if decl.get("tag-file-character-encoding", [""])[0].upper() != "UTF-8":
        report.problems.append("bagit.txt: Tag-File-Character-Encoding must be UTF-8")
    report.info = read_info(root / "bag-info.txt", report) if (root / "bag-info.txt").is_file() else {}
    if not (root / "bag-info.txt").is_file():
        report.problems.append("bag-info.txt: missing")
    present = walk(root)
    for name in present:
        if (root / name).is_symlink() or not (root / name).is_file():
            report.problems.append(f"{name}: not a regular file (symlink or special file)")
    regular = {n for n in present if (root / n).is_file() and not (root / n).is_symlink()}
    payload = {n for n in regular if n.startswith("data/")}
    _check_manifest(root, MANIFEST, payload, report, "payload file")
    tags = regular - payload - {TAGMANIFEST, SIGNATURE}
    if (root / TAGMANIFEST).is_file():
        _check_manifest(root, TAGMANIFEST, tags, report, "tag file")
    else:
        report.problems.append(f"{TAGMANIFEST}: missing")
    report.payload_files = len(payload)
    report.payload_bytes = sum((root / n).stat().st_size for n in payload)
    oxum = report.first("payload-oxum")
    expected = f"{report.payload_bytes}.{report.payload_files}"
    if not oxum:
        report.problems.append("bag-info.txt: no Payload-Oxum")
    elif oxum != expected:
        report.problems.append(f"bag-info.txt: Payload-Oxum {oxum} does not match the payload ({expected}: "
                               "bytes.files)")
    return report


def _check_manifest(root: Path, name: str, present: set[str], report: BagReport, what: str) -> None:
    if not (root / name).is_file():
        report.problems.append(f"{name}: missing")
        return
    listed = read_manifest(root / name, report)
    for path, digest in sorted(listed.items()):
        if path not in present:
            report.problems.append(f"{path}: missing ({what} listed in {name})")
        elif sha256_file(root / path) != digest:
            report.problems.append(f"{path}: changed (sha256 differs from {name})")
    for path in sorted(present - set(listed)):
        report.problems.append(f"{path}: extra {what}, not listed in {name}")
