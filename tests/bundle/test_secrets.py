"""Secrets never leave in a bundle unless the operator overrides it, and then the bundle says so."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from assess.bundle import secrets
from assess.cli import main
from tests.bundle.conftest import extract

LEAKS = {
    "private key": "-----BEGIN OPENSSH PRIVATE KEY-----",
    "private key (RSA PEM)": "-----BEGIN RSA PRIVATE KEY-----",
    "md5crypt": "root:$1$abcdefgh$IQtUouv7y7Q9dRWkQEPCc.:19000:0:99999:7:::",
    "bcrypt": "$2b$12$eHvhICFm6OKC9SszlBkJ6etKJSpI1EGp4Y602jW46wekQkyJaDoYe",
    "sha256crypt": "$5$abcdefgh$ijtOJ//yvc/9bq1g0llFn9dB688BwBDRD90DlKKSKE1",
    "sha512crypt": "admin:$6$abcdefgh$KQeXafAQAaOoKTevphVU215RvJdgzyfASRasIOuh12hO8u0r1bGW92ZnTmC9IjsiQ8VPiTXBiZF49dFL1U4wX/:",
    "yescrypt": "u:$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7:",
    "gost-yescrypt": "u:$gy$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7:",
    "bearer": "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "jwt": '{"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"}',
    "set-cookie": "Set-Cookie: sid=Zx81kQ2mTq9LpW4vB7nC; HttpOnly; Secure",
    "cookie header": "Cookie: JSESSIONID=8F3A9C0B1D2E4F5061728394A5B6C7D8",
}
HARMLESS = {
    "login.defs comment": "# ENCRYPT_METHOD SHA512 makes hashes that start with $6$",
    "shadow without hash": "daemon:*:19000:0:99999:7:::",
    "locked account": "root:!:19000:0:99999:7:::",
    "public key": "-----BEGIN PUBLIC KEY-----",
    "redacted cookie": "Set-Cookie: JSESSIONID=<redacted>; HttpOnly",
    "masked cookie": "Set-Cookie: sid=********; Secure",
    "cookie flags only": "cookie flags: Secure HttpOnly SameSite=Lax",
    "bearer scheme named": "WWW-Authenticate: Bearer realm=\"api\"",
    "shell variable": "echo $1 $2 $HOME",
    "http probe redaction (cookie)": "set-cookie: SESSION=[redacted]; Path=/; Secure; HttpOnly",
    "http probe redaction (bearer)": '"authorization": "Bearer [redacted]"',
    "http probe redaction (url)": "https://127.0.0.1/cb?token=[redacted]&sessionid=[redacted]",
}


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_each_kind_of_secret_is_found(tmp_path, name):
    (tmp_path / "f.txt").write_text("first line\n" + LEAKS[name] + "\n")
    hits = secrets.scan_file(tmp_path / "f.txt", "f.txt")
    assert hits and hits[0].line == 2, name
    assert len(hits[0].excerpt) <= 13


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_harmless_text_is_not_a_secret(tmp_path, name):
    (tmp_path / "f.txt").write_text(HARMLESS[name] + "\n")
    assert secrets.scan_file(tmp_path / "f.txt", "f.txt") == [], name


def test_hits_never_show_the_whole_secret(tmp_path):
    (tmp_path / "f.txt").write_text(LEAKS["sha512crypt"] + "\n")
    (hit,) = secrets.scan_file(tmp_path / "f.txt", "f.txt")
    assert "KQeXafAQAaOo" not in str(hit) and hit.excerpt.endswith("…")


def test_binary_files_are_skipped_and_listed(tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x89PNG\0\0" + LEAKS["bearer"].encode())
    hits, skipped = secrets.scan_tree(tmp_path)
    assert hits == [] and skipped == ["a.png"]


def test_a_real_run_has_no_secrets(run_dir):
    hits, _ = secrets.scan_tree(run_dir)
    assert hits == []


def leaky_run(run_dir, tmp_path):
    """A copy of a real run whose evidence leaked a shadow line, plus an attachment with a private key."""
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    ev_path = run / "evidence" / "local.json"
    ev = json.loads(ev_path.read_text())
    section = next(iter(ev["raw"].values()))
    section["output"] += "\n" + LEAKS["sha512crypt"]
    ev_path.write_text(json.dumps(ev, ensure_ascii=False, indent=1))
    (run / "attachments").mkdir()
    (run / "attachments" / "notes.txt").write_text("ok\nok\n" + LEAKS["private key"] + "\n")
    return run


def test_create_refuses_a_leaky_run_listing_files_and_lines(run_dir, tmp_path):
    run = leaky_run(run_dir, tmp_path)
    out = tmp_path / "b.zip"
    result = CliRunner().invoke(main, ["bundle", "create", str(run), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "refusing to bundle: 2 secret(s)" in result.output
    assert f"{run}/attachments/notes.txt:3: private key" in result.output
    assert f"{run}/evidence/local.json:" in result.output and "of the raw output): password hash (sha512crypt" \
        in result.output
    assert "--allow-secrets" in result.output
    assert not out.exists() and not list(tmp_path.glob(".assess-bundle-*"))


def test_allow_secrets_overrides_and_is_recorded_in_the_signed_metadata(run_dir, tmp_path):
    run = leaky_run(run_dir, tmp_path)
    out = tmp_path / "b.zip"
    result = CliRunner().invoke(main, ["bundle", "create", str(run), "-o", str(out), "--allow-secrets"])
    assert result.exit_code == 0, result.output
    assert "secret bundled (--allow-secrets)" in result.output
    meta = json.loads((extract(out, tmp_path / "x") / "data" / "bundle.json").read_text())
    assert len(meta["secrets_allowed"]) == 2
