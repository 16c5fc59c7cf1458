"""Writing bundle archives (.zip / .tar.gz) and extracting untrusted ones safely.

Extraction accepts regular files and directories only. It rejects absolute paths, `..` components,
symlinks, hardlinks, device files, FIFOs and sparse files, duplicate entries, and decompression bombs (a cap
on the total size, on the number of entries, and on the ratio of extracted bytes to archive bytes, enforced
while the bytes are written, so a lying header does not help). Tar long-name and pax extended headers are
capped before they are read (tarfile holds them in memory whole), and a zip's central directory is counted
from its raw records before zipfile builds an object per entry. Every file is created with O_EXCL and
O_NOFOLLOW below a destination that did not exist before, so nothing is written anywhere else; on any
problem the destination is removed and one clear InputError is raised.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import struct
import tarfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from assess import safefile
from assess.errors import InputError

SUFFIXES = (".zip", ".tar.gz", ".tgz")
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps that make a decompression bomb a clear error instead of a full disk."""

    max_total: int = 4 * 1024**3
    max_entries: int = 200_000
    max_ratio: int = 200
    slack: int = 8 * 1024 * 1024  # small archives may expand this much whatever their ratio
    max_extended: int = 1024 * 1024  # one tar long-name or pax header
    max_extended_total: int = 16 * 1024 * 1024  # all of them (tarfile keeps every member's pax headers)


class UnsafeArchive(InputError):
    """The archive is corrupt, truncated or hostile."""


@contextlib.contextmanager
def io_errors(what: str) -> Iterator[None]:
    """Turn a file-system failure (permissions, full disk) into one InputError line naming the file."""
    try:
        yield
    except OSError as exc:
        raise InputError(f"{what}: {exc.strerror or exc}", str(exc.filename) if exc.filename else None) from None


def kind_of(path: Path) -> str:
    """'zip' or 'tar.gz' from the file name; anything else is an input error."""
    name = path.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    raise InputError(f"unsupported archive type (use {', '.join(SUFFIXES)})", str(path))


def write(src_dir: Path, out: Path, top: str) -> None:
    """Pack every regular file under `src_dir` as `top/<relative path>`, in sorted order, into `out` (mode 0600).

    The archive is written under a random new name next to `out` and renamed into place (`assess.safefile`).
    """
    files = sorted(p for p in src_dir.rglob("*") if p.is_file())
    kind = kind_of(out)
    try:
        with safefile.replacing(out) as fh:
            if kind == "zip":
                with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
                    for p in files:
                        zf.write(p, f"{top}/{p.relative_to(src_dir).as_posix()}")
            else:
                with tarfile.open(fileobj=fh, mode="w:gz", format=tarfile.PAX_FORMAT) as tf:
                    for p in files:
                        info = tf.gettarinfo(str(p), f"{top}/{p.relative_to(src_dir).as_posix()}")
                        info.uid = info.gid = 0
                        info.uname = info.gname = ""
                        info.mode = 0o644
                        with open(p, "rb") as src:
                            tf.addfile(info, src)
    except OSError as exc:
        raise InputError(f"cannot write archive: {exc.strerror or exc}", str(out)) from None


def safe_member_path(name: str) -> PurePosixPath:
    """The relative path an entry may be written to, or UnsafeArchive naming the entry."""
    if not name or "\0" in name:
        raise UnsafeArchive(f"entry with an empty or NUL-containing name: {name!r}")
    if "\\" in name:
        raise UnsafeArchive(f"entry name with a backslash: {name!r}")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"entry with an absolute path: {name!r}")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafeArchive(f"entry escaping the destination with '..': {name!r}")
    if not parts:
        raise UnsafeArchive(f"entry with an empty path: {name!r}")
    return PurePosixPath(*parts)


@dataclass
class _Entry:
    name: str
    is_dir: bool
    size: int
    mtime: float
    open: object  # () -> BinaryIO


def _zip_entries(zf: zipfile.ZipFile) -> Iterator[_Entry]:
    for info in zf.infolist():
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if info.create_system == 3 and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            what = "a symlink" if kind == stat.S_IFLNK else "a special file"
            raise UnsafeArchive(f"entry {info.filename!r} is {what}; only regular files are accepted")
        mtime = time.mktime(info.date_time + (0, 0, -1)) if info.date_time[0] >= 1980 else 0.0
        yield _Entry(info.filename, info.is_dir(), info.file_size, mtime,
                     lambda info=info: zf.open(info))


def zip_entry_count(path: Path, stop_after: int | None = None) -> int:
    """The number of records in a zip's central directory, read record by record (stops past `stop_after`)."""
    with open(path, "rb") as fp:
        endrec = zipfile._EndRecData(fp)  # type: ignore[attr-defined]  # stdlib's own EOCD reader
        if not endrec:
            raise zipfile.BadZipFile("File is not a zip file")
        size_cd, offset_cd = endrec[zipfile._ECD_SIZE], endrec[zipfile._ECD_OFFSET]  # type: ignore[attr-defined]
        start = endrec[zipfile._ECD_LOCATION] - size_cd  # type: ignore[attr-defined]
        if endrec[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
            start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
        if start < 0 or offset_cd < 0:
            raise zipfile.BadZipFile("Bad offset for central directory")
        fp.seek(start)
        count = done = 0
        while done < size_cd and (stop_after is None or count <= stop_after):
            head = fp.read(46)
            if len(head) != 46 or head[:4] != b"PK\x01\x02":
                raise zipfile.BadZipFile("Bad central directory record")
            name_len, extra_len, comment_len = struct.unpack("<HHH", head[28:34])
            fp.seek(name_len + extra_len + comment_len, os.SEEK_CUR)
            done += 46 + name_len + extra_len + comment_len
            count += 1
        return count


def _capped_tarinfo(limits: Limits) -> type[tarfile.TarInfo]:
    """A TarInfo class that refuses oversized extended headers and sparse files before tarfile reads them."""

    class Capped(tarfile.TarInfo):
        def _proc_member(self, tf):  # type: ignore[no-untyped-def]
            if self.type in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE,
                             tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE):
                if self.size > limits.max_extended:
                    raise UnsafeArchive(f"tar extended header of {self.size} bytes (long name or pax header; at "
                                        f"most {limits.max_extended} accepted)")
                total = getattr(tf, "_assess_extended", 0) + self.size
                if total > limits.max_extended_total:
                    raise UnsafeArchive(f"tar extended headers add up to more than {limits.max_extended_total} "
                                        "bytes")
                tf._assess_extended = total
            elif self.type == tarfile.GNUTYPE_SPARSE:
                self._sparse(tf)
            return super()._proc_member(tf)

        def _sparse(self, *_: object) -> None:
            raise UnsafeArchive(f"entry {self.name!r} is a sparse file; only regular files are accepted")

        _proc_gnusparse_00 = _proc_gnusparse_01 = _proc_gnusparse_10 = _sparse

    return Capped


def _tar_entries(tf: tarfile.TarFile) -> Iterator[_Entry]:
    for info in tf:
        if info.issym() or info.islnk():
            raise UnsafeArchive(f"entry {info.name!r} is a {'symlink' if info.issym() else 'hardlink'} "
                                f"(to {info.linkname!r}); only regular files are accepted")
        if info.isdev() or info.isfifo():
            raise UnsafeArchive(f"entry {info.name!r} is a device or FIFO; only regular files are accepted")
        if not (info.isfile() or info.isdir()):
            raise UnsafeArchive(f"entry {info.name!r} has an unsupported type")
        yield _Entry(info.name, info.isdir(), info.size, float(info.mtime),
                     lambda info=info: tf.extractfile(info))


def extract(archive: Path, dest: Path, limits: Limits = Limits()) -> Path:
    """Extract `archive` into the new directory `dest`; return `dest`. Nothing is written elsewhere."""
    kind = kind_of(archive)
    try:
        packed = archive.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read archive: {exc.strerror or exc}", str(archive)) from None
    try:
        dest.mkdir(parents=False, exist_ok=False)
    except FileExistsError:
        raise InputError(f"extraction directory {dest} already exists") from None
    except OSError as exc:
        raise InputError(f"cannot create {dest}: {exc.strerror or exc}") from None
    budget = min(limits.max_total, max(limits.slack, packed * limits.max_ratio))
    try:
        if kind == "zip":
            if zip_entry_count(archive, limits.max_entries) > limits.max_entries:
                raise UnsafeArchive(f"more than {limits.max_entries} entries in the central directory "
                                    "(decompression bomb?)")
            with zipfile.ZipFile(archive) as zf:
                _extract_entries(_zip_entries(zf), dest, budget, packed, limits)
        else:
            with tarfile.open(archive, "r:gz", tarinfo=_capped_tarinfo(limits)) as tf:
                _extract_entries(_tar_entries(tf), dest, budget, packed, limits)
    except UnsafeArchive as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise UnsafeArchive(f"{exc.message}; nothing was kept", str(archive)) from None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, ValueError, OSError,
            NotImplementedError, RuntimeError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise UnsafeArchive(f"corrupt or truncated archive: {detail}; nothing was kept", str(archive)) from None
    return dest


def _extract_entries(entries: Iterator[_Entry], dest: Path, budget: int, packed: int, limits: Limits) -> None:
    written = 0
    count = 0
    seen: set[PurePosixPath] = set()
    root_fd = os.open(dest, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for entry in entries:
            count += 1
            if count > limits.max_entries:
                raise UnsafeArchive(f"more than {limits.max_entries} entries (decompression bomb?)")
            rel = safe_member_path(entry.name)
            if rel in seen and not entry.is_dir:
                raise UnsafeArchive(f"entry {entry.name!r} appears twice")
            seen.add(rel)
            if entry.size > budget - written:
                raise UnsafeArchive(_bomb(written + entry.size, packed, budget))
            parent_fd = _open_dirs(root_fd, rel.parts if entry.is_dir else rel.parts[:-1])
            try:
                if entry.is_dir:
                    continue
                written = _write_file(parent_fd, rel.parts[-1], entry, written, budget, packed)
            finally:
                if parent_fd != root_fd:
                    os.close(parent_fd)
    finally:
        os.close(root_fd)


def _bomb(size: int, packed: int, budget: int) -> str:
    return (f"expands beyond {budget} bytes ({size}+ bytes from a {packed}-byte archive): "
            "refused as a decompression bomb")


def _open_dirs(root_fd: int, parts: tuple[str, ...]) -> int:
    """Walk (creating) the directories below the root without following any symlink."""
    fd = root_fd
    for part in parts:
        try:
            os.mkdir(part, 0o700, dir_fd=fd)
        except FileExistsError:
            pass
        try:
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError:
            if fd != root_fd:
                os.close(fd)
            raise UnsafeArchive(f"path component {part!r} is both a file and a directory") from None
        if fd != root_fd:
            os.close(fd)
        fd = nxt
    return fd


def _write_file(parent_fd: int, name: str, entry: _Entry, written: int, budget: int, packed: int) -> int:
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=parent_fd)
    except FileExistsError:
        raise UnsafeArchive(f"entry {entry.name!r} appears twice") from None
    with os.fdopen(fd, "wb") as out:
        src: BinaryIO = entry.open()  # type: ignore[operator]
        with src:
            while True:
                chunk = src.read(CHUNK)
                if not chunk:
                    break
                written += len(chunk)
                if written > budget:
                    raise UnsafeArchive(_bomb(written, packed, budget))
                out.write(chunk)
    if entry.mtime:
        os.utime(name, (entry.mtime, entry.mtime), dir_fd=parent_fd, follow_symlinks=False)
    return written


def bag_root(extracted: Path) -> Path:
    """The bag directory inside an extracted archive: the top itself or its single top-level folder."""
    if (extracted / "bagit.txt").is_file():
        return extracted
    children = [p for p in extracted.iterdir()]
    if len(children) == 1 and children[0].is_dir() and (children[0] / "bagit.txt").is_file():
        return children[0]
    raise InputError("not an assess bundle: no bagit.txt at the top of the archive")
