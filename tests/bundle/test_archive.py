"""Hostile and broken archives: a clear error, and nothing written outside the destination."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from assess.bundle import archive
from assess.cli import main


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def make_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def tar_info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


def zip_symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


pytestmark = pytest.mark.filterwarnings("ignore:Duplicate name")


def hostile(tmp: Path) -> dict[str, Path]:
    ok = ("bag/ok.txt", b"fine")
    return {
        "zip-dotdot": make_zip(tmp / "dotdot.zip", [ok, ("bag/../../escaped.txt", b"x")]),
        "zip-absolute": make_zip(tmp / "abs.zip", [ok, (zipfile.ZipInfo("/tmp/absolute-escape.txt"), b"x")]),
        "zip-symlink": make_zip(tmp / "link.zip", [zip_symlink("bag/link", "/etc/passwd"), ok]),
        "zip-duplicate": make_zip(tmp / "dup.zip", [ok, ok]),
        "zip-backslash": make_zip(tmp / "bs.zip", [("bag\\..\\..\\escaped.txt", b"x")]),
        "tar-dotdot": make_tar(tmp / "dotdot.tar.gz", [(tar_info("../escaped.txt"), b"x")]),
        "tar-absolute": make_tar(tmp / "abs.tar.gz", [(tar_info("/tmp/absolute-escape.txt"), b"x")]),
        "tar-symlink": make_tar(tmp / "sym.tar.gz", [(tar_info("bag/link", tarfile.SYMTYPE, "../../.."), None),
                                                     (tar_info("bag/link/escaped.txt"), b"x")]),
        "tar-hardlink": make_tar(tmp / "hard.tar.gz", [(tar_info("bag/h", tarfile.LNKTYPE, "/etc/passwd"), None)]),
        "tar-device": make_tar(tmp / "dev.tar.gz", [(tar_info("bag/null", tarfile.CHRTYPE), None)]),
        "tar-fifo": make_tar(tmp / "fifo.tar.gz", [(tar_info("bag/fifo", tarfile.FIFOTYPE), None)]),
    }


def test_hostile_archives_are_refused_and_nothing_escapes(tmp_path):
    (tmp_path / "in").mkdir()
    samples = hostile(tmp_path / "in")
    work = tmp_path / "work"
    work.mkdir()
    for name, path in samples.items():
        before = tree(tmp_path)
        with pytest.raises(archive.UnsafeArchive) as caught:
            archive.extract(path, work / "dest")
        assert "nothing was kept" in str(caught.value), name
        assert not (work / "dest").exists(), name
        assert tree(tmp_path) == before, f"{name} left files behind"
    assert not Path("/tmp/absolute-escape.txt").exists()
    assert not (tmp_path / "escaped.txt").exists() and not (work / "escaped.txt").exists()


def test_reasons_name_the_attack(tmp_path):
    (tmp_path / "in").mkdir()
    samples = hostile(tmp_path / "in")
    expected = {"zip-dotdot": "'..'", "zip-absolute": "absolute", "zip-symlink": "symlink", "zip-duplicate": "twice",
                "zip-backslash": "backslash", "tar-dotdot": "'..'", "tar-absolute": "absolute",
                "tar-symlink": "symlink", "tar-hardlink": "hardlink", "tar-device": "device", "tar-fifo": "FIFO"}
    for name, word in expected.items():
        with pytest.raises(archive.UnsafeArchive, match=word):
            archive.extract(samples[name], tmp_path / f"d-{name}")


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_decompression_bomb_is_refused_while_writing(tmp_path, kind):
    zeros = b"\0" * (24 * 1024 * 1024)
    if kind == "zip":
        bomb = make_zip(tmp_path / "bomb.zip", [("bag/zeros", zeros)])
    else:
        bomb = make_tar(tmp_path / "bomb.tar.gz", [(tar_info("bag/zeros"), zeros)])
    assert bomb.stat().st_size < 200 * 1024
    with pytest.raises(archive.UnsafeArchive, match="decompression bomb"):
        archive.extract(bomb, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()
    small = archive.Limits(max_total=1024, slack=0)
    fine = make_zip(tmp_path / "fine.zip", [("bag/a", b"a" * 100)])
    assert (archive.extract(fine, tmp_path / "ok", small) / "bag" / "a").read_bytes() == b"a" * 100
    with pytest.raises(archive.UnsafeArchive, match="entries"):
        archive.extract(fine, tmp_path / "few", archive.Limits(max_entries=0))


def test_zip_header_that_understates_the_size_is_still_capped(tmp_path):
    bomb = make_zip(tmp_path / "liar.zip", [("bag/zeros", b"\0" * (24 * 1024 * 1024))])
    data = bytearray(bomb.read_bytes())
    with zipfile.ZipFile(bomb) as zf:
        info = zf.infolist()[0]
    # understate the uncompressed size in the central directory (offset 24 of the entry)
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (10).to_bytes(4, "little")
    bomb.write_bytes(bytes(data))
    with pytest.raises(archive.UnsafeArchive):
        archive.extract(bomb, tmp_path / "dest")
    assert info.file_size > 10 and not (tmp_path / "dest").exists()


@pytest.mark.parametrize("suffix", [".zip", ".tar.gz"])
def test_truncated_and_corrupt_archives(signed_zip, tmp_path, suffix):
    source = tmp_path / "src"
    root = archive.bag_root(archive.extract(signed_zip, source))
    good = tmp_path / f"good{suffix}"
    archive.write(root, good, root.name)
    data = good.read_bytes()
    truncated = tmp_path / f"trunc{suffix}"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / f"garbage{suffix}"
    garbage.write_bytes(b"this is not an archive at all" * 10)
    for bad in (truncated, garbage):
        with pytest.raises(archive.UnsafeArchive, match="corrupt or truncated"):
            archive.extract(bad, tmp_path / "dest")
        assert not (tmp_path / "dest").exists()
        result = CliRunner().invoke(main, ["bundle", "verify", str(bad)])
        assert result.exit_code == 2, result.output
        assert "corrupt or truncated" in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_cli_refuses_hostile_bundle_in_one_line(tmp_path):
    (tmp_path / "in").mkdir()
    samples = hostile(tmp_path / "in")
    for name in ("zip-dotdot", "tar-symlink"):
        result = CliRunner().invoke(main, ["bundle", "import", str(samples[name]), "-o", str(tmp_path / "imp")])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("assess: error:") and "Traceback" not in result.output
        assert not (tmp_path / "imp").exists()


def test_extract_refuses_an_existing_destination(signed_zip, tmp_path):
    (tmp_path / "dest").mkdir()
    with pytest.raises(archive.InputError, match="already exists"):
        archive.extract(signed_zip, tmp_path / "dest")


def _raw_header(name: bytes, kind: bytes, size: int) -> bytes:
    """One 512-byte ustar header block, for headers tarfile's writer will not produce."""
    block = bytearray(512)
    block[0:len(name)] = name
    block[100:108] = b"0000644\0"
    block[124:136] = b"%011o\0" % size
    block[136:148] = b"00000000000\0"
    block[156:157] = kind
    block[257:263] = b"ustar\0"
    block[263:265] = b"00"
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def _tar_with_huge_header(path: Path, kind: bytes, size: int) -> Path:
    """A .tar.gz whose first header is a `kind` extended header of `size` bytes, then one regular file.

    Compressed it is a few hundred KB; tarfile reads the whole extended header into memory.
    """
    import gzip

    with gzip.open(path, "wb", compresslevel=1) as gz:
        gz.write(_raw_header(b"././@LongLink", kind, size))
        chunk = (b"a" if kind == tarfile.GNUTYPE_LONGNAME else b"9 a=b\n") * (1024 * 1024 // 6)
        left = size
        while left > 0:
            piece = chunk[:min(left, len(chunk))]
            gz.write(piece)
            left -= len(piece)
        gz.write(b"\0" * (-size % 512))
        gz.write(_raw_header(b"bag/ok.txt", tarfile.REGTYPE, 0))
        gz.write(b"\0" * 1024)
    return path


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.XHDTYPE, tarfile.XGLTYPE])
def test_huge_long_name_and_pax_headers_are_refused_without_reading_them(tmp_path, kind):
    import tracemalloc

    bomb = _tar_with_huge_header(tmp_path / "bomb.tar.gz", kind, 48 * 1024 * 1024)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(archive.UnsafeArchive, match="extended header of 50331648 bytes"):
            archive.extract(bomb, tmp_path / "out")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"{peak} bytes held while refusing"
    assert not (tmp_path / "out").exists()


def test_many_small_extended_headers_are_capped_in_total(tmp_path):
    path = tmp_path / "many.tar.gz"
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for i in range(100):
            info = tarfile.TarInfo(f"bag/f{i}")
            info.pax_headers = {"comment": "x" * 200_000}
            tf.addfile(info, io.BytesIO(b""))
    with pytest.raises(archive.UnsafeArchive, match="extended headers"):
        archive.extract(path, tmp_path / "out")


def test_sparse_members_are_refused(tmp_path):
    path = tmp_path / "sparse.tar.gz"
    import gzip

    with gzip.open(path, "wb") as gz:
        gz.write(_raw_header(b"bag/sparse", tarfile.GNUTYPE_SPARSE, 0) + b"\0" * 1024)
    with pytest.raises(archive.UnsafeArchive, match="bag/sparse"):
        archive.extract(path, tmp_path / "out")


def test_zip_central_directory_is_counted_before_it_is_read(tmp_path):
    many = make_zip(tmp_path / "many.zip", [(f"bag/f{i}", b"") for i in range(30)])
    with pytest.raises(archive.UnsafeArchive, match="more than 20 entries"):
        archive.extract(many, tmp_path / "out", archive.Limits(max_entries=20))
    assert archive.zip_entry_count(many) == 30


def test_bundles_are_written_through_a_random_name_never_through_a_planted_symlink(run_dir, tmp_path):
    from assess.bundle import create

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "b.zip"
    (tmp_path / ".b.zip.partial").symlink_to(victim)  # the name used to be predictable
    create.create(run_dir, out)
    assert victim.read_text() == "precious"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".b.zip.") and not p.is_symlink()]
