"""The SSH transport against the lab's real sshd hosts: host keys, TOFU, jumps, sudo, failures."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from assess.probes.facts import facts_for
from assess.probes.transport import CollectionError
from assess.probes.transport import ssh as ssh_mod
from assess.probes.transport.ssh import SSHSession
from assess.run.collect import ObjectEvidence, collect

pytestmark = pytest.mark.lab


def facts(*names: str) -> list:
    registry = facts_for("linux")
    return [registry[n] for n in names]


def run(lab, name: str, session: SSHSession | None = None, names=("collector", "os_release"),
        **overrides) -> ObjectEvidence:
    own = session is None
    session = session or SSHSession(connect_timeout=5)
    try:
        return collect(name, session.transport(lab.connection(name, **overrides), name), facts(*names))
    finally:
        if own:
            session.close()


def known_hosts(tmp: Path, *lines: str) -> str:
    path = tmp / "known_hosts"
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def test_known_host_key_is_verified_and_recorded(lab):
    ev = run(lab, "deb-hardened")
    assert ev.error is None, ev.error
    host = lab.host("deb-hardened")
    assert ev.facts["collector"].value["hostname"] == "deb-hardened"
    assert ev.facts["os_release"].value["id"] == "debian"
    key = ev.info["host_key"]
    assert key["sha256"] == host.fingerprints[key["type"]]
    assert key["verified"].startswith(str(lab.known_hosts) + ":")
    assert ev.info["user"] == "root" and ev.info["become"] is None


def test_remote_shell_runs_in_the_c_locale():
    session = SSHSession()
    t = session.transport({"host": "127.0.0.1", "port": 1}, "x")
    assert t.command().startswith("env LC_ALL=C LANG=C ")


def test_one_exec_reads_stdout_exit_status_and_locale(lab):
    session = SSHSession(connect_timeout=5)
    out = session.transport(lab.connection("deb-weak"), "deb-weak").run_script(
        'echo "$LC_ALL $LANG"; echo oops >&2; exit 3\n', 20)
    session.close()
    assert out.stdout.strip() == "C C" and out.rc == 3 and "oops" in out.stderr


def test_unknown_host_key_is_refused(lab, tmp_path):
    ev = run(lab, "deb-weak", known_hosts=[known_hosts(tmp_path)])
    host = lab.host("deb-weak")
    assert ev.error and f"host key of {host.known_name} is unknown" in ev.error
    assert any(fp in ev.error for fp in host.fingerprints.values())
    assert all(f.status == "error" for f in ev.facts.values())


def test_changed_host_key_is_refused_even_with_tofu(lab, tmp_path):
    weak, hard = lab.host("deb-weak"), lab.host("deb-hardened")
    kh = known_hosts(tmp_path, *(f"{weak.known_name} {k}" for k in hard.keys.values()))
    tofu = tmp_path / "known_hosts.tofu"
    ev = run(lab, "deb-weak", SSHSession(tofu, trust_on_first_use=True), known_hosts=[kh])
    assert ev.error and f"HOST KEY CHANGED for {weak.known_name}" in ev.error
    assert hard.fingerprints["ssh-ed25519"] in ev.error and "man-in-the-middle" in ev.error
    assert not tofu.exists()


def test_trust_on_first_use_records_the_key_in_the_run(lab, tmp_path):
    notices: list[str] = []
    tofu = tmp_path / "known_hosts.tofu"
    ev = run(lab, "rhel8", SSHSession(tofu, trust_on_first_use=True, notice=notices.append),
             known_hosts=[known_hosts(tmp_path)])
    host = lab.host("rhel8")
    assert ev.error is None and ev.info["host_key"]["verified"] == "trust-on-first-use"
    assert len(notices) == 1 and host.known_name in notices[0] and str(tofu) in notices[0]
    assert ev.info["host_key"]["sha256"] in notices[0]
    assert tofu.read_text().startswith(f"{host.known_name} ")
    again = run(lab, "rhel8", known_hosts=[str(tofu)])  # the record is a known_hosts file
    assert again.error is None and again.info["host_key"]["verified"] == f"{tofu}:1"


def test_known_key_type_is_negotiated_first(lab, tmp_path):
    host = lab.host("centos7")
    kh = known_hosts(tmp_path, f"{host.known_name} {host.keys['ecdsa-sha2-nistp256']}")
    ev = run(lab, "centos7", known_hosts=[kh])
    assert ev.error is None and ev.info["host_key"]["type"] == "ecdsa-sha2-nistp256"


def test_internal_host_only_through_the_bastion(lab):
    internal = lab.host("internal")
    ev = run(lab, "internal")
    assert ev.error is None, ev.error
    assert ev.facts["collector"].value["hostname"] == "internal"
    assert ev.info["host_key"]["sha256"] == internal.fingerprints[ev.info["host_key"]["type"]]
    assert [h["label"] for h in ev.info["jump"]] == ["bastion"]
    direct = run(lab, "internal", jump=[])  # the same address without the bastion is not that host
    assert direct.error is not None


def test_jump_chain_of_two_bastions(lab):
    bastion = lab.connection("bastion")
    inside = {**bastion, "host": "127.0.0.1", "port": 22, "label": "bastion-inside"}
    ev = run(lab, "internal", jump=[bastion, inside])
    assert ev.error is None, ev.error
    assert [h["label"] for h in ev.info["jump"]] == ["bastion", "bastion-inside"]
    assert ev.facts["collector"].value["hostname"] == "internal"


def test_targets_behind_a_bastion_share_one_connection_to_it(lab):
    before = lab.log("bastion").count("Accepted publickey for root")
    session = SSHSession(connect_timeout=5)
    for _ in range(3):
        assert run(lab, "internal", session).error is None
    session.close()
    assert lab.log("bastion").count("Accepted publickey for root") - before == 1


def test_sudo_with_password_on_stdin(lab, monkeypatch):
    monkeypatch.setenv("LAB_SUDO_PW", lab.sudo_password)
    ev = run(lab, "deb-sudo", user="auditor", become="sudo", become_password_env="LAB_SUDO_PW",
             names=("collector", "shadow"))
    assert ev.error is None, ev.error
    assert ev.facts["collector"].value["uid"] == 0 and ev.info["become"] == "sudo" and ev.info["user"] == "auditor"
    assert ev.facts["shadow"].status == "ok"
    assert lab.sudo_password not in str(ev.as_dict())


def test_sudo_failures_are_clear(lab, monkeypatch):
    monkeypatch.setenv("LAB_WRONG_PW", "not-the-password")
    wrong = run(lab, "deb-sudo", user="auditor", become="sudo", become_password_env="LAB_WRONG_PW")
    assert wrong.error and "sudo on" in wrong.error and "rejected the password" in wrong.error
    missing = run(lab, "deb-sudo", user="auditor", become="sudo")
    assert missing.error and "asks auditor for a password" in missing.error


def test_non_root_without_sudo_still_collects(lab):
    ev = run(lab, "deb-sudo", user="guest", names=("collector", "os_release", "login_defs", "shadow"))
    assert ev.error is None, ev.error
    assert ev.facts["collector"].value == {**ev.facts["collector"].value, "uid": 1002, "root": False}
    assert ev.facts["login_defs"].status == "ok" and ev.facts["os_release"].status == "ok"
    assert ev.facts["shadow"].status == "error" and "permission denied" in ev.facts["shadow"].reason


def test_refused_port(lab):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ev = run(lab, "deb-hardened", port=port)
    assert ev.error == f"connection refused by [127.0.0.1]:{port} (no SSH server on that port)"


def test_silent_server_times_out(lab):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)  # the kernel completes the TCP handshake; nobody ever speaks SSH
        ev = run(lab, "deb-hardened", SSHSession(connect_timeout=1), port=s.getsockname()[1])
    assert ev.error and "SSH handshake with" in ev.error and "banner" in ev.error.lower()


def test_wrong_key_is_an_authentication_failure(lab, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = tmp_path / "other"
    other.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
    ev = run(lab, "deb-hardened", key=str(other))
    assert ev.error and ev.error.startswith("authentication failed for root@[127.0.0.1]")
    assert f"key {other}" in ev.error and "publickey" in ev.error


def test_password_from_environment(lab, monkeypatch):
    monkeypatch.setenv("LAB_USER_PW", lab.user_password)
    ev = run(lab, "deb-sudo", user="guest", key=None, password_env="LAB_USER_PW")
    assert ev.error is None, ev.error
    assert ev.facts["collector"].value["user"] == "guest"


def test_command_timeout_and_output_cap(lab, monkeypatch):
    session = SSHSession(connect_timeout=5)
    transport = session.transport(lab.connection("deb-weak", command_timeout=1), "deb-weak")
    with pytest.raises(CollectionError, match="command timeout: the collector did not finish"):
        transport.run_script("sleep 5\n", 300)
    monkeypatch.setattr(ssh_mod, "MAX_OUTPUT", 100_000)
    out = session.transport(lab.connection("deb-weak"), "deb-weak").run_script(
        "head -c 1000000 /dev/zero | tr '\\0' x\n", 30)
    session.close()
    assert len(out.stdout) == 100_000 and out.info["truncated"] is True and "exceeded" in out.stderr


def test_ssh_agent_and_encrypted_key(lab, tmp_path, monkeypatch):
    import shutil
    import subprocess

    locked = tmp_path / "id_locked"
    shutil.copy(lab.client_key, locked)
    subprocess.run(["ssh-keygen", "-q", "-p", "-N", "lab-passphrase", "-f", str(locked)], check=True)
    monkeypatch.setenv("LAB_KEY_PP", "lab-passphrase")
    ev = run(lab, "deb-weak", key=str(locked), key_passphrase_env="LAB_KEY_PP")
    assert ev.error is None, ev.error
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.02)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        subprocess.run(["ssh-add", "-q", str(lab.client_key)], check=True, capture_output=True)
        ev = run(lab, "deb-weak", key=None, agent=True)
        assert ev.error is None, ev.error
    finally:
        agent.terminate()
        agent.wait()


def test_sudo_without_password_needs_none(lab):
    ev = run(lab, "deb-weak", user="robot", become="sudo")  # NOPASSWD: the shell starts at once
    assert ev.error is None, ev.error
    assert ev.facts["collector"].value["uid"] == 0 and ev.facts["collector"].value["hostname"] == "deb-weak"


@pytest.mark.parametrize(("command", "expected"), [
    ("yes flooding-stderr-while-sudo-waits >&2", "command timeout"),
    ("yes flooding-stdout-while-sudo-waits", "before the shell started"),
])
def test_waiting_for_sudo_is_capped_like_the_output(lab, monkeypatch, command, expected):
    """A host that floods stdout or stderr before sudo's shell is ready: memory stays bounded, the command
    timeout still holds (961 MB in 60 s before)."""
    import threading
    import tracemalloc

    monkeypatch.setattr(ssh_mod, "MAX_OUTPUT", 1 << 20)
    session = SSHSession(connect_timeout=5)
    transport = session.transport(lab.connection("deb-weak", command_timeout=4), "deb-weak")
    monkeypatch.setattr(ssh_mod.SSHTransport, "sudo", property(lambda self: True))
    monkeypatch.setattr(transport, "command", lambda: command)  # stands in for a sudo that never gets ready
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            transport.run_script("id\n", 300)
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
            outcome.append(exc)

    tracemalloc.start()
    try:
        worker = threading.Thread(target=attempt)
        worker.start()
        worker.join(60)
        hung = worker.is_alive()
        if hung:
            session.cancel()
            worker.join()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        session.close()
    assert not hung, "reading a flooding stream ignored the command timeout"
    assert outcome and isinstance(outcome[0], CollectionError) and expected in str(outcome[0]), outcome
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MiB held while waiting for sudo"
