"""Inventory formats (assess YAML, Ansible INI/YAML, ssh_config) and their bad-input messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assess.errors import AssessError, InputError, LintErrors
from assess.inventory import load as inventory


def write_key(path: Path, passphrase: bytes | None = None) -> Path:
    enc = (serialization.BestAvailableEncryption(passphrase) if passphrase
           else serialization.NoEncryption())
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, enc))
    path.chmod(0o600)
    return path


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.ssh/config of the machine
    write_key(tmp_path / "id_lab")
    write_key(tmp_path / "id_locked", b"right")
    (tmp_path / "known_hosts").write_text("")
    return tmp_path


def load(tmp: Path, text: str, name: str = "inv.yaml", **kw) -> list:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return inventory.load(path, **kw)


def problems(tmp: Path, text: str, name: str = "inv.yaml") -> list[str]:
    with pytest.raises(AssessError) as exc:
        load(tmp, text, name)
    return exc.value.problems if isinstance(exc.value, LintErrors) else [str(exc.value)]


def test_assess_inventory_with_defaults_jumps_and_tags(tmp):
    targets = load(tmp, """\
defaults: {type: linux, user: root, key: id_lab, known_hosts: known_hosts}
objects:
  - {id: bastion, address: 127.0.0.1, port: 2205}
  - {id: inner, address: 127.0.0.1, port: 2206, jump: bastion}
  - {id: web01, address: 10.0.0.7, jump: inner, become: sudo, user: ops, tags: [internet-facing]}
  - {id: via-spec, address: 10.0.0.8, jump: "jumper@gw.example:2222"}
  - {id: db1, type: database, engine: mysql, host: web01}
""")
    by = {t.id: t for t in targets}
    assert [t.id for t in targets][-2:] == ["site", "organization"]
    web = by["web01"].connection
    assert web["key"] == str(tmp / "id_lab") and web["known_hosts"] == [str(tmp / "known_hosts")]
    assert [h["label"] for h in web["jump"]] == ["bastion", "inner"]  # outermost first
    assert web["become"] == "sudo" and web["user"] == "ops" and by["web01"].tags == ["internet-facing"]
    spec = by["via-spec"].connection["jump"][0]
    assert (spec["host"], spec["port"], spec["user"], spec["key"]) == ("gw.example", 2222, "jumper", web["key"])
    db = by["db1"].connection  # a service on web01 is reached the way web01 is
    assert db["transport"] == "ssh" and db["via"] == "web01" and db["jump"] == web["jump"]
    assert by["bastion"].connection.get("jump") is None


def test_ansible_ini(tmp):
    targets = load(tmp, """\
# production web servers
[web]
web[01:03] ansible_host=127.0.0.1 ansible_port=2201
db1 ansible_host=10.0.0.5 ansible_become=yes assess_become_password_env=HOME

[web:vars]
ansible_user=ops
ansible_ssh_private_key_file=id_lab

[prod:children]
web

[prod:vars]
ansible_user=produser
ansible_ssh_common_args='-o ProxyJump=jump@127.0.0.1:2200'
assess_known_hosts=known_hosts
""", "hosts")
    by = {t.id: t for t in targets}
    assert sorted(by) == ["db1", "organization", "site", "web01", "web02", "web03"]
    c = by["web02"].connection
    assert (c["host"], c["port"], c["user"]) == ("127.0.0.1", 2201, "ops")  # child group vars win
    assert c["jump"][0]["user"] == "jump" and c["jump"][0]["port"] == 2200
    assert by["db1"].connection["become"] == "sudo" and by["web01"].tags == ["prod", "web"]


def test_ansible_yaml(tmp):
    targets = load(tmp, """\
all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: id_lab
  hosts:
    solo:
      ansible_host: 127.0.0.9
  children:
    web:
      vars:
        ansible_port: 2222
      hosts:
        w1:
        w2:
          ansible_port: 2223
""", "hosts.yml")
    by = {t.id: t for t in targets}
    assert by["solo"].connection["host"] == "127.0.0.9" and by["solo"].tags == []
    assert by["w1"].connection["port"] == 2222 and by["w2"].connection["port"] == 2223
    assert by["w1"].tags == ["web"] and by["w1"].connection["user"] == "root"


def test_ssh_config_as_inventory_and_as_defaults(tmp):
    config = tmp / "ssh_config"
    config.write_text(f"""\
Host web1 web2
  HostName 127.0.0.1
  Port 2222
  User ops
  IdentityFile {tmp / 'id_lab'}
  ProxyJump bastion
Host bastion
  HostName 127.0.0.1
  Port 2200
  User jumper
Host *
  User nobody
""")
    by = {t.id: t for t in inventory.load(config)}
    assert sorted(by) == ["bastion", "organization", "site", "web1", "web2"]
    web = by["web1"].connection
    assert (web["host"], web["port"], web["user"], web["key"]) == ("127.0.0.1", 2222, "ops", str(tmp / "id_lab"))
    assert web["jump"][0]["label"] == "bastion" and web["jump"][0]["user"] == "jumper"
    # an assess inventory naming a config alias takes what the inventory leaves unset from the config
    targets = load(tmp, f"ssh_config: {config}\nobjects:\n  - {{id: w, type: linux, address: web2, port: 2300}}\n")
    w = targets[0].connection
    assert (w["host"], w["port"], w["user"], w["jump"][0]["host"]) == ("127.0.0.1", 2300, "ops", "127.0.0.1")


@pytest.mark.parametrize(("text", "expected"), [
    ("objects:\n  - {id: a, type: linux, address: [x\n", "inv.yaml:3: YAML syntax error"),
    ("objects:\n  - type: linux\n    address: x\n", "inv.yaml:2: object is missing required key 'id'"),
    ("objects:\n  - {id: a, type: linux}\n", "inv.yaml:2: object 'a' needs an address (or transport: local)"),
    ("objects:\n  - {id: a, type: linux, address: x}\n  - {id: a, type: linux, address: y}\n",
     "inv.yaml:3: duplicate object id 'a' (first at line 2)"),
    ("objects:\n  - {id: a, type: linux, address: x, jump: b}\n  - {id: b, type: linux, address: y, jump: a}\n",
     "jump cycle: a → b → a"),
    ("objects:\n  - {id: a, type: linux, address: x, jump: a}\n", "object 'a' lists itself as its jump host"),
    ("objects:\n  - {id: a, type: linux, address: x, key: nope}\n", "object 'a': key file"),
    ("objects:\n  - {id: a, type: linux, address: x, key: known_hosts}\n", "is not a readable private key"),
    ("objects:\n  - {id: a, type: linux, address: x, key: id_locked}\n", "is encrypted: give its passphrase"),
    ("objects:\n  - {id: a, type: linux, address: x, key: id_locked, key_passphrase_env: WRONG_PP}\n",
     "inv.yaml:2: object 'a': wrong passphrase for key file"),
    ("objects:\n  - id: a\n    type: linux\n    address: x\n    password: hunter2\n",
     "inv.yaml:5: 'password' is not accepted: secrets never live in the inventory"),
    ("objects:\n  - {id: a, type: linux, address: x, password_env: ASSESS_TEST_UNSET}\n",
     "environment variable ASSESS_TEST_UNSET (password_env) is not set"),
    ("objects:\n  - {id: a, type: linux, address: x, port: 70000}\n", "'port' must be a TCP port"),
    ("objects:\n  - {id: a, type: linux, address: x, become: su}\n", "'become' has invalid value 'su'"),
    ("objects:\n  - {id: a, type: linux, address: x, known_hosts: nowhere}\n", "known_hosts file"),
])
def test_bad_assess_inventories(tmp, monkeypatch, text, expected):
    monkeypatch.setenv("WRONG_PP", "wrong")
    monkeypatch.delenv("ASSESS_TEST_UNSET", raising=False)
    found = problems(tmp, text)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(("text", "expected"), [
    ("[web]\nh1 ansible_password=secret\n", "hosts:2: host 'h1': ansible_password is not read"),
    ("[web]\nh1 ansible_become_pass=secret\n", "assess_become_password_env"),
    ("[web]\nh1 ansible_host='{{ lookup(\"env\", \"X\") }}'\n", "is a template"),
    ("[web]\nh1 ansible_become_method=su\n", "become method 'su' is not supported"),
    ("[web]\nh1 ansible_connection=winrm\n", "ansible_connection 'winrm' is not supported"),
    ("[web\nh1\n", "hosts:1: bad section header"),
    ("[web]\nh[1:x]\n", "bad host range"),
])
def test_bad_ansible_inventories(tmp, text, expected):
    found = problems(tmp, text, "hosts")
    assert any(expected in p for p in found), found


def test_cli_bad_inventory_exits_2_and_scans_nothing(tmp):
    inv = tmp / "inv.yaml"
    inv.write_text("objects:\n  - {id: a, type: linux, address: 127.0.0.1, jump: b}\n"
                   "  - {id: b, type: linux, address: 127.0.0.1, jump: a, key: missing-key}\n")
    out = tmp / "out"
    proc = subprocess.run([sys.executable, "-m", "assess", "scan", "-i", str(inv), "--out", str(out),
                           "--no-history"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{inv}:3: object 'b': key file" in proc.stderr and "jump cycle" in proc.stderr
    assert not out.exists()


def test_unreadable_inventory_file(tmp):
    with pytest.raises(InputError, match="no such file"):
        inventory.load(tmp / "absent.yaml")



_LIMITED = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); import sys; "


def _bounded(code: str, *args: str) -> subprocess.CompletedProcess:
    """Python code in a child limited to 1 GiB of memory and 60 s: an unbounded read fails either way."""
    try:
        return subprocess.run([sys.executable, "-c", _LIMITED + code, *args], capture_output=True, text=True,
                              timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the input was read without a bound (still reading after 60 s)")


def _bounded_scan(tmp: Path, inv: Path) -> subprocess.CompletedProcess:
    return _bounded("from assess.cli import main; sys.argv[0] = 'assess'; main()",
                    "scan", "-i", str(inv), "--out", str(tmp / "out"), "--no-history")


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


@pytest.mark.parametrize(("make", "expected"), [
    (lambda tmp: Path("/dev/zero"), "not a regular file"),
    (lambda tmp: (os.mkfifo(tmp / "fifo"), tmp / "fifo")[1], "not a regular file"),
    (lambda tmp: _sparse(tmp / "huge", 4 << 30), "larger than 1 MiB"),
])
def test_key_file_is_bounded(tmp, make, expected):
    path = make(tmp)
    inv = tmp / "inv.yaml"
    inv.write_text(f"objects:\n  - id: a\n    type: linux\n    address: 127.0.0.1\n    key: {path}\n")
    proc = _bounded_scan(tmp, inv)
    assert proc.returncode == 2, proc.stderr
    assert f"{inv}:5: object 'a': cannot read key file {path}: {expected}" in proc.stderr, proc.stderr


@pytest.mark.parametrize(("make", "expected"), [
    (lambda tmp: Path("/dev/zero"), "not a regular file"),
    (lambda tmp: (os.mkfifo(tmp / "fifo"), tmp / "fifo")[1], "not a regular file"),
    (lambda tmp: _sparse(tmp / "huge", 4 << 30), "larger than 128 MiB"),
])
def test_known_hosts_file_is_bounded(tmp, make, expected):
    path = make(tmp)
    proc = _bounded("from pathlib import Path; from assess.probes.transport import hostkeys\n"
                    "try:\n    hostkeys.KnownHosts.load([Path(sys.argv[1])])\n"
                    "except Exception as exc:\n    print(exc)", str(path))
    assert f"cannot read known_hosts file {path}: {expected}" in proc.stdout, proc.stdout + proc.stderr
    inv = tmp / "inv.yaml"
    inv.write_text(f"objects:\n  - {{id: a, type: linux, address: 127.0.0.1, known_hosts: {path}}}\n")
    if not path.is_file():
        assert any("is not a regular file" in p for p in problems(tmp, inv.read_text()))


def test_inventory_file_itself_is_bounded(tmp):
    proc = _bounded_scan(tmp, Path("/dev/zero"))
    assert proc.returncode == 2 and "not a regular file" in proc.stderr, proc.stderr


def test_ansible_range_that_exhausts_memory_is_refused_with_its_line(tmp):
    hosts = tmp / "hosts"
    hosts.write_text("[web]\nok1\nh[0:99999999]\n")
    proc = _bounded_scan(tmp, hosts)
    assert proc.returncode == 2, proc.stderr
    assert f"{hosts}:3: host pattern 'h[0:99999999]' stands for 100000000 hosts" in proc.stderr
    found = problems(tmp, "[web]\nh[0:99][0:99][0:99]\n", "hosts")
    assert any("hosts:2: host pattern" in p and "stands for 1000000 hosts; an inventory may hold at most 50000"
               in p for p in found), found
    found = problems(tmp, "[web]\n" + "".join(f"g{i}-[0:9999]\n" for i in range(6)), "hosts")
    assert any("hosts:7: host pattern 'g5-[0:9999]' stands for 10000 hosts" in p for p in found), found
    found = problems(tmp, "all:\n  hosts:\n    'h[1:9:0]':\n", "hosts.yaml")
    assert any("hosts.yaml:3:" in p and "step must be at least 1" in p for p in found), found


def test_yaml_alias_bomb_in_tags_is_refused_with_its_line(tmp):
    levels = "".join(f"      - &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 9))
    inv = tmp / "inv.yaml"
    inv.write_text("objects:\n  - id: a\n    type: linux\n    transport: local\n    tags:\n"
                   "      - &l0 [x, x, x, x, x, x, x, x, x]\n" + levels)
    proc = _bounded_scan(tmp, inv)
    assert proc.returncode == 2, proc.stderr
    assert f"{inv}:" in proc.stderr and "YAML aliases expand this document to more than" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_too_many_tags_on_one_object(tmp):
    tags = ", ".join(f"t{i}" for i in range(1001))
    found = problems(tmp, f"objects:\n  - {{id: a, type: linux, transport: local, tags: [{tags}]}}\n")
    assert any("inv.yaml:2: object 'a': more than 1000 tags" in p for p in found), found
