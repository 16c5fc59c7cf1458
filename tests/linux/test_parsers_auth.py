"""Parsers of the identification / authentication / access-control facts on tricky inputs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from assess.judge.evaluate import run_check
from assess.model import FactResult
from assess.probes import script
from assess.probes.database import common as db_common
from assess.probes.facts import FactUnavailable, Section
from assess.probes.linux import firewall, pamstack, sshd, sudoers
from assess.probes.linux.access import _STAT, file_modes, tcp_wrappers
from assess.probes.linux.accounts import shadow
from assess.probes.linux.pam import _effective, _passwdqc, pam
from assess.probes.linux.session import _umask, shell_session
from assess.probes.registry import facts_for
from tests.linux.harness import catalog, collect_root

HERE = Path(__file__).resolve().parent


def section(name: str, text: str) -> Section:
    return Section(name, text, 0)


# --- PAM files and the libpam trace -----------------------------------------------------------------

def test_pam_line_tokens_brackets_continuation_comments_and_dash():
    text = ("# comment\r\n"
            "auth [success=2 default=ignore]  pam_unix.so nullok # trailing\r\n"
            "-auth  optional  pam_sss.so \\\n   forward_pass\n"
            "account required pam_access.so [accessfile=/etc/a b\\]c]\n"
            "@include common-session\n"
            "password substack system-auth\n"
            "bogus line\n")
    d = pamstack.parse_file(text)
    assert [x.kind for x in d] == ["module", "module", "module", "at-include", "substack"]
    assert d[0].control == "[success=2 default=ignore]" and d[0].args == ["nullok"]
    assert d[1].dash and d[1].args == ["forward_pass"] and d[1].lineno == 3
    assert d[2].args == ["accessfile=/etc/a b]c"]


def test_control_keywords_and_brackets():
    assert pamstack.parse_control("sufficient") == {"success": "done", "new_authtok_reqd": "done",
                                                      "default": "ignore"}
    assert pamstack.parse_control("[success=1 DEFAULT=Ignore]") == {"success": "1", "default": "ignore"}
    assert pamstack.parse_control("[success]") is None


def _trace(files: dict[str, str], service: str, result) -> pamstack.Trace:
    config = pamstack.PamConfig(files)
    return pamstack.trace(config.stack(service, "auth"), result)


def test_done_does_not_end_the_stack_after_a_failure():
    files = {"s": "auth required pam_deny.so\nauth sufficient pam_unix.so\nauth required pam_env.so\n"}
    t = _trace(files, "s", lambda ln: "auth_err" if ln.module == "pam_deny" else "success")
    assert [ln.module for ln in t.ran] == ["pam_deny", "pam_unix", "pam_env"]
    assert not t.success


def test_substack_confines_die_and_jumps():
    files = {"s": "auth substack inner\nauth required pam_env.so\n",
             "inner": "auth [success=5 default=ignore] pam_unix.so\nauth requisite pam_deny.so\n"}
    ok = _trace(files, "s", lambda ln: "success")
    assert [ln.module for ln in ok.ran] == ["pam_unix", "pam_env"]
    bad = _trace(files, "s", lambda ln: "auth_err")
    assert [ln.module for ln in bad.ran] == ["pam_unix", "pam_deny", "pam_env"] and not bad.success


def test_include_loops_and_missing_files_are_reported_not_fatal():
    config = pamstack.PamConfig({"a": "auth include a\n@include missing\n"})
    assert config.stack("a", "auth") == []
    assert any("depth" in p for p in config.problems) and any("missing" in p for p in config.problems)


def test_unknown_service_falls_back_to_other():
    config = pamstack.PamConfig({"other": "auth required pam_deny.so\n"})
    assert [ln.module for ln in pamstack.flatten(config.stack("sshd", "auth"))] == ["pam_deny"]


def test_dash_line_skipped_only_when_module_missing():
    files = {"s": "-auth requisite pam_deny.so\nauth required pam_permit.so\n"}
    config = pamstack.PamConfig(files, installed={"pam_permit"})
    t = pamstack.trace(config.stack("s", "auth"), lambda ln: "auth_err" if ln.module == "pam_deny" else "success",
                       config.installed)
    assert t.success and [ln.module for ln in t.ran] == ["pam_permit"]


def test_succeed_if_conditions():
    line = pamstack.PamLine("f", 1, "auth", "requisite", "pam_succeed_if", ["uid", ">=", "1000", "quiet_success"])
    assert pamstack.succeed_if(line, pamstack.REGULAR) is True
    assert pamstack.succeed_if(line, pamstack.ROOT) is False
    odd = pamstack.PamLine("f", 1, "auth", "requisite", "pam_succeed_if", ["user", "ingroup", "wheel"])
    assert pamstack.succeed_if(odd, pamstack.REGULAR) is None


# --- password quality semantics ---------------------------------------------------------------------

def _quality(**kw):
    settings = {"minlen": 8, "dcredit": 0, "ucredit": 0, "lcredit": 0, "ocredit": 0, "minclass": 0}
    settings.update(kw)
    flags = {"enforce_for_root": False, "enforcing": True, "local_users_only": False}
    return _effective(settings, {}, flags)


@pytest.mark.parametrize("kw,length,classes", [
    ({}, 8, 0),
    ({"dcredit": 1, "ucredit": 1, "lcredit": 1, "ocredit": 1}, 4, 0),  # positive credits shorten
    ({"minlen": 9, "dcredit": 1, "ucredit": 1, "lcredit": 1, "ocredit": 1}, 5, 0),  # CentOS 7 defaults
    ({"dcredit": -1, "ucredit": -1, "lcredit": -1, "ocredit": -1}, 8, 4),
    ({"minlen": 6, "dcredit": -3, "ucredit": -3, "lcredit": -2}, 8, 3),  # required characters exceed minlen
    ({"minclass": 3, "dcredit": -1}, 8, 3),
    ({"minclass": 9}, 8, 4),
])
def test_pwquality_effective_limits(kw, length, classes):
    q = _quality(**kw)
    assert (q["min_length"], q["min_classes"]) == (length, classes)


def test_passwdqc_min_spec():
    line = pamstack.PamLine("f", 1, "password", "requisite", "pam_passwdqc", ["min=disabled,disabled,16,12,8"])
    q = _passwdqc(line)
    assert q["min_length"] == 8 and q["min_classes"] == 1  # a 16-character passphrase of one class passes
    strict = pamstack.PamLine("f", 1, "password", "requisite", "pam_passwdqc",
                              ["min=disabled,disabled,disabled,10,8", "enforce=users"])
    q = _passwdqc(strict)
    assert (q["min_length"], q["min_classes"], q["enforce_for_root"]) == (8, 3, False)


def _pam_section(files: dict[str, str], extra: str = "") -> Section:
    body = "".join(f"@@F /etc/pam.d/{name}\n{text}\n" for name, text in files.items())
    return section("pam", extra + body)


def test_pam_denied_file_is_unavailable_not_pass():
    with pytest.raises(FactUnavailable, match="permission denied"):
        pam(section("pam", "@@F /etc/pam.d/sshd\nauth required pam_unix.so\n@@D /etc/pam.d/login\n"))
    with pytest.raises(FactUnavailable):
        pam(section("pam", "@@M /etc/pam.d/sshd\n"))


def test_pwquality_config_order_and_version_rules():
    files = {"passwd": "password requisite pam_pwquality.so retry=3\npassword required pam_unix.so\n"}
    conf = "@@F /etc/security/pwquality.conf.d/10-a.conf\nminlen = 14\n@@F /etc/security/pwquality.conf\nminlen = 10\n"
    new = pam(_pam_section(files, "@@C rpm -q --qf %{VERSION} libpwquality\n1.4.4\n@@RC 0\n" + conf))
    assert new["password_quality"]["minlen"] == 10  # the main file is read after the drop-ins
    old = pam(_pam_section(files, "@@C rpm -q --qf %{VERSION} libpwquality\n1.2.3\n@@RC 0\n" + conf))
    assert old["password_quality"]["minlen"] == 10 and old["password_quality"]["sources"]["minlen"].endswith(".conf")
    stop = "@@F /etc/security/pwquality.conf\nminlen = 12\nenforce_for_root\nminclass = 4\n"
    q = pam(_pam_section(files, "@@C rpm -q --qf %{VERSION} libpwquality\n1.2.3\n@@RC 0\n" + stop))["password_quality"]
    assert q["minlen"] == 12 and q["minclass"] == 0 and not q["enforce_for_root"] and "config_read_stopped" in q


# --- faillock / tally2 ------------------------------------------------------------------------------

def test_faillock_conf_then_arguments_and_defaults():
    files = {"sshd": ("auth required pam_faillock.so preauth deny=4\n"
                      "auth sufficient pam_unix.so\n"
                      "auth [default=die] pam_faillock.so authfail deny=4\n"
                      "auth required pam_deny.so\n")}
    extra = "@@F /etc/security/faillock.conf\ndeny = 9\nunlock_time=0\n"
    lock = pam(_pam_section(files, extra))["lockout"][0]
    assert (lock["deny"], lock["unlock_never"], lock["records_failures"], lock["enforced"]) == (4, True, True, True)
    default = pam(_pam_section(files))["lockout"][0]
    assert (default["unlock_time"], default["even_deny_root"]) == (600, False)


def test_faillock_without_action_is_preauth_only():
    files = {"sshd": "auth required pam_faillock.so deny=3\nauth sufficient pam_unix.so\nauth required pam_deny.so\n"}
    lock = pam(_pam_section(files))["lockout"][0]
    assert lock["records_failures"] is False


def test_sshd_stack_judged_login_kept_as_evidence():
    files = {"sshd": "auth required pam_tally2.so deny=5\nauth sufficient pam_unix.so\nauth required pam_deny.so\n",
             "login": "auth sufficient pam_unix.so\nauth required pam_deny.so\n"}
    value = pam(_pam_section(files))
    assert [x["service"] for x in value["lockout"]] == ["sshd"]
    assert value["lockout_other"][0]["module"] is None


# --- sshd ---------------------------------------------------------------------------------------------

def _files(**paths: str) -> dict:
    from assess.probes.facts import FileRead
    return {p.replace("__", "/").replace("_DOT_", "."): FileRead(p, "ok", t) for p, t in paths.items()}


def test_sshd_include_order_match_and_first_value():
    from assess.probes.facts import FileRead
    files = {
        "/etc/ssh/sshd_config": FileRead("", "ok", "Include sshd_config.d/*.conf\n"
                                                   "PermitRootLogin yes\nMaxAuthTries=3\n"
                                                   "AllowUsers a@10.0.0.1\nallowusers \"b@10.0.0.2\"\n"
                                                   "Match Address 10.1.0.0/16\n  PermitRootLogin yes\n"
                                                   "  Include extra.conf\n"),
        "/etc/ssh/sshd_config.d/20-b.conf": FileRead("", "ok", "PermitRootLogin prohibit-password\n"),
        "/etc/ssh/sshd_config.d/10-a.conf": FileRead("", "ok", "PermitRootLogin no\nMatch User x\nX11Forwarding yes\n"),
        "/etc/ssh/extra.conf": FileRead("", "ok", "PasswordAuthentication no\n"),
    }
    parsed = sshd.ConfigParser(files).parse("/etc/ssh/sshd_config")
    assert parsed.settings["permitrootlogin"] == "no"  # 10-a.conf sorts first, first value wins
    assert parsed.settings["maxauthtries"] == 3
    assert parsed.settings["allowusers"] == ["a@10.0.0.1", "b@10.0.0.2"]
    assert [m["criteria"] for m in parsed.matches] == ["User x", "Address 10.1.0.0/16"]
    assert parsed.matches[1]["settings"] == {"permitrootlogin": "yes", "passwordauthentication": "no"}
    assert "x11forwarding" not in parsed.settings  # the Match in 10-a.conf ends with that file


@pytest.mark.parametrize("spec,expected", [
    ("+aes128-cbc", ["a", "b", "aes128-cbc"]),
    ("-b", ["a"]),
    ("-*", []),
    ("^c,a", ["c", "a", "b"]),
    ("c,d", ["c", "d"]),
])
def test_algorithm_list_edits(spec, expected):
    assert sshd.edit_algorithms(["a", "b"], spec) == expected


def test_sshd_t_output_and_derived_values():
    text = ("debug1: a warning line\nport 22\nport 2222\npermitrootlogin without-password\n"
            "authenticationmethods publickey,password publickey,keyboard-interactive:pam\n"
            "clientaliveinterval 300\nclientalivecountmax 0\nciphers aes128-ctr,aes256-ctr\n")
    s = sshd.parse_sshd_t(text)
    assert s["port"] == [22, 2222] and s["permitrootlogin"] == "prohibit-password"
    assert s["ciphers"] == ["aes128-ctr", "aes256-ctr"]
    d = sshd.derived(s, (9, 2), False)
    assert d["mfa_methods_required"] is True and d["dead_peer_timeout"] is None
    assert sshd.derived(s, (7, 4), False)["dead_peer_timeout"] == 300
    one = sshd.derived({"authenticationmethods": ["publickey,password", "password"]}, (9, 2), False)
    assert one["mfa_methods_required"] is False


def test_rhel8_crypto_policy_unless_opted_out():
    from assess.probes.facts import FileRead
    policy = FileRead("", "ok", "CRYPTO_POLICY='-oCiphers=aes256-cbc,aes256-ctr -oMACs=hmac-sha1'\n")
    assert sshd.crypto_policy_options({sshd.CRYPTO_POLICY: policy}) == {"ciphers": ["aes256-cbc", "aes256-ctr"],
                                                                        "macs": ["hmac-sha1"]}
    opted = {sshd.CRYPTO_POLICY: policy, sshd.SYSCONFIG: FileRead("", "ok", "CRYPTO_POLICY=\n")}
    assert sshd.crypto_policy_options(opted) == {}


def test_sshd_denied_config_without_sshd_t_is_unavailable():
    text = "binary yes\n@@X ssh\n@@X sshd\n@@X pgrep\n@@D /etc/ssh/sshd_config\n"
    with pytest.raises(FactUnavailable, match="permission denied"):
        sshd.sshd(section("sshd", text))


def test_sshd_denied_dropin_without_sshd_t_is_unavailable_not_silently_skipped():
    # Ubuntu cloud images ship sshd_config.d/50-cloud-init.conf as 0600: as non-root its settings were
    # skipped and the main file's values (or the defaults) judged instead
    text = ("binary yes\n@@X ssh\n@@X sshd\n@@X pgrep\n@@F /etc/ssh/sshd_config\n"
            "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n"
            "@@D /etc/ssh/sshd_config.d/50-cloud-init.conf\n")
    with pytest.raises(FactUnavailable, match="50-cloud-init.conf"):
        sshd.sshd(section("sshd", text))
    readable = text.replace("@@D /etc/ssh/sshd_config.d/50-cloud-init.conf\n",
                            "@@F /etc/ssh/sshd_config.d/50-cloud-init.conf\nPermitRootLogin yes\n")
    assert sshd.sshd(section("sshd", readable))["permitrootlogin"] == "yes"


# --- session ------------------------------------------------------------------------------------------

def test_tmout_readonly_freezes_and_attributes_on_other_lines():
    text = ("@@F /etc/profile\nif [ -d /etc/profile.d ]; then\n  for i in /etc/profile.d/*.sh; do . $i; done\nfi\n"
            "TMOUT=1800\n"
            "@@F /etc/profile.d/a.sh\nTMOUT=600 ; readonly TMOUT; export TMOUT\n")
    v = shell_session(section("shell_session", text))
    assert (v["tmout"], v["tmout_readonly"], v["tmout_exported"]) == (600, True, True)
    assert v["tmout_source"] == "/etc/profile.d/a.sh:1"


def test_tmout_last_assignment_wins_without_readonly():
    text = "@@F /etc/profile.d/a.sh\nexport TMOUT=600\n@@F /etc/bashrc\n[ -z \"$X\" ] && TMOUT=0\n"
    assert shell_session(section("shell_session", text))["tmout"] == 0


@pytest.mark.parametrize("mask,symbolic,expected", [
    ("027", False, "027"), ("0027", False, "027"), ("22", False, "022"),
    ("u=rwx,g=rx,o=", True, "027"), ("a=rx,u=rwx", True, "022"), ("u+w", True, None),
])
def test_umask_normalisation(mask, symbolic, expected):
    assert _umask(mask, symbolic) == expected


# --- sudoers ------------------------------------------------------------------------------------------

def test_sudoers_includedir_skips_dotted_and_backup_names():
    files = {"/etc/sudoers": "#includedir /etc/sudoers.d\n",
             "/etc/sudoers.d/ok": "a ALL=(ALL) NOPASSWD: ALL\n",
             "/etc/sudoers.d/x.rpmsave": "b ALL=(ALL) NOPASSWD: ALL\n",
             "/etc/sudoers.d/y~": "c ALL=(ALL) NOPASSWD: ALL\n"}
    s = sudoers.summary(sudoers.parse(files))
    assert s["nopasswd_full_root"] == ["a"]


def test_sudoers_tags_runas_aliases_and_comments():
    files = {"/etc/sudoers": (
        "Runas_Alias OP = root, operator\n"
        "Cmnd_Alias SHELLS = /bin/sh, /usr/bin/bash\n"
        "#1000 ALL=(ALL) NOPASSWD: ALL\n"           # `#` and a number is a uid, not a comment
        "# u9 ALL=(ALL) NOPASSWD: ALL\n"
        "u1 ALL=(OP) NOPASSWD: SHELLS\n"
        "u2 ALL=(www-data) NOPASSWD: ALL\n"
        "u3 ALL=(ALL:ALL) NOPASSWD: /usr/bin/ls, PASSWD: ALL\n"
        "%adm,u4 host1,host2 = (root) ALL : host3 = NOPASSWD: ALL\n"
        "Defaults:u5 !authenticate\nu5 ALL=ALL\n")}
    s = sudoers.summary(sudoers.parse(files))
    assert s["nopasswd_full_root"] == ["#1000", "%adm", "u1", "u4", "u5"]
    assert "u3" in s["full_root"] and "u2" not in s["full_root"]


# --- firewall -----------------------------------------------------------------------------------------

def test_nft_negated_source_drop_blocks_and_interface_zone_restricts():
    rules = """table inet f {
	chain input {
		type filter hook input priority 0; policy accept;
		iifname "eth1" tcp dport 22 accept
		tcp dport 22 drop
	}
}
table ip g {
	chain input {
		type filter hook input priority 10; policy accept;
		ip saddr != 10.0.0.0/8 tcp dport 22 drop
	}
}
"""
    chains, base = firewall.parse_nft(rules, 22)
    assert base == ["f/input", "g/input"]
    outcome, allowed = firewall.judge(chains, base)
    assert outcome == "restricted" and allowed == ['iifname "eth1" tcp dport 22 accept']


def test_iptables_unknown_match_on_accept_counts_as_open():
    rules = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -m string --string x --algo bm -j ACCEPT\nCOMMIT\n"
    assert firewall.judge(firewall.parse_iptables(rules, 22), ["INPUT"])[0] == "open"


def test_iptables_jump_to_chain_and_other_port():
    rules = ("*filter\n:INPUT DROP [0:0]\n:SSH - [0:0]\n-A INPUT -p tcp --dport 2222 -j SSH\n"
             "-A SSH -s 192.0.2.0/24 -j ACCEPT\n-A SSH -j RETURN\nCOMMIT\n")
    assert firewall.judge(firewall.parse_iptables(rules, 2222), ["INPUT"])[0] == "restricted"
    assert firewall.judge(firewall.parse_iptables(rules.replace("-s 192.0.2.0/24 ", ""), 2222), ["INPUT"])[0] == "open"


@pytest.mark.parametrize("allow,deny,expected", [
    ("sshd: 10.0.0.0/8\n", "ALL: ALL\n", "restricted"),
    ("sshd: ALL\n", "ALL: ALL\n", "open"),
    ("", "sshd: ALL EXCEPT 10.0.0.0/8\n", "restricted"),
    ("", "ALL EXCEPT sshd: ALL\n", "open"),
    ("sshd: ALL : deny\n", "", "restricted"),
    ("sshd: KNOWN\n", "ALL: ALL\n", "open"),
    ("sshd: [2001:db8::]/32 \\\n   10.0.0.0/8\n", "sshd: ALL\n", "restricted"),
])
def test_tcp_wrappers(allow, deny, expected):
    from assess.probes.facts import FileRead
    assert tcp_wrappers(FileRead("a", "ok", allow), FileRead("d", "ok", deny)) == expected


# --- accounts: secrets stay on the host; unreadable files are errors, never passes ----------------------

def test_shadow_section_never_contains_hashes(tmp_path):
    secret = "$6$s0m3salt$" + "Q" * 86
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\nbob:$1$old$hash:1001:1001::/h:/bin/sh\n")
    (tmp_path / "etc/shadow").write_text(f"root:{secret}:19000:0:90:7:::\n")
    reg = facts_for("linux")
    text, token = script.build([reg["shadow"], reg["accounts"]], root=str(tmp_path))
    out = subprocess.run(["/bin/sh", "-s"], input=text.encode(), capture_output=True, check=True).stdout.decode()
    assert secret not in out and "$1$old$hash" not in out and "Q" * 20 not in out
    sections = script.split(out, token, ["shadow", "accounts"]).sections
    value = shadow(sections["shadow"])
    assert value["password_users"][0]["name"] == "root" and value["accounts"][1]["state"] == "hash"


def test_unsearchable_home_is_unavailable_not_no_rhosts():
    from assess.probes.linux.accounts import home_search
    with pytest.raises(FactUnavailable, match="/root"):
        home_search(section("home_search", "unsearchable /root\n"))
    assert home_search(section("home_search", "")) == {"complete": True}


def test_shadow_denied_is_unavailable():
    with pytest.raises(FactUnavailable, match="permission denied"):
        shadow(section("shadow", "today 20000\n@@D /etc/shadow\n@@F /etc/passwd\nroot:shadow:0:/bin/bash\n"))


def test_file_modes_without_stat_is_unavailable():
    with pytest.raises(FactUnavailable):
        file_modes(section("file_modes", "@@X stat\n"))


def test_file_modes_reads_modes_stat_prints_without_leading_zeros(tmp_path):
    """GNU stat prints 0000 as `0` and 0044 as `44`; both are modes, not lines to skip (issue 17.1)."""
    files = []
    for name, mode in (("zero", 0o000), ("g-r-o-r", 0o044), ("suid", 0o4755), ("w-other", 0o002)):
        f = tmp_path / name
        f.write_text("x")
        f.chmod(mode)
        files.append(str(f))
    out = subprocess.run(["stat", "-c", "%a %U %G %n", *files], capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "0" and out.splitlines()[1].split()[0] == "44"
    modes = {Path(m["path"]).name: m for m in db_common.file_modes(out)}
    assert {k: v["mode"] for k, v in modes.items()} == {"zero": "0000", "g-r-o-r": "0044", "suid": "4755",
                                                        "w-other": "0002"}
    assert modes["g-r-o-r"]["other_access"] and modes["w-other"]["group_or_other_write"]
    assert not modes["zero"]["other_access"] and not modes["zero"]["group_or_other_write"]
    lines = "\n".join(f"{mode}:root:root:{p}" for mode, p in (
        ("644", "/etc/passwd"), ("0", "/etc/shadow"), ("644", "/etc/group"), ("44", "/etc/gshadow"),
        ("440", "/etc/sudoers"), ("600", "/etc/ssh/sshd_config")))
    fact = file_modes(section("file_modes", f"@@C {_STAT}\n{lines}\n@@RC 0\n"))
    assert fact["files"]["/etc/shadow"]["mode"] == "0000" and fact["missing"] == []
    assert fact["account_files"]["secret_readable"] == ["/etc/gshadow 0044 root"]


def test_file_modes_stat_error_other_than_missing_is_unavailable():
    text = f"@@C {_STAT}\n644:root:root:/etc/passwd\nstat: cannot statx '/etc/shadow': Permission denied\n@@RC 1\n"
    with pytest.raises(FactUnavailable, match="/etc/shadow: stat: cannot statx"):
        file_modes(section("file_modes", text))


@pytest.mark.parametrize("check_id,fact", [
    ("linux.accounts.no_empty_password", "shadow"),
    ("linux.pam.lockout", "pam"),
    ("linux.access.sudo_requires_password", "sudoers"),
    ("linux.sshd.permit_root_login", "sshd"),
])
def test_unavailable_fact_makes_check_error_never_pass(check_id, fact):
    check = catalog().checks[check_id]
    params = {n: p.default for n, p in catalog().parameters.items()}
    facts = {n: FactResult(n, "ok", value={}) for n in check.facts}
    facts[fact] = FactResult(fact, "error", reason="permission denied reading /etc/x (run as root or with sudo)")
    result = run_check(check, facts, params)
    assert result.status == "error" and "permission denied" in result.reason


def test_fixture_roots_parse_without_parser_errors():
    names = ["accounts", "shadow", "pam", "sshd", "shell_session", "sudoers", "mac_policy", "ssh_access"]
    for root in sorted((HERE / "roots").iterdir()):
        for name, result in collect_root(root, names).items():
            assert "parser failed" not in result.reason, f"{root.name}/{name}: {result.reason}"


@pytest.mark.parametrize("command,why", [
    ("ALL", "ALL"), ("/bin/bash", "shell"), ("/usr/bin/*", "wildcard program"),
    ("/usr/bin/vim /etc/hosts", "shell escape"), ("/usr/bin/less /var/log/syslog", "shell escape"),
    ("/usr/bin/systemctl", "open arguments"), ("/usr/bin/find *", "open arguments"),
    ("/usr/bin/python3.11", "open arguments"), ("/usr/bin/env", "open arguments"), ("sudoedit", "open arguments"),
    ("/usr/bin/systemctl restart app", None), ("sudoedit /etc/app.conf", None),
    ("/usr/bin/rsync --server *", None), ("/usr/bin/python3 /opt/job.py", None), ("/usr/bin/journalctl", None),
    ("/usr/sbin/pg_ctl", None),
])
def test_sudo_root_escapes(command, why):
    """Known root escapes count as full root (issue 17.4b); fixed commands are left to the interview."""
    assert sudoers.root_power(command) == why
