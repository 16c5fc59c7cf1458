"""Real libpam as the oracle for the PAM stack trace (lab: root, unshare, pamtester).

The pam fact decides from the files alone whether a wrong password is counted (`records_failures`) and
whether a lock then refuses the right password (`enforced`). Here the host's libpam runs the same
fixture stacks through pamtester, inside a private mount namespace where the fixture's /etc/pam.d, a
test account and faillock.conf are bind-mounted over the host's, and the two must agree. Only the
2-second failure delays are switched off (`nodelay`, `delay=0`) to keep the test fast.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import lab_unavailable
from tests.linux.harness import collect_root

CASES = Path(__file__).resolve().parent / "cases"
STACKS = [
    "linux.pam.lockout/debian12-stock.fail",
    "linux.pam.lockout/debian12-faillock.pass",
    "linux.pam.lockout/debian12-authfail-after-pam-deny.fail",
    "linux.pam.lockout/debian12-preauth-only-counts-nothing.fail",
    "linux.pam.lockout/optional-preauth-not-enforced.fail",
    "linux.pam.lockout/debian12-deny-10.fail",
    "linux.pam.lockout/rhel8-authselect-stock.fail",
    "linux.pam.lockout/rhel8-authselect-with-faillock.pass",
    "linux.pam.lockout/rhel8-faillock-deny-0-disabled.fail",
    "linux.pam.lockout/kylin10-faillock-in-system-auth.pass",
]
SCRIPT = r"""
set -e
mount -t tmpfs tmpfs /run
mount --bind "$1/pam.d" /etc/pam.d
mount --bind "$1/passwd" /etc/passwd
mount --bind "$1/shadow" /etc/shadow
mount --bind "$1/faillock.conf" /etc/security/faillock.conf
try() { echo "$1" | pamtester sshd labuser authenticate >/dev/null 2>&1 && echo ok || echo refused; }
echo "first $(try s3cret)"
faillock --user labuser --reset
try wrong >/dev/null
echo "counted $(faillock --user labuser | grep -c ' V$' || true)"
i=0; while [ $i -lt "$2" ]; do try wrong >/dev/null; i=$((i+1)); done
echo "right-password $(try s3cret)"
"""


@pytest.fixture(scope="module")
def pam_lab():
    if os.geteuid() != 0:
        lab_unavailable("needs root for unshare --mount")
    for tool in ("pamtester", "faillock", "unshare", "openssl"):
        if not shutil.which(tool):
            lab_unavailable(f"{tool} is not installed (tests/apt-packages.txt: pamtester)")
    hashed = subprocess.run(["openssl", "passwd", "-6", "s3cret"], capture_output=True, text=True, check=True)
    return hashed.stdout.strip()


def _quiet(text: str) -> str:
    """Switch off failure delays only: `nodelay` on pam_unix / pam_faillock, pam_faildelay delay=0."""
    out = []
    for line in text.splitlines():
        code, hash_, comment = line.partition("#")
        code = re.sub(r"(pam_(?:unix|faillock)\.so)", r"\1 nodelay", code)
        code = re.sub(r"delay=\d+", "delay=0", code)
        out.append(code + hash_ + comment)
    return "\n".join(out) + "\n"


@pytest.mark.lab
@pytest.mark.parametrize("case", STACKS)
def test_trace_agrees_with_libpam(pam_lab, case, tmp_path):
    root = CASES / case
    fact = collect_root(root, ["pam"])["pam"]
    assert fact.status == "ok", fact.reason
    lock = fact.value["lockout"][0]
    assert lock["service"] == "sshd"
    shutil.copytree(root / "etc" / "pam.d", tmp_path / "pam.d")  # symlinks followed
    for f in (tmp_path / "pam.d").iterdir():
        f.write_text(_quiet(f.read_text()))
    conf = root / "etc" / "security" / "faillock.conf"
    (tmp_path / "faillock.conf").write_text(conf.read_text() if conf.exists() else "")
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\nlabuser:x:4242:4242::/tmp:/bin/sh\n")
    (tmp_path / "shadow").write_text(f"root:*:19000:0:99999:7:::\nlabuser:{pam_lab}:19000:0:99999:7:::\n")
    attempts = (lock["deny"] or 3) + 2
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", SCRIPT, "_",
                           str(tmp_path), str(attempts)], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        lab_unavailable(f"pamtester could not run in a private namespace: {proc.stderr.strip()[-300:]}")
    assert "first ok" in proc.stdout, f"the fixture stack refuses a right password: {proc.stdout}"
    counted = int(re.search(r"counted (\d+)", proc.stdout).group(1))
    refused = "right-password refused" in proc.stdout
    assert lock["records_failures"] == (counted > 0), proc.stdout
    mechanism = lock["records_failures"] and lock["enforced"] and (lock["deny"] or 0) >= 1
    assert mechanism == refused, proc.stdout
