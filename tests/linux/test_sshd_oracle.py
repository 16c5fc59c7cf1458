"""OpenSSH as the oracle for the sshd_config fallback parser (lab: root, unshare, openssh-server).

When `sshd -T` cannot run on a target, the sshd fact parses the files itself (Include, Match, first value
wins, defaults by version). Here the real `sshd -T` of the installed OpenSSH reads the same fixture
files, inside a private mount namespace where the fixture's etc/ssh is bind-mounted over /etc/ssh, and
both must agree on every keyword the checks read.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from assess.probes.facts import FileRead
from assess.probes.linux import sshd
from tests.conftest import lab_unavailable

CASES = Path(__file__).resolve().parent / "cases"
CONFIGS = [
    "linux.sshd.permit_root_login/debian12-default-prohibit-password.fail",
    "linux.sshd.permit_root_login/debian12-dropin-first-value-wins.pass",
    "linux.sshd.permit_root_login/include-after-main-value.fail",
    "linux.sshd.permit_root_login/match-block-reenables.fail",
    "linux.sshd.permit_root_login/crlf-lowercase-equals.pass",
    "linux.sshd.strong_algorithms/ubuntu2204-remove-cbc-dropin.pass",
    "linux.sshd.strong_algorithms/debian12-plus-cbc.fail",
    "linux.sshd.strong_algorithms/weak-kex-group1.fail",
    "linux.sshd.strong_algorithms/centos7-explicit-ctr-list.pass",
    "linux.sshd.second_factor/alternative-single-method.fail",
    "linux.access.ssh_source_restricted/allowusers-user-at-host.pass",
]
KEYS = ("permitrootlogin", "passwordauthentication", "pubkeyauthentication", "kbdinteractiveauthentication",
        "permitemptypasswords", "usepam", "maxauthtries", "clientaliveinterval", "clientalivecountmax",
        "hostbasedauthentication", "ignorerhosts", "x11forwarding", "logingracetime", "allowusers",
        "authenticationmethods", "port")
SETS = ("ciphers", "macs", "kexalgorithms")


@pytest.fixture(scope="module")
def real_sshd(tmp_path_factory):
    if os.geteuid() != 0:
        lab_unavailable("needs root for unshare --mount")
    binary = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(binary).exists() or not shutil.which("unshare") or not shutil.which("ssh-keygen"):
        lab_unavailable("openssh-server and util-linux unshare are needed")
    key = tmp_path_factory.mktemp("hostkey") / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    version = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr
    m = re.search(r"OpenSSH_(\d+)\.(\d+)", version)
    if not m:
        lab_unavailable(f"cannot read the OpenSSH version: {version!r}")
    return binary, key, (int(m.group(1)), int(m.group(2)))


def sshd_t(binary: str, key: Path, etc_ssh: Path, extra: str = "") -> str:
    script = (f"mount -t tmpfs tmpfs /run && mkdir /run/sshd && mount --bind '{etc_ssh}' /etc/ssh && "
              f"{binary} -T -h '{key}' {extra}")
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        lab_unavailable(f"sshd -T did not run in a private namespace: {proc.stderr.strip()[-300:]}")
    return proc.stdout


def ours(etc_ssh: Path, version: tuple[int, int]) -> tuple[dict, list]:
    files = {"/etc/ssh/" + str(p.relative_to(etc_ssh)): FileRead("", "ok", p.read_text())
             for p in etc_ssh.rglob("*") if p.is_file()}
    parsed = sshd.ConfigParser(files).parse(sshd.MAIN)
    settings, _filled = sshd.apply_defaults(parsed.settings, version, None)
    return settings, parsed.matches


@pytest.mark.lab
@pytest.mark.parametrize("case", CONFIGS)
def test_fallback_parser_agrees_with_sshd_t(real_sshd, case, tmp_path):
    binary, key, version = real_sshd
    etc_ssh = shutil.copytree(CASES / case / "etc" / "ssh", tmp_path / "ssh")  # symlinks followed
    real = sshd.parse_sshd_t(sshd_t(binary, key, etc_ssh))
    mine, _ = ours(etc_ssh, version)
    for k in KEYS:
        assert mine.get(k) == real.get(k), f"{k}: parsed {mine.get(k)!r}, sshd -T {real.get(k)!r}"
    for k in SETS:
        assert set(mine[k]) == set(real[k]), f"{k}: parsed {sorted(mine[k])}, sshd -T {sorted(real[k])}"


@pytest.mark.lab
def test_match_block_agrees_with_sshd_t_for_a_matching_connection(real_sshd, tmp_path):
    binary, key, version = real_sshd
    etc_ssh = shutil.copytree(CASES / "linux.sshd.permit_root_login/match-block-reenables.fail/etc/ssh",
                              tmp_path / "ssh")
    real = sshd.parse_sshd_t(sshd_t(binary, key, etc_ssh, "-C user=root,host=h,addr=10.10.3.4"))
    _, matches = ours(etc_ssh, version)
    assert matches[0]["criteria"] == "Address 10.10.0.0/16"
    assert real["permitrootlogin"] == matches[0]["settings"]["permitrootlogin"] == "yes"
