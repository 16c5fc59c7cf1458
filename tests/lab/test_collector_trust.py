"""What an unprivileged user of a scanned host can do to the evidence: name processes like host controls or
like collector markers, and read every process's command line while the collector runs."""

from __future__ import annotations

import pytest

from assess.probes.transport.ssh import SSHSession
from tests.lab.test_ssh_transport import run
from tests.linux.test_collector_markers import run_watched

pytestmark = pytest.mark.lab

#: Run as the lab user `guest` (uid 1002): children named like host controls and like a collector marker,
#: the last holding a UDP socket, plus a TCP listener; each closes the session's descriptors once it is set up.
HOSTILE = r"""
import ctypes, os, signal, socket
libc = ctypes.CDLL(None)
pids = []
for name, sock in (("clamd", None), ("wazuh-agentd", None), ("rsyslogd", None), ("bacula-fd", None),
                   ("keepalived", None), ("x\n@@RC 0\n", socket.SOCK_DGRAM), ("webapp", socket.SOCK_STREAM)):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        libc.prctl(15, name.encode(), 0, 0, 0)
        if sock:
            s = socket.socket(socket.AF_INET, sock)
            s.bind(("0.0.0.0", 40123))
            if sock == socket.SOCK_STREAM:
                s.listen(1)
        os.write(w, b"1")
        os.closerange(0, 3)
        while True:
            signal.pause()
    os.close(w)
    assert os.read(r, 1) == b"1"
    pids.append(str(pid))
print(" ".join(pids))
"""


@pytest.fixture
def hostile(lab):
    session = SSHSession(connect_timeout=5)
    try:
        out = session.transport(lab.connection("deb-sudo", user="guest"), "deb-sudo").run_script(
            f"exec python3 -c '{HOSTILE}'\n", 60)
        assert out.rc == 0, out.stderr
        pids = out.stdout.split()
        yield pids
        session.transport(lab.connection("deb-sudo"), "deb-sudo").run_script(f"kill {' '.join(pids)}\n", 30)
    finally:
        session.close()


def test_a_users_processes_are_no_host_control_and_forge_no_marker(lab, hostile):
    ev = run(lab, "deb-sudo", names=("collector", "processes", "listening"))
    assert ev.error is None, ev.error
    listening = ev.facts["listening"]
    assert listening.status == "ok", listening.reason
    found = {(r["proto"], r["port"]) for r in listening.value["listeners"]}
    assert {("udp", 40123), ("tcp", 40123), ("tcp", 22)} <= found
    assert 40123 in listening.value["public_tcp_ports"]
    procs = ev.facts["processes"].value
    assert {"clamd", "wazuh-agentd", "rsyslogd", "bacula-fd", "keepalived"} <= set(procs["user_names"])
    assert not {"clamd", "bacula-fd", "keepalived"} & set(procs["names"])  # the host runs none of them as root
    assert {"sshd", "rsyslogd", "wazuh-agentd"} <= set(procs["names"])  # these it does (tests/lab/hosts)


def test_the_section_token_is_on_no_command_line_over_ssh_and_sudo(lab, monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_SUDO_PW", lab.sudo_password)
    session = SSHSession(connect_timeout=5)
    try:
        for name, conn in (("root", lab.connection("deb-sudo")),
                           ("sudo", lab.connection("deb-sudo", user="auditor", become="sudo",
                                                   become_password_env="LAB_SUDO_PW"))):
            (tmp_path / name).mkdir()
            _token, leaks, collected = run_watched(session.transport(conn, "deb-sudo"), tmp_path / name)
            assert leaks == [], name
            assert collected.sections["waits"].command("true").rc == 0, name
    finally:
        session.close()
