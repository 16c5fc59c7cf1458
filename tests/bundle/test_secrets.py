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
    "env password": "DB_PASSWORD=Tr0ub4dor3",
    "aws secret": "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCY",
    "aws key id": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "alibaba key id": "ALIYUN_AK LTAI5tQz9kXmP2rWvB8nYcDe",
    "github token": "GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "sk- key": "OPENAI=sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "json api key": '{"api_key": "k-1234567890"}',
    "escaped json password": '"output": "[mysqldump]\\npassword = \\"Dump3Pw\\"\\n"',
    "commented mysql password": "#password=OldS3cretPw",
    "yaml token": "token: 9f8e7d6c5b4a",
    "pg ldapbindpasswd": "host all all 10.0.0.0/8 ldap ldapserver=l ldapbindpasswd=Ld4pBind",
    "long option": "pg_dump --password Pgd8Pw db",
    "curl -u": "0 1 * * * root curl -s -u backup:Cu4lPw https://h/x",
    "lftp -u": "lftp -u mirror,Lft9Pw sftp://h",
    "smbclient -U": "smbclient //nas/b -U bk%Smb7Pw",
    "ldapsearch -w": "ldapsearch -x -D cn=admin -w Ld4pPw -b dc=x",
    "zip -P": "zip -r -P Z1pPw /b/x.zip /srv",
    "mysqldump -p": "mysqldump -uroot -pDump3Pw --all-databases",
    "redis-cli -a": "redis-cli -a R3disPw save",
    "redis directive": "# requirepass C0mmentedRedis",
    "redis tls pass": "tls-key-file-pass K3yFilePw",
    "nginx header": "proxy_set_header X-Api-Key a9f3c0ffee5678;",
    "url credentials": "restic -r sftp://bk:hunter2@nas/repo backup",
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
    "host redaction": "DB_PASSWORD=<redacted>",
    "host redaction (option)": "mysqldump -uroot -p<redacted> db; curl -u <redacted> https://h",
    "host redaction (redis)": "requirepass <redacted:len=12,foobared=no>",
    "host redaction (tomcat)": 'password="[redacted:len=6,default=yes,hashed=no]"',
    "legacy redaction": "pwd=*** sftp://bk:***@nas",
    "login.defs": "PASS_MAX_DAYS\t99999",
    "password_min_length": "password_min_length = 8",
    "pam password line": "password requisite pam_pwquality.so retry=3 minlen=12",
    "sudoers NOPASSWD": "%wheel ALL=(ALL) NOPASSWD: ALL",
    "password state fact": '{"password": "set", "requirepass": {"set": true, "length": 12}}',
    "pg storage fact": '{"password": "scram"}',
    "observed list": '"observed": {"shadow.empty_password": []}, "expected": ["shadow.empty_password is empty"]',
    "shell variable password": 'mysqldump -p"$MYSQL_PWD" --password=$DB_PASS',
    "empty password": "password=",
    "css variable": ":root { --pass: #2e7d32; }",
    "audit rule": "-w /etc/passwd -p wa -k identity",
    "sshd": "PasswordAuthentication no",
}


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_each_kind_of_secret_is_found(tmp_path, name):
    (tmp_path / "f.txt").write_text("first line\n" + LEAKS[name] + "\n")
    hits = secrets.scan_file(tmp_path / "f.txt", "f.txt")
    assert hits and hits[0].line == 2, name
    assert len(hits[0].excerpt) <= 13
    for secret in ("Tr0ub4dor3", "wJalrXUtnF", "IOSFODNN7", "5tQz9kXmP", "16C7e42F", "abcdefghij", "1234567890",
                   "Dump3Pw", "OldS3cret", "9f8e7d6c", "Ld4pBind", "Pgd8Pw", "Cu4lPw", "Lft9Pw", "Smb7Pw", "Ld4pPw",
                   "Z1pPw", "R3disPw", "C0mmented", "K3yFile", "a9f3c0ffee", "hunter2"):
        assert secret not in str(hits[0]), (name, str(hits[0]))


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


def test_the_shipped_controls_tree_is_no_leak():
    """Every bundle carries controls/; its fact shapes (`password: bool`) are declarations, not secrets."""
    from assess.catalog.load import default_root

    hits, _skipped = secrets.scan_tree(default_root())
    assert hits == []
