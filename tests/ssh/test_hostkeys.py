"""known_hosts parsing and host key decisions, checked against keys and hashed names made by ssh-keygen."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
from pathlib import Path

import paramiko
import pytest

from assess.probes.transport import hostkeys

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (openssh-client) missing")


def keygen(tmp: Path, name: str, kind: str = "ed25519") -> tuple[str, bytes]:
    path = tmp / name
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True)
    keytype, data = path.with_suffix(".pub").read_text().split()[:2]
    return keytype, base64.b64decode(data)


def line(names: str, key: tuple[str, bytes]) -> str:
    return f"{names} {key[0]} {base64.b64encode(key[1]).decode()}\n"


def test_host_id_and_fingerprint_match_openssh(tmp_path):
    key = keygen(tmp_path, "k")
    shown = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(tmp_path / "k.pub")],
                           capture_output=True, text=True, check=True).stdout.split()[1]
    assert hostkeys.fingerprint(key[1]) == shown
    assert hostkeys.host_id("10.0.0.1", 22) == "10.0.0.1"
    assert hostkeys.host_id("10.0.0.1", 2201) == "[10.0.0.1]:2201"


def test_plain_hashed_pattern_and_port_entries(tmp_path):
    a, b, c = keygen(tmp_path, "a"), keygen(tmp_path, "b"), keygen(tmp_path, "c", "ecdsa")
    kh = tmp_path / "known_hosts"
    kh.write_text("# comment\n\n" + line("web1,10.0.0.1", a) + line("[127.0.0.1]:2201", b)
                  + line("*.example.com,!bad.example.com", c) + "garbage line\n")
    hashed = tmp_path / "hashed"
    hashed.write_text(line("secret.internal", b))
    subprocess.run(["ssh-keygen", "-H", "-f", str(hashed)], check=True, capture_output=True)  # the oracle
    assert "secret.internal" not in hashed.read_text()
    known = hostkeys.KnownHosts.load([kh, hashed, tmp_path / "missing"])
    assert hostkeys.check(known, "10.0.0.1", *a).line == 3
    assert hostkeys.check(known, "[127.0.0.1]:2201", *b).source == str(kh)
    assert hostkeys.check(known, "secret.internal", *b).source == str(hashed)
    assert hostkeys.check(known, "db.example.com", *c).keytype == "ecdsa-sha2-nistp256"
    assert known.lookup("bad.example.com") == []
    assert known.keytypes("db.example.com") == ["ecdsa-sha2-nistp256"]
    assert hostkeys.algorithms_for(["ssh-rsa", "ssh-ed25519"]) == ["rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519"]


def test_unknown_changed_and_revoked_keys_refuse_with_fingerprints(tmp_path):
    a, b = keygen(tmp_path, "a"), keygen(tmp_path, "b")
    kh = tmp_path / "known_hosts"
    kh.write_text(line("[h]:2201", a) + "@revoked " + line("*", keygen(tmp_path, "r")))
    known = hostkeys.KnownHosts.load([kh])
    with pytest.raises(hostkeys.UnknownHostKey) as unknown:
        hostkeys.check(known, "[other]:2201", *b)
    assert hostkeys.fingerprint(b[1]) in str(unknown.value) and "--trust-on-first-use" in str(unknown.value)
    with pytest.raises(hostkeys.HostKeyError) as changed:
        hostkeys.check(known, "[h]:2201", *b)
    assert not isinstance(changed.value, hostkeys.UnknownHostKey)
    message = str(changed.value)
    assert "HOST KEY CHANGED for [h]:2201" in message and hostkeys.fingerprint(a[1]) in message
    assert f"{kh}:1" in message
    revoked = hostkeys.KnownHosts.load([kh])
    rkey = (tmp_path / "r.pub").read_text().split()
    with pytest.raises(hostkeys.HostKeyError, match="@revoked"):
        hostkeys.check(revoked, "anything", rkey[0], base64.b64decode(rkey[1]))


def test_tofu_record_is_openssh_format_and_known_afterwards(tmp_path):
    a = keygen(tmp_path, "a")
    known = hostkeys.KnownHosts()
    record = hostkeys.TofuRecord(tmp_path / "known_hosts.tofu")
    entry = record.record(known, "[127.0.0.1]:2201", *a)
    assert entry.line == 1 and hostkeys.check(known, "[127.0.0.1]:2201", *a) == entry
    text = (tmp_path / "known_hosts.tofu").read_text()
    assert text.startswith("[127.0.0.1]:2201 ssh-ed25519 ")
    # OpenSSH reads the record as a known_hosts file
    found = subprocess.run(["ssh-keygen", "-F", "[127.0.0.1]:2201", "-f", str(tmp_path / "known_hosts.tofu")],
                           capture_output=True, text=True)
    assert found.returncode == 0 and "ssh-ed25519" in found.stdout


def test_large_known_hosts_loads_fast_where_paramiko_is_quadratic(tmp_path):
    """pyinfra#721, ansible#9540: paramiko's HostKeys.load rechecks every line against all previous ones."""
    a = keygen(tmp_path, "a")
    kh = tmp_path / "known_hosts"
    n = 1500
    kh.write_text("".join(line(f"host{i}.example.com", a) for i in range(n)))
    t0 = time.perf_counter()
    known = hostkeys.KnownHosts.load([kh])
    hostkeys.check(known, f"host{n - 1}.example.com", *a)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    paramiko.HostKeys(str(kh))
    theirs = time.perf_counter() - t0
    assert ours * 5 < theirs, (ours, theirs)  # a ratio: both slow down alike on a loaded machine


@pytest.mark.parametrize("names,query", [
    ("Web1.Example.COM", "web1.example.com"), ("web1", "WEB1"), ("[10.0.0.*]:2222", "[10.0.0.5]:2222"),
    ("[10.0.0.*]:2222", "[10.0.0.5]:22"), ("[10.0.0.?]:2222", "[10.0.0.7]:2222"), ("*.LAB,!x.lab", "A.LAB"),
    ("*.lab,!X.LAB", "x.lab"), ("[ab]", "a"), ("10.0.0.[1-3]", "10.0.0.2"), ("[DB]:2201", "[db]:2201"),
])
def test_names_match_as_openssh_does(tmp_path, names, query):
    """ssh-keygen -F (OpenSSH's own match_hostname) is the oracle: case, literal brackets, only * and ?."""
    a = keygen(tmp_path, "a")
    kh = tmp_path / "known_hosts"
    kh.write_text(line(names, a))
    openssh = subprocess.run(["ssh-keygen", "-F", query, "-f", str(kh)], capture_output=True, text=True)
    assert bool(hostkeys.KnownHosts.load([kh]).lookup(query)) == (openssh.returncode == 0)


def test_hashed_entry_matches_a_name_spelled_in_upper_case(tmp_path):
    a = keygen(tmp_path, "a")
    kh = tmp_path / "known_hosts"
    kh.write_text(line("db.internal", a))
    subprocess.run(["ssh-keygen", "-H", "-f", str(kh)], check=True, capture_output=True)
    assert hostkeys.check(hostkeys.KnownHosts.load([kh]), "DB.Internal", *a).line == 1


@pytest.mark.parametrize("pinned,address,port", [("web1.example.com", "WEB1.example.com", 22),
                                                 ("[10.0.0.*]:2222", "10.0.0.5", 2222)])
def test_tofu_refuses_an_impostor_for_a_pinned_host(tmp_path, pinned, address, port):
    """An inventory spelling or a wildcard line must not turn a pinned host into an unknown one."""
    from assess.probes.transport.ssh import Hop, SSHSession

    real = keygen(tmp_path, "real")
    kh = tmp_path / "known_hosts"
    kh.write_text(line(pinned, real))
    keygen(tmp_path, "fake")
    impostor = paramiko.Ed25519Key.from_private_key_file(str(tmp_path / "fake"))
    session = SSHSession(tmp_path / "known_hosts.tofu", trust_on_first_use=True, notice=lambda _m: None)
    hop = Hop(host=address, port=port, known_hosts=(str(kh),))
    with pytest.raises(hostkeys.HostKeyError, match="HOST KEY CHANGED"):
        session.verify(hop, impostor)
    assert not (tmp_path / "known_hosts.tofu").exists()


def test_tofu_records_names_in_lower_case(tmp_path):
    a = keygen(tmp_path, "a")
    known = hostkeys.KnownHosts()
    hostkeys.TofuRecord(tmp_path / "tofu").record(known, "[Web1]:2201", *a)
    assert (tmp_path / "tofu").read_text().startswith("[web1]:2201 ")
    assert hostkeys.check(known, "[WEB1]:2201", *a)
