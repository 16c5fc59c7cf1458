"""The host-side redaction filter (probes/redact.py): the awk program and its Python twin agree, hide every
planted secret, keep what checks read, and are idempotent."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from assess.probes import redact

#: (line, secret that must disappear, text that must stay)
SECRETS = [
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", "AWS_SECRET_ACCESS_KEY="),
    ("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID="),
    ("ALIYUN_AK=LTAI5tQz9kXmP2rWvB8nYcDe", "LTAI5tQz9kXmP2rWvB8nYcDe", "ALIYUN_AK="),
    ('DB_PASSWORD="Tr0ub4dor&3"', "Tr0ub4dor", "DB_PASSWORD="),
    ("export GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_16C7e42F", "GITHUB_TOKEN="),
    ("OPENAI_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz012345", "sk-proj-abcdef", "OPENAI_KEY="),
    ("password = MyS3cretPw", "MyS3cretPw", "password = "),
    ("#password=OldS3cretPw", "OldS3cretPw", "#password="),
    ("  # password = C0mmented!", "C0mmented!", "password"),
    ("0 1 * * * root curl -s -u backup:Cu4lPw https://h/x", "Cu4lPw", "curl -s -u"),
    ("0 1 * * * root curl --user backup:Cu5lPw https://h/x", "Cu5lPw", "--user"),
    ("5 * * * * redis-cli -a R3disPw save", "R3disPw", "redis-cli -a"),
    ("lftp -u mirror,Lft9Pw sftp://h -e 'mirror'", "Lft9Pw", "lftp -u"),
    ("smbclient //nas/b -U bk%Smb7Pw -c 'put x'", "Smb7Pw", "smbclient //nas/b -U"),
    ("ldapsearch -x -D cn=admin -w Ld4pPw -b dc=x", "Ld4pPw", "ldapsearch -x -D cn=admin -w"),
    ("zip -r -P Z1pPw /b/x.zip /srv", "Z1pPw", "zip -r -P"),
    ("mysqladmin --password=Myadm1nPw flush-logs", "Myadm1nPw", "mysqladmin --password="),
    ("mysqldump -uroot -pDump3Pw --all-databases", "Dump3Pw", "mysqldump -uroot -p"),
    ("ExecStart=/usr/bin/pg_dump --password Pgd8Pw db", "Pgd8Pw", "--password"),
    ("tls-key-file-pass K3yFilePw", "K3yFilePw", "tls-key-file-pass"),
    ("# requirepass C0mmentedRedis", "C0mmentedRedis", "# requirepass"),
    ("masterauth Mast3rPw", "Mast3rPw", "masterauth"),
    ("# user worker +@list on >W0rkerPw ~jobs:*", "W0rkerPw", "~jobs:*"),
    ('    proxy_set_header X-Api-Key "a9f3c0ffee1234";', "a9f3c0ffee1234", "proxy_set_header X-Api-Key"),
    ("    proxy_set_header X-Api-Key a9f3c0ffee5678;", "a9f3c0ffee5678", "proxy_set_header X-Api-Key"),
    ('    proxy_set_header Authorization "Basic YWRtaW46c2VjcmV0";', "YWRtaW46c2VjcmV0", "Authorization"),
    ("host all all 10.0.0.0/8 ldap ldapserver=l ldapbinddn=cn=pg ldapbindpasswd=Ld4pBind ldapbasedn=dc=x",
     "Ld4pBind", "ldapbasedn=dc=x"),
    ('host all all 10.0.0.0/8 ldap ldapbindpasswd="quoted Bind" ldapbasedn=dc=x', "quoted Bind", "ldapbasedn"),
    ("restic -r sftp://bk:hunter2@nas/repo backup", "hunter2", "sftp://bk:"),
    ("sshpass -p hunter3 rsync -a /x h:/y", "hunter3", "sshpass -p"),
    ('action(type="omelasticsearch" uid="u" pwd="S3cret!pass")', "S3cret!pass", 'uid="u" pwd='),
    ("Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "9f8e7d6c5b4a", "Authorization: Bearer"),
    ('{"api_key": "k-1234567890", "name": "x"}', "k-1234567890", '"name": "x"'),
    ("MYSQL_PWD='x y' mysql", "x y", "mysql"),
    ("openssl pkcs12 -passin pass:Pk12Pw -in a.p12", "Pk12Pw", "-passin pass:"),
    ("sentinel auth-pass mymaster S3ntinel", "S3ntinel", "mymaster"),
    ("bindpw Nslcd9Pw", "Nslcd9Pw", "bindpw"),
    ("ldap_default_authtok = Sssd7Pw", "Sssd7Pw", "ldap_default_authtok"),
    ("REDISCLI_AUTH=Cli5Pw redis-cli ping", "Cli5Pw", "REDISCLI_AUTH="),
]

#: lines that must pass unchanged (what checks read)
UNCHANGED = [
    "TMOUT=600", "readonly TMOUT", "PASS_MAX_DAYS\t90", "PASS_MIN_LEN 8", "password_min_length = 8",
    "password\trequisite\tpam_pwquality.so retry=3 minlen=12", "-password optional pam_gnome_keyring.so",
    "password [success=1 default=ignore] pam_unix.so obscure use_authtok try_first_pass yescrypt",
    "auth required pam_faillock.so preauth deny=5 unlock_time=900",
    "-w /etc/passwd -p wa -k identity", "-a always,exit -F path=/usr/bin/passwd -F perm=x -F auid>=1000 -k priv",
    "PasswordAuthentication no", "PermitEmptyPasswords no", "KerberosOrLocalPasswd yes",
    "passwd:         files systemd", "shadow:x:42:", "encrypt passwords = yes", "passdb backend = tdbsam",
    "requirepass <redacted:len=12,foobared=no>", "user app on ><redacted:len=9,foobared=no> ~app:* +@read",
    'password="[redacted:len=6,default=yes,hashed=no]"', "password_encryption = scram-sha-256",
    "Defaults passwd_timeout=1", "auth_basic \"Restricted\";", "WWW-Authenticate: Bearer realm=\"api\"",
    "0 2 * * * root mkdir -p /backup && rsync -a /srv /backup", "sort -u /etc/hosts", "password=",
    "ssl_key = /etc/mysql/server-key.pem", "net.ipv4.tcp_syncookies = 1", "@@F /etc/mysql/conf.d/token.cnf",
    "server_tokens off;", "ENCRYPT_METHOD SHA512", "%wheel\tALL=(ALL)\tNOPASSWD: ALL",
    "deploy ALL=(root) PASSWD: /usr/bin/systemctl", "Defaults:alice !authenticate",
]


def awk(text: str, binary: str = "awk") -> str:
    """The filter as the collector runs it: the marker prefix in the environment (never on a command line)."""
    return subprocess.run([binary, redact.AWK], input=text, capture_output=True, text=True, check=True,
                          env={**os.environ, "_AB": "@@"}).stdout


AWKS = [b for b in ("gawk", "mawk", "busybox") if shutil.which(b)]


@pytest.mark.parametrize("binary", AWKS)
def test_awk_hides_every_planted_secret(binary):
    lines = [line for line, _secret, _kept in SECRETS]
    out = awk("\n".join(lines) + "\n", binary).split("\n")
    for (line, secret, kept), got in zip(SECRETS, out, strict=False):
        assert secret not in got, (binary, line, got)
        assert kept in got, (binary, line, got)
        assert redact.MARK in got, (binary, line, got)


def test_python_twin_agrees_with_awk():
    lines = [line for line, _s, _k in SECRETS] + UNCHANGED
    text = "\n".join(lines)
    assert redact.text(text) == awk(text + "\n").rstrip("\n")


@pytest.mark.parametrize("line", UNCHANGED)
def test_what_checks_read_is_kept(line):
    assert redact.text(line) == line
    assert awk(line + "\n") == line + "\n"


def test_idempotent():
    text = "\n".join(line for line, _s, _k in SECRETS)
    once = awk(text + "\n")
    assert awk(once) == once
    assert redact.text(once.rstrip("\n")) == once.rstrip("\n")


def test_private_key_blocks():
    text = ("a=1\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQUJDRA==\n"
            "-----END OPENSSH PRIVATE KEY-----\nb=2\nkey: \"-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n"
            "-----END RSA PRIVATE KEY-----\" tail\n")
    out = awk(text)
    assert "b3Blbn" not in out and "QUJDRA" not in out and "MIIE" not in out and "BEGIN" not in out
    assert out.startswith("a=1\n<redacted private key>\nb=2\n") and out.rstrip().endswith("tail")
    assert redact.text(text) == out


def test_marker_lines_end_a_key_block():
    """An unterminated key in one file never swallows the next file's marker."""
    text = "@@F /a\n-----BEGIN PRIVATE KEY-----\nMIIEabc\n@@F /b\nx=1\n"
    assert awk(text) == "@@F /a\n<redacted private key>\n@@F /b\nx=1\n"
    assert redact.text(text) == awk(text)


def test_collector_redacts_files_commands_and_pipes_on_the_host(tmp_path):
    """What leaves the host is already redacted: `_file`, `_cmd` and `| _redact` in the real collector."""
    from assess.probes import script
    from assess.probes.facts import Fact

    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "environment").write_text("TMOUT=600\nDB_PASSWORD=FileS3cret\n")
    (tmp_path / "etc" / "app.yaml").write_text("token: CmdS3cret\n")
    facts = [Fact("f", "linux", "_file /etc/environment", lambda s: None, ""),
             Fact("c", "linux", '_cmd cat "$R/etc/app.yaml"', lambda s: None, ""),
             Fact("p", "linux", "echo 'curl -u u:PipeS3cret h' | _redact", lambda s: None, "")]
    text, token = script.build(facts)
    text = text.replace("R=''", f"R='{tmp_path}'")  # a live run reading a fixture file
    out = subprocess.run(["sh", "-s"], input=text, capture_output=True, text=True, check=True).stdout
    sections = script.split(out, token, ["f", "c", "p"]).sections
    assert "TMOUT=600" in sections["f"].text and "DB_PASSWORD=<redacted>" in sections["f"].text
    assert "token: <redacted>" in sections["c"].text and sections["c"].command("cat").rc == 0
    assert "curl -u <redacted> h" in sections["p"].text
    assert not any(s in out for s in ("FileS3cret", "CmdS3cret", "PipeS3cret"))
