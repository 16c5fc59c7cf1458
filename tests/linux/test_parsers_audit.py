"""Parsers behind the audit, logging, service, software, protection and backup facts, on tricky inputs."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from assess.probes.facts import FactUnavailable
from assess.probes.linux import audit, debversion, logrotate, netparse, rsyslog, syslogng
from assess.probes.linux.logs import span_days
from assess.probes.linux.protection import cvd_header
from assess.probes.linux.resilience import classify
from assess.probes.redact import REDACT, SHELL
from tests.linux.harness import CASES, collect_root

# --- sockets ---------------------------------------------------------------------------------------------

SS = """Netid State  Recv-Q Send-Q      Local Address:Port  Peer Address:PortProcess
udp   UNCONN 0      0           127.0.0.53%lo:53         0.0.0.0:*    users:(("systemd-resolve",pid=620,fd=13))
udp   UNCONN 0      0          [fe80::1%eth0]:123           [::]:*    users:(("chronyd",pid=700,fd=7))
udp   UNCONN 0      0                       *:5353             *:*
tcp   LISTEN 0      128               0.0.0.0:22         0.0.0.0:*    users:(("sshd",pid=1,fd=3),("sshd",pid=9,fd=3))
tcp   LISTEN 0      128                  [::]:22            [::]:*    users:(("sshd",pid=1,fd=4))
tcp   LISTEN 0      100   [::ffff:127.0.0.1]:8005               *:*    users:(("java",pid=4,fd=50))
tcp   LISTEN 0      4096            [::1]:631               [::]:*
tcp   LISTEN 0      128                 :::2049               :::*
"""


def test_ss_addresses_and_processes():
    rows = netparse.parse_ss(SS)
    by_port = {(r["proto"], r["port"]): r for r in rows if r["port"] != 22}
    assert by_port[("udp", 53)]["public"] is False  # bound to lo
    assert by_port[("udp", 123)]["public"] is True  # link-local is still the network
    assert by_port[("udp", 5353)]["public"] is True
    assert by_port[("tcp", 8005)]["public"] is False  # v4-mapped loopback
    assert by_port[("tcp", 631)]["public"] is False
    assert by_port[("tcp", 2049)]["public"] is True  # old ss prints :::PORT
    sshd = [r for r in rows if r["port"] == 22]
    assert {r["address"] for r in sshd} == {"0.0.0.0", "::"} and sshd[0]["process"] == "sshd"


def test_netstat_only_listening_tcp_and_all_udp():
    text = """Active Internet connections (only servers)
Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name
tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      1102/sshd: /usr/sbin
tcp        0      0 10.0.0.5:22             10.0.0.9:50122          ESTABLISHED 2001/sshd: root
tcp6       0      0 :::23                   :::*                    LISTEN      -
udp        0      0 0.0.0.0:69              0.0.0.0:*                           777/in.tftpd
"""
    rows = netparse.parse_netstat(text)
    assert [(r["proto"], r["port"], r["process"]) for r in rows] == [("tcp", 22, "sshd"), ("tcp", 23, ""),
                                                                    ("udp", 69, "in.tftpd")]


def test_inetd_xinetd_exports_samba():
    assert netparse.inetd_services("#<off># telnet stream tcp nowait root /usr/sbin/tcpd\n"
                                   "127.0.0.1:ftp stream tcp nowait root ftpd\nrstatd/1-3 dgram rpc/udp wait\n") == \
        ["ftp", "rstatd"]
    files = {"/etc/xinetd.conf": "defaults\n{\n  disabled = echo\n}\n",
             "/etc/xinetd.d/a": "service echo\n{\n disable = no\n}\nservice time {\n  type = INTERNAL\n}\n"
                                "service daytime\n{\n\tdisable\t= yes\n}\n"}
    assert netparse.xinetd_services(files) == ["time"]  # no `disable` means enabled
    exports = netparse.nfs_exports('"/srv/a b" host1(rw) \\\n   host2(ro)\n/pub\n/x 0.0.0.0/0(ro)\n')
    assert [(e["path"], e["world"]) for e in exports] == [("/srv/a b", False), ("/pub", True), ("/x", True)]
    assert exports[0]["clients"] == ["host1", "host2"]
    shares = netparse.samba_shares("[global]\n workgroup = X\n;[homes]\n[Printers]\n available = No\n[print$]\n")
    assert [s["name"] for s in shares] == ["print$"]


# --- rsyslog ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("selector,facility,severity,expected", [
    ("*.info;mail.none;authpriv.none;cron.none", "daemon", 6, True),
    ("*.info;mail.none;authpriv.none;cron.none", "authpriv", 6, False),
    ("*.info;mail.none;authpriv.none;cron.none", "daemon", 7, False),
    ("auth,authpriv.*", "authpriv", 7, True),
    ("*.=info;*.=notice", "user", 5, True), ("*.=info;*.=notice", "user", 4, False),
    ("mail.*;mail.!err", "mail", 3, False), ("mail.*;mail.!err", "mail", 4, True),
    ("security.*", "auth", 6, True), ("*.*;auth,authpriv.none", "authpriv", 6, False),
    ("kern.warn", "kern", 6, False), ("kern.warn", "kern", 2, True),
])
def test_selector_masks(selector, facility, severity, expected):
    assert rsyslog.selects(selector, facility, severity) is expected


def test_rsyslog_include_order_rulesets_calls_and_conditions():
    files = {
        "/etc/rsyslog.conf": """module(load="imuxsock")
$IncludeConfig /etc/rsyslog.d/*.conf
ruleset(name="ship") {
    action(type="omfwd" Target="siem.corp" Port="6514" Protocol="tcp")
}
if $programname startswith 'app' then {
    action(type="omfwd" target="10.0.0.9")
} else {
    authpriv.* /var/log/secure
}
:msg, contains, "kernel" @10.0.0.8
local0.* -?DynFile;RSYSLOG_FileFormat
$RuleSet remote
*.* /var/log/remote/all.log
$RuleSet RSYSLOG_DefaultRuleset
*.info;authpriv.none /var/log/messages
""",
        "/etc/rsyslog.d/10-call.conf": "*.* call ship\n",
        "/etc/rsyslog.d/20-auth.conf": "/* block\ncomment */ authpriv.*;auth.* /var/log/auth.log # trailing\n",
        "/etc/rsyslog.d/30-skip.conf.rpmsave": "*.* @@ignored:514\n",
    }
    config = rsyslog.parse(files)
    assert config.files == ["/etc/rsyslog.conf", "/etc/rsyslog.d/10-call.conf", "/etc/rsyslog.d/20-auth.conf"]
    rules = rsyslog.effective_rules(config)
    assert rsyslog.destinations(rules, "authpriv") == ["/var/log/auth.log"]  # the else branch is conditional
    assert rsyslog.destinations(rules, "daemon") == ["/var/log/messages"]  # remote ruleset is not local
    forwards = {f["target"]: f for f in rsyslog.forwards(rules)}
    assert forwards["siem.corp"]["auth"] is True and forwards["siem.corp"]["remote"] is True  # via call
    assert forwards["10.0.0.9"]["scope"] == "conditional" and forwards["10.0.0.8"]["auth"] is False


def test_rsyslog_legacy_actions():
    assert rsyslog.parse_action("@@(z9,o)[2001:db8::1]:10514;RSYSLOG_ForwardFormat") == {
        "type": "forward", "module": "legacy", "target": "2001:db8::1", "port": "10514", "protocol": "tcp"}
    assert rsyslog.parse_action(":omrelp:logs.example:2514")["protocol"] == "relp"
    assert rsyslog.parse_action("-/var/log/mail.log;RSYSLOG_TraditionalFileFormat") == {
        "type": "file", "path": "/var/log/mail.log"}
    assert rsyslog.parse_action('action(type="omkafka" broker="k1:9092" topic="syslog")')["target"] == "k1:9092"
    assert rsyslog.parse_action(":omusrmsg:*")["type"] == "other"


def test_rsyslog_unresolved_include_is_reported():
    config = rsyslog.parse({"/etc/rsyslog.conf": 'include(file="/opt/site/rsyslog.conf")\n'})
    assert config.unresolved_includes == ["/opt/site/rsyslog.conf"]


def test_syslogng_three_valued_filters():
    text = """
filter f_notauth { not facility(auth, authpriv); };
filter f_prog { program("sshd") or facility(authpriv); };
filter f_lvl { level(info..emerg) and facility(daemon); };
destination d_a { file("/var/log/a"); };
destination d_b { file("/var/log/b"); };
destination d_c { syslog("loghost" transport("tcp")); };
log { source(s); filter(f_notauth); destination(d_a); };
log { source(s); filter(f_prog); destination(d_b); };
log { source(s); filter(f_lvl); destination(d_c); };
"""
    routes = syslogng.routes(syslogng.parse(text))
    assert routes["auth_files"] == ["/var/log/b"]  # unknown program() or true facility() is true
    assert routes["system_files"] == ["/var/log/a"]  # f_prog for daemon: unknown or false → unknown
    assert routes["forwards"] == [{"driver": "syslog", "target": "loghost", "remote": True, "auth": False}]


# --- logrotate -------------------------------------------------------------------------------------------

LR_MAIN = """weekly
rotate 4
include /etc/logrotate.d
rotate 99
/var/log/wtmp { monthly
    rotate 1 }
"""


def test_logrotate_scripts_globals_and_first_block_wins():
    files = {
        "/etc/logrotate.conf": LR_MAIN,
        "/etc/logrotate.d/a-app": """# comment
/var/log/app/*.log "/var/log/with space.log" {
    daily
    rotate 30
    postrotate
        if [ -f /run/app.pid ]; then { kill -HUP $(cat /run/app.pid); } fi
        }
    endscript
    maxage 14
}
monthly
""",
        "/etc/logrotate.d/b-syslog": "/var/log/messages\n/var/log/app/x.log\n{\n  missingok\n}\n",
        "/etc/logrotate.d/c.dpkg-old": "/var/log/secure { rotate 1000\n daily }\n",
    }
    config = logrotate.parse(files)
    app = logrotate.retention(config, "/var/log/app/x.log")
    assert (app["days"], app["rule"]) == (14, "/etc/logrotate.d/a-app")  # min(30 × daily, maxage 14)
    assert logrotate.retention(config, "/var/log/with space.log")["days"] == 14
    messages = logrotate.retention(config, "/var/log/messages")
    assert (messages["period"], messages["rotate"], messages["days"]) == ("monthly", 4, 120)  # global set in a-app
    assert logrotate.retention(config, "/var/log/wtmp")["days"] == 30
    assert logrotate.retention(config, "/var/log/app/sub/y.log")["rotated"] is False  # * stays in one directory
    assert logrotate.retention(config, "/var/log/secure")["unbounded"] is True  # taboo extension skipped


@pytest.mark.parametrize("block,days,unbounded", [
    ("weekly\nsize 100M\nrotate 9", None, False),  # the last criterion wins: size
    ("size 100M\ndaily\nrotate 9", 9, False),
    ("daily\nmaxsize 50M\nrotate 9", None, False),  # may rotate early
    ("weekly\nminsize 1M\nrotate 26", 182, False),  # never earlier than weekly
    ("daily\nrotate -1", None, True), ("daily\nrotate -1\nmaxage 200", 200, False),
    ("hourly\nrotate 48", 2, False), ("yearly\nrotate 1", 365, False), ("missingok", None, False),
])
def test_logrotate_retention_rules(block, days, unbounded):
    config = logrotate.parse({"/etc/logrotate.conf": f"/var/log/x {{\n{block}\n}}\n"})
    info = logrotate.retention(config, "/var/log/x")
    assert (info["days"], info["unbounded"]) == (days, unbounded)


def test_journald_time_spans():
    assert span_days("6month") == pytest.approx(182.6, abs=0.1)
    assert span_days("1y 2w") == pytest.approx(379.25, abs=0.01)
    assert span_days("15552000") == 180
    assert span_days("30m") == pytest.approx(30 / 1440)  # m is minutes, M months
    assert span_days("0") is None and span_days("") is None and span_days("6 fortnights") is None


# --- audit rules -----------------------------------------------------------------------------------------

def test_audit_rule_coverage():
    rules = audit.parse_rules("""
# comment
-D
-b 8192
-w /etc/sudoers.d/ -p wa -k scope
-w /etc/passwd -k identity
-a always,exit -F arch=b64 -S openat -F dir=/etc/ssh -F success=0 -k ssh_fail
-a exit,always -F arch=b64 -S execve -F exe=/usr/sbin/userdel -k deluser
-a always,exit -F path=/usr/sbin/groupadd -F perm=x -F key=groups
-a never,exit -F arch=b64 -S execve
-e 2
""")
    cov = audit.coverage(rules)
    assert "/etc/passwd" in cov["watched"]  # -w without -p means every permission
    assert "/etc/sudoers.d" in cov["watched"]
    assert "/etc/ssh/sshd_config" not in cov["watched"]  # openat failures only: no w/a permission
    assert cov["exec_audited"] == ["groupadd", "userdel"]
    assert cov["execve_all"] is False


def test_auditctl_status_formats():
    assert audit._status("enabled 2\nfailure 1\npid 812\n")["enabled"] == 2
    assert audit._status("AUDIT_STATUS: enabled=1 flag=1 pid=1540 rate_limit=0")["enabled"] == 1


# --- versions, signatures, redaction, backups ---------------------------------------------------------------

VERSIONS = ["1.0", "1.0-1", "1.0-2", "1:0.9", "1.0~rc1", "1.0~~", "1.0+b1", "1.0.1", "1.0a", "2.36-9+deb12u7",
            "2.36-9+deb12u10", "3.0.15-1~deb12u1", "3.0.15-1", "0.17+2.4-2", "1.9.13p3-1+deb12u1~bpo1", "10.0",
            "1.0-1ubuntu0.1", "1.0-1ubuntu0.10", "9.2p1-2+deb12u3", "1:9.2p1-2+deb12u5", "0", "a", "1.0-0"]


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is the oracle")
def test_debian_version_order_matches_dpkg():
    pairs = [(a, b) for a in VERSIONS for b in VERSIONS]
    random.Random(7).shuffle(pairs)
    for a, b in pairs[:160]:
        ours = debversion.compare(a, b)
        lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], check=False).returncode == 0
        eq = subprocess.run(["dpkg", "--compare-versions", a, "eq", b], check=False).returncode == 0
        assert ours == (-1 if lt else 0 if eq else 1), (a, b)


def test_clamav_header():
    info = cvd_header("ClamAV-VDB:27 Nov 2025 07-32 +0800:27470:2071520:90:abc:sig:raynman:1764199920")
    assert info == {"version": 27470, "signatures": 2071520, "built": 1764199920}
    old = cvd_header("ClamAV-VDB:16 Sep 2021 08-32 -0400:62:6647427:90:x:y:sigmgr")
    assert old["built"] == 1631795520


def test_redaction_runs_on_the_host():
    lines = ["0 2 * * * mysqldump -uroot -pS3cret db", "MYSQL_PWD='x y' mysql", 'pwd="two words"',
             "restic -r sftp://bk:hunter2@nas/repo backup", "sshpass -p hunter3 rsync", "mkdir -p /backup"]
    out = subprocess.run(["sh", "-c", SHELL + REDACT], input="\n".join(lines), capture_output=True, text=True,
                         check=True).stdout
    for secret in ("S3cret", "two words", "hunter2", "hunter3"):
        assert secret not in out
    assert "mkdir -p /backup" in out and "mysqldump -uroot -p<redacted>" in out


@pytest.mark.parametrize("case,secret", [
    ("linux.resilience.backup_job/mysqldump-root-crontab.pass", "S3cr3t"),
    ("linux.resilience.offsite_backup/restic-s3-repository.pass", "hunter2"),
    ("linux.logs.remote_forwarding/password-redacted-elasticsearch.pass", "S3cret!pass"),
])
def test_secrets_never_reach_the_evidence(case, secret):
    fact = "logging" if "logs" in case else "scheduled_jobs"
    root = CASES / case
    assert secret in "".join(p.read_text(errors="ignore") for p in Path(root).rglob("*") if p.is_file())
    result = collect_root(root, [fact])[fact]
    assert result.status == "ok"
    assert secret not in repr(result.value)


def test_backup_classification():
    assert classify("/usr/libexec/dpkg/dpkg-db-backup")["tools"] == []
    assert classify("cp -p /etc/passwd /var/backups/passwd.bak")["tools"] == []
    job = classify("borg create ssh://bk@10.1.1.1:22/./repo::{now} /srv && rclone sync /srv oss:bucket/srv")
    assert job["tools"] == ["borg", "rclone"] and job["remote_targets"] == ["10.1.1.1", "oss"]
    assert classify("/opt/scripts/db_backup.sh")["tools"] == ["script"]
    assert classify("rsync -a /data/ backup@localhost:/mnt/")["remote_targets"] == []


# --- what a non-root collection sees: unreadable means "cannot decide", never a pass ------------------------

@pytest.mark.parametrize("fact_name,text", [
    ("scheduled_jobs", "denied /var/spool/cron/crontabs\n@@F /etc/crontab\nSHELL=/bin/sh\n"),
    ("snmp", "installed snmpd\ndenied /etc/snmp/snmpd.conf\n"),
    ("integrity_tools", "exists /usr/sbin/aide\ndenied /var/lib/aide\n"),
    ("auditd_conf", "@@D /etc/audit/auditd.conf\n"),
    ("logging", "@@D /etc/rsyslog.d/secret.conf\n@@F /etc/rsyslog.conf\n*.* /var/log/messages\n"),
    ("audit_rules", "@@C auditctl -l\nYou must be root to run this program.\n@@RC 4\n"),
    ("trusted_boot", "tpm tpm0\n@@D /sys/kernel/security/ima/runtime_measurements_count\n@@F /proc/cmdline\nro quiet\n"),
])
def test_unreadable_inputs_make_the_fact_unavailable(fact_name, text):
    from assess.probes.facts import FactUnavailable, Section, facts_for

    with pytest.raises(FactUnavailable):
        facts_for("linux")[fact_name].parse(Section(fact_name, text, 0))


def test_snmp_not_installed_with_unreadable_leftover_config_is_known():
    from assess.probes.facts import Section, facts_for

    value = facts_for("linux")["snmp"].parse(Section("snmp", "denied /etc/snmp/snmpd.conf\n", 0))
    assert value["installed"] is False


def test_pending_security_updates_match_apt():
    """On a Debian/Ubuntu host with package lists, apt's own view is the oracle for the host-side join."""
    lists = list(Path("/var/lib/apt/lists").glob("*security*_Packages*"))
    if not lists or shutil.which("apt") is None:
        pytest.skip("no *-security package list on this host")
    from assess.probes import script
    from assess.probes.facts import facts_for
    from assess.run.collect import parse_sections

    fact = facts_for("linux")["packages"]
    text, token = script.build([fact])
    out = subprocess.run(["/bin/sh", "-s"], input=text.encode(), capture_output=True, check=False).stdout
    result, _raw = parse_sections([fact], script.split(out.decode(), token, ["packages"]), "collector failed")
    apt = subprocess.run(["apt", "list", "--upgradable"], capture_output=True, text=True, check=False).stdout
    upgradable = {line.split("/")[0]: line.split(" ")[0] for line in apt.split("\n") if "/" in line}
    security = {name for name, suites in upgradable.items() if "-security" in suites}
    ours = set(result["packages"].value["pending_security_packages"])
    assert security <= ours
    # a security fix superseded by a newer point-release version: apt names only the newest suite
    assert ours <= set(upgradable)


def test_ls_listing_file_without_a_readable_mode_is_unavailable():
    """A file `ls` lists without a mode (`-?????????`: stat failed) is never dropped from the judgement."""
    from assess.probes.linux import filelist
    ok = "-rw-r----- 1 0 4 120 1700000000 auth.log\n"
    assert [e["mode"] for e in filelist.parse_ls("total 4\n" + ok, "/var/log", None)] == ["0640"]
    with pytest.raises(FactUnavailable, match="secure"):
        filelist.parse_ls(ok + "-????????? ? ? ? ? ? secure\n", "/var/log", None)
    assert [e["mode"] for e in filelist.parse_ls("-rwsr-x--T. 1 0 0 1 1700000000 x\n", "/d", None)] == ["5750"]
