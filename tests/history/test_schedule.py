"""Schedules: cron parsing, cron → OnCalendar (checked against croniter and systemd-analyze), unit files,
crontab lines (a crontab file, never the real crontab), and `assess schedule add/list/remove/run`."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from assess.cli import main
from assess.errors import InputError
from assess.history import schedule as sched
from tests.history.receiver import Receiver

CONTROLS = Path(__file__).resolve().parent / "fixtures" / "controls"
EXPRESSIONS = ["0 2 * * *", "*/15 * * * *", "30 4 1,15 * 1-5", "0 0 * * 7", "5 8-18/2 * jan-mar mon,wed,fri",
               "0 3 */2 * *", "@weekly", "@monthly", "15 10 * * sun", "0 12 1-7 * 1", "0 1 * * 6,0",
               "45 23 28-31 2,8 *", "0 0 1 1 *"]
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_next_runs_agree_with_croniter(expr: str) -> None:
    croniter = pytest.importorskip("croniter").croniter
    start = datetime(2026, 11, 28, 20, 7)
    it = croniter(expr, start)
    assert sched.next_runs(sched.parse_cron(expr), start, 6) == [it.get_next(datetime) for _ in range(6)]


def _systemd_next(calendars: list[str], count: int) -> list[datetime]:
    proc = subprocess.run([SYSTEMD_ANALYZE, "calendar", f"--iterations={count}", *calendars], capture_output=True,
                          text=True, check=True, env={**os.environ, "TZ": "UTC"})
    times = re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", proc.stdout)
    return sorted({datetime.strptime(t, "%Y-%m-%d %H:%M:%S") for t in times})[:count]


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_on_calendar_fires_when_cron_does(expr: str) -> None:
    cron = sched.parse_cron(expr)
    calendars = sched.on_calendar(cron)
    for _ in range(3):  # systemd counts from "now": retry if a minute boundary passed in between
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        expected = sched.next_runs(cron, now, 8)
        if _systemd_next(calendars, 8) == expected:
            return
    pytest.fail(f"{expr} → {calendars}: systemd {_systemd_next(calendars, 8)} != cron {expected}")


def test_both_day_fields_restricted_means_either() -> None:
    cron = sched.parse_cron("0 12 13 * fri")
    assert sched.on_calendar(cron) == ["*-*-13 12:00:00", "Fri *-*-* 12:00:00"]
    starred = sched.parse_cron("0 12 */2 * fri")  # a day field starting with * makes it "and" (Vixie cron)
    assert len(sched.on_calendar(starred)) == 1
    assert all(d.day % 2 == 1 and d.isoweekday() == 5 for d in sched.next_runs(starred, datetime(2026, 1, 1), 5))


@pytest.mark.parametrize("expr, message", [
    ("0 2 * *", "must have 5 fields"), ("61 * * * *", "minute 61 is outside 0-59"),
    ("0 2 * * 8", "day of week 8 is outside 0-7"), ("*/0 * * * *", "bad step"),
    ("0 5-2 * * *", "runs backwards"), ("0 2 * foo *", "'foo' is not a valid month"),
    ("@reboot", "no calendar time"),
])
def test_bad_cron_expressions(expr: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        sched.parse_cron(expr)


def _inventory(tmp_path: Path) -> Path:
    inv = tmp_path / "inventory.yaml"
    inv.write_text("objects:\n  - {id: alpha, type: linux, transport: local}\ninterview_objects: false\n",
                   encoding="utf-8")
    return inv


def test_systemd_units(tmp_path: Path) -> None:
    units, conf = tmp_path / "units", tmp_path / "conf"
    result = CliRunner().invoke(main, ["schedule", "add", "nightly", "--cron", "0 2 * * *", "-i",
                                       str(_inventory(tmp_path)), "--unit-dir", str(units), "--config-dir",
                                       str(conf), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert "to enable it: systemctl" in result.output and "enable --now assess-scan-nightly.timer" in result.output
    service = (units / "assess-scan-nightly.service").read_text(encoding="utf-8")
    timer = (units / "assess-scan-nightly.timer").read_text(encoding="utf-8")
    for line in ("Type=oneshot", "NoNewPrivileges=yes", "Nice=10", "IOSchedulingClass=idle"):
        assert line in service.splitlines()
    assert re.search(rf"^ExecStart=\S*python\S* -m assess schedule run nightly --config-dir {conf}$", service, re.M)
    if os.geteuid() == 0:  # system units are sandboxed, the output and history directories stay writable
        assert "ProtectSystem=strict" in service and "ProtectHome=read-only" in service
        assert f"ReadWritePaths={tmp_path / 'runs'}" in service
        assert f"ReadWritePaths={tmp_path / 'assess-home'}" in service
        assert "PrivateTmp=yes" not in service or not str(tmp_path).startswith("/tmp")
    for line in ("OnCalendar=*-*-* 02:00:00", "Persistent=true", "RandomizedDelaySec=10m",
                 "Unit=assess-scan-nightly.service", "WantedBy=timers.target"):
        assert line in timer.splitlines()
    config = json.loads((conf / "nightly.json").read_text(encoding="utf-8"))
    assert config["activated"] is False and config["inventory"] == str(tmp_path / "inventory.yaml")
    assert oct((conf / "nightly.json").stat().st_mode & 0o777) == "0o600"
    if SYSTEMD_ANALYZE:
        proc = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", str(units / "assess-scan-nightly.service"),
                               str(units / "assess-scan-nightly.timer")], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert not [line for line in proc.stderr.splitlines() if "assess-scan-nightly" in line], proc.stderr
    again = CliRunner().invoke(main, ["schedule", "add", "nightly", "--cron", "0 3 * * *", "--unit-dir", str(units),
                                      "--config-dir", str(conf)])
    assert again.exit_code == 2 and "exists already" in again.output
    listed = json.loads(CliRunner().invoke(main, ["schedule", "list", "--format", "json", "--config-dir",
                                                  str(conf)]).output)["schedules"]
    assert listed[0]["installed"] is True and listed[0]["next_run"].endswith("02:00")
    removed = CliRunner().invoke(main, ["schedule", "remove", "nightly", "--config-dir", str(conf)])
    assert removed.exit_code == 0, removed.output
    assert not list(units.iterdir()) and not (conf / "nightly.json").exists()


def test_crontab_lines(tmp_path: Path) -> None:
    crontab, conf = tmp_path / "crontab", tmp_path / "conf"
    crontab.write_text("MAILTO=ops@example.com\n17 * * * * /usr/local/bin/backup\n", encoding="utf-8")
    runner = CliRunner()
    for name, expr in (("nightly", "0 2 * * *"), ("weekly", "@weekly")):
        result = runner.invoke(main, ["schedule", "add", name, "--cron", expr, "--crontab", "--crontab-file",
                                      str(crontab), "--config-dir", str(conf), "--notify",
                                      "https://oapi.dingtalk.com/robot/send?access_token=abc",
                                      "--notify-format", "dingtalk"])
        assert result.exit_code == 0, result.output
    lines = crontab.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["MAILTO=ops@example.com", "17 * * * * /usr/local/bin/backup"]
    assert lines[2] == "# assess-schedule: nightly"
    job = lines[3]
    assert job.startswith("0 2 * * * PATH=") and " flock -n -E 75 " in job
    assert "schedule-nightly.cron.lock" in job and f"schedule run nightly --config-dir {conf}" in job
    assert job.endswith(">> " + str(tmp_path / "assess-home" / "logs" / "nightly.log") + " 2>&1")
    assert lines[5].startswith("0 0 * * 0 ")  # @weekly written out
    table = runner.invoke(main, ["schedule", "list", "--config-dir", str(conf)])
    assert table.exit_code == 0 and "nightly" in table.output and "weekly" in table.output
    listed = json.loads(runner.invoke(main, ["schedule", "list", "--format", "json", "--config-dir",
                                             str(conf)]).output)["schedules"]
    assert all(s["installed"] for s in listed)
    assert all("abc" not in s["notify"]["url"] for s in listed)  # the robot token is not shown
    assert runner.invoke(main, ["schedule", "remove", "nightly", "--config-dir", str(conf)]).exit_code == 0
    rest = crontab.read_text(encoding="utf-8")
    assert "nightly" not in rest and "# assess-schedule: weekly" in rest and "/usr/local/bin/backup" in rest
    missing = runner.invoke(main, ["schedule", "remove", "nightly", "--config-dir", str(conf)])
    assert missing.exit_code == 2 and "no schedule named 'nightly'" in missing.output


def test_bad_schedule_input(tmp_path: Path) -> None:
    runner = CliRunner()
    conf = ["--config-dir", str(tmp_path / "conf"), "--unit-dir", str(tmp_path / "u")]
    for args, message in ((["bad name!", "--cron", "0 2 * * *"], "may only use letters"),
                          (["n", "--cron", "0 2 * *"], "must have 5 fields"),
                          (["n", "--cron", "0 0 31 2 *"], "never fires"),
                          (["n", "--cron", "0 2 * * *", "--notify", "file:///etc/passwd"], "http:// or https://"),
                          (["n", "--cron", "0 2 * * *", "--random-delay", "soon"], "--random-delay")):
        result = runner.invoke(main, ["schedule", "add", *args, *conf])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output


def test_schedule_run_scans_diffs_and_notifies(tmp_path: Path) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(f"id: site\ntitle: site\nlevel: 3\nparameters:\n  expected_uid: {os.getuid()}\n",
                       encoding="utf-8")
    conf, crontab = tmp_path / "conf", tmp_path / "crontab"
    with Receiver() as receiver:
        runner = CliRunner()
        added = runner.invoke(main, ["schedule", "add", "nightly", "--cron", "0 2 * * *", "--crontab",
                                     "--crontab-file", str(crontab), "--config-dir", str(conf), "-i",
                                     str(_inventory(tmp_path)), "--controls", str(CONTROLS), "--profile",
                                     str(profile), "--notify", receiver.url + "/hook", "--keep", "2"])
        assert added.exit_code == 0, added.output
        first = runner.invoke(main, ["schedule", "run", "nightly", "--config-dir", str(conf)])
        assert first.exit_code == 0, first.output
        assert receiver.requests == []  # a first run has nothing to compare and nothing alarming
        profile.write_text(profile.read_text(encoding="utf-8").replace(str(os.getuid()), "99999"), encoding="utf-8")
        second = runner.invoke(main, ["schedule", "run", "nightly", "--config-dir", str(conf)])
        assert second.exit_code == 1, second.output  # a regression
        assert "REGRESSED" in second.output and "notify ok" in second.output
        event = receiver.requests[0]["json"]
        assert event["reasons"] == ["regression"] and event["schedule"] == "nightly"
        assert event["regressed"][0]["item"] == "L3-CES1-02" and event["regressed"][0]["to"] == "fail"
        third = runner.invoke(main, ["schedule", "run", "nightly", "--config-dir", str(conf)])
        assert third.exit_code == 0 and "pruned" in third.output  # --keep 2
    history_table = runner.invoke(main, ["history", "--history", str(tmp_path / "assess-home" / "history.db")])
    assert history_table.output.count("schedule:nightly") == 2


def test_cron_line_runs_under_sh_and_flock_refuses_overlap(tmp_path: Path) -> None:
    if shutil.which("flock") is None:
        pytest.skip("flock (util-linux) is not installed")
    conf, crontab = tmp_path / "conf", tmp_path / "crontab"
    added = CliRunner().invoke(main, ["schedule", "add", "n", "--cron", "*/5 * * * *", "--crontab", "--crontab-file",
                                      str(crontab), "--config-dir", str(conf), "-i", str(_inventory(tmp_path)),
                                      "--controls", str(CONTROLS)])
    assert added.exit_code == 0, added.output
    job = crontab.read_text(encoding="utf-8").splitlines()[1]
    shell = job.split(" ", 5)[5].replace("\\%", "%")  # what cron hands to sh
    env = {**os.environ, "ASSESS_HOME": str(tmp_path / "assess-home")}
    done = subprocess.run(["sh", "-c", shell], env=env, timeout=120)
    assert done.returncode == 0
    log = (tmp_path / "assess-home" / "logs" / "n.log").read_text(encoding="utf-8")
    assert "schedule n: run" in log
    lock = tmp_path / "assess-home" / "schedule-n.cron.lock"
    holder = subprocess.Popen(["flock", str(lock), "sleep", "30"])
    try:
        for _ in range(50):  # wait until the holder has the lock
            if subprocess.run(["flock", "-n", str(lock), "true"]).returncode != 0:
                break
        overlap = subprocess.run(["sh", "-c", shell], env=env, timeout=60)
        assert overlap.returncode == 75
    finally:
        holder.kill()
        holder.wait()


ANSWERS = """\
answers:
  - item: L3-CES1-03
    object: alpha
    answer: fail
    explanation: 未使用加密通道（访谈运维负责人）
    respondent: 王工（运维负责人）
    answered_at: {today}
"""
WAIVERS = """\
waivers:
  - id: W-01
    item: L3-CES1-02
    justification: 采集账户在改造中
    approver: 张三（信息安全负责人）
    expires: {until}
"""


def test_scheduled_run_judges_what_the_manual_scan_judges(tmp_path: Path) -> None:
    """Issue 16.2: `schedule add` takes the scan's options (answers, waivers, template, …), `schedule show`
    prints the exact scan command, and a scheduled run gives the verdicts and conclusion of the manual scan
    with the same options (an interview answer applied, a waiver shown, the 2021 template)."""
    today = datetime.now().date()
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS.format(today=today), encoding="utf-8")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS.format(until=today.replace(year=today.year + 1)), encoding="utf-8")
    options = ["-i", str(_inventory(tmp_path)), "--controls", str(CONTROLS), "--answers", str(answers),
               "--waivers", str(waivers), "--template", "2021", "--format", "html,md,json"]
    runner = CliRunner()
    manual = runner.invoke(main, ["scan", *options, "--out", str(tmp_path / "manual"), "--no-history", "-q"])
    assert manual.exit_code == 0, manual.output
    conf = tmp_path / "conf"
    added = runner.invoke(main, ["schedule", "add", "nightly", "--cron", "0 2 * * *", "--crontab", "--crontab-file",
                                 str(tmp_path / "crontab"), "--config-dir", str(conf), "--out",
                                 str(tmp_path / "runs"), *options])
    assert added.exit_code == 0, added.output
    shown = runner.invoke(main, ["schedule", "show", "nightly", "--config-dir", str(conf)])
    assert shown.exit_code == 0, shown.output
    line = next(x for x in shown.output.splitlines() if x.startswith("which scans: "))
    command = shlex.split(line.removeprefix("which scans: "))
    assert command[1:4] == ["-m", "assess", "scan"]
    for opt in options:
        assert opt in command
    ran = runner.invoke(main, ["schedule", "run", "nightly", "--config-dir", str(conf)])
    assert ran.exit_code == 0, ran.output
    (manual_dir,) = (tmp_path / "manual").iterdir()
    (scheduled_dir,) = (tmp_path / "runs").iterdir()
    docs = [json.loads((d / "results.json").read_text(encoding="utf-8")) for d in (manual_dir, scheduled_dir)]
    verdicts = [{(r["item"], r["object"]): (r["verdict"], bool(r.get("waived"))) for r in d["results"]}
                for d in docs]
    assert verdicts[0] == verdicts[1]
    assert verdicts[1][("L3-CES1-03", "alpha")] == ("fail", False)  # the interview answer
    assert verdicts[1][("L3-CES1-02", "alpha")][1] is True  # the waiver
    assert docs[1]["conclusion"]["template"] == "2021"
    assert docs[0]["conclusion"] == docs[1]["conclusion"]
    assert (scheduled_dir / "report.md").is_file() and (scheduled_dir / "report.html").is_file()
    # running the shown command by hand gives the same verdicts again
    again = runner.invoke(main, [*command[3:], "--no-history", "--out", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    (again_dir,) = (tmp_path / "again").iterdir()
    doc = json.loads((again_dir / "results.json").read_text(encoding="utf-8"))
    assert {(r["item"], r["object"]): (r["verdict"], bool(r.get("waived"))) for r in doc["results"]} == verdicts[0]


def test_schedule_add_checks_answers_before_installing(tmp_path: Path) -> None:
    bad = tmp_path / "answers.yaml"
    bad.write_text("answers:\n  - item: L3-XXX-99\n    object: alpha\n    answer: pass\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["schedule", "add", "n", "--cron", "0 2 * * *", "--crontab", "--crontab-file",
                                       str(tmp_path / "crontab"), "--config-dir", str(tmp_path / "conf"), "-i",
                                       str(_inventory(tmp_path)), "--controls", str(CONTROLS), "--answers", str(bad)])
    assert result.exit_code == 2 and "answers.yaml" in result.output, result.output
    assert not (tmp_path / "conf").exists() and not (tmp_path / "crontab").exists()


def test_schedule_files_are_never_written_through_planted_symlinks(tmp_path: Path) -> None:
    """Config, crontab file and units go through a random new name, then a rename: a symlink planted at the
    old predictable temporary names (or at the target) is replaced, never followed."""
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    conf, units, crontab = tmp_path / "conf", tmp_path / "units", tmp_path / "crontab"
    conf.mkdir()
    units.mkdir()
    crontab.write_text("", encoding="utf-8")
    for planted in (conf / "nightly.json.tmp", conf / "weekly.json.tmp", tmp_path / "crontab.assess-tmp",
                    units / "assess-scan-nightly.service", units / "assess-scan-nightly.timer"):
        planted.symlink_to(victim)
    runner = CliRunner()
    for args in (["nightly", "--cron", "0 2 * * *", "--unit-dir", str(units)],
                 ["weekly", "--cron", "@weekly", "--crontab", "--crontab-file", str(crontab)]):
        result = runner.invoke(main, ["schedule", "add", *args, "-i", str(_inventory(tmp_path)), "--config-dir",
                                      str(conf), "--out", str(tmp_path / "runs")])
        assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not (units / "assess-scan-nightly.service").is_symlink()
    assert "assess-schedule: weekly" in crontab.read_text(encoding="utf-8") and not crontab.is_symlink()
    assert oct((conf / "weekly.json").stat().st_mode & 0o777) == "0o600"
