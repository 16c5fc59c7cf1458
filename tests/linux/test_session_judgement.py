"""The umask and idle-timeout checks under other profiles' parameters (issue 17 items 2 and 3)."""

from __future__ import annotations

import pytest

from assess.catalog.rules import RuleError, apply
from tests.linux.harness import CASES, check_on_root

UMASK = CASES / "linux.session.umask"


@pytest.mark.parametrize("actual,minimum,ok", [
    ("022", "022", True), ("027", "022", True), ("077", "022", True), ("177", "022", True),
    ("002", "022", False), ("000", "022", False), ("026", "027", False), ("077", "027", True),
    ("037", "027", True), ("u=rwx", "022", False),
])
def test_covers_bits_is_at_least_as_strict(actual, minimum, ok):
    assert apply("covers_bits", actual, minimum) is ok


def test_covers_bits_refuses_an_unquoted_yaml_number():
    with pytest.raises(RuleError, match="in quotes"):
        apply("covers_bits", "027", 27)


@pytest.mark.parametrize("case,minimum,expected", [
    ("login-defs-no-umask-line.pass", "022", "pass"),   # no UMASK line: login / pam_umask use 022
    ("login-defs-no-umask-line.pass", "027", "fail"),   # … which a profile asking for 027 must reject
    ("login-defs-umask-0177.pass", "027", "pass"),      # 177 is stricter than 027 bit for bit
    ("profile-umask-077.pass", "027", "pass"),
    ("debian12-stock.pass", "027", "fail"),             # Debian's UMASK 022
])
def test_umask_under_a_stricter_profile(case, minimum, expected):
    result = check_on_root("linux.session.umask", UMASK / case, {"umask_min": minimum})
    assert result.status == expected, f"{result.reason} (observed {result.observed})"


@pytest.mark.parametrize("tmout,expected", [(600, "pass"), (None, "error"), (3600, "error")])
def test_tmout_decides_when_sshd_cannot_be_read(tmout, expected):
    """TMOUT within its limit passes although sshd's configuration is unreadable (non-root scans); without
    it the unreadable sshd branch could have passed, so the check cannot be decided: error, never fail."""
    from assess.judge.evaluate import run_check
    from assess.model import FactResult
    from tests.linux.harness import catalog

    cat = catalog()
    params = {name: p.default for name, p in cat.parameters.items()}
    facts = {"shell_session": FactResult("shell_session", "ok", value={"tmout": tmout}),
             "sshd": FactResult("sshd", "error", reason="permission denied reading /etc/ssh/sshd_config")}
    result = run_check(cat.checks["linux.session.idle_timeout"], facts, params)
    assert result.status == expected, result.reason
