"""`assess history`, `assess diff` and `assess schedule`."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from assess import reports, workflows
from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.cli.options import history_option
from assess.cli.scan import scan_params
from assess.cli.show import say, show_interrupted, show_outcome
from assess.errors import InputError
from assess.history import diff, lock, notify, record
from assess.history import schedule as sched
from assess.history import store as history
from assess.inventory import load as inventory
from assess.judge import judgement
from assess.run import document as results
from assess.run import scan as scan_mod

DISPLAY_TZ = "Asia/Shanghai"
_history_option = history_option


def _local(ts: str | None) -> str:
    """An RFC 3339 UTC time shown in Asia/Shanghai."""
    if not ts:
        return "—"
    try:
        from zoneinfo import ZoneInfo

        when = datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(ZoneInfo(DISPLAY_TZ))
    except (ValueError, KeyError, ImportError):
        return ts
    return when.strftime("%Y-%m-%d %H:%M")


# ---- assess history -----------------------------------------------------------------------------------------

@click.group("history", invoke_without_command=True)
@_history_option
@click.option("--inventory", "inventory_key", help="Only runs of this inventory key (see the INVENTORY column).")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def history_cmd(ctx: click.Context, history_path: Path | None, inventory_key: str | None, limit: int,
                fmt: str) -> None:
    """List recorded runs, newest first."""
    ctx.obj = {"history_path": history_path}
    if ctx.invoked_subcommand is not None:
        return
    conn = history.connect(history.resolve(history_path), create=False)
    found = history.runs(conn, inventory_key, limit)
    if fmt == "json":
        click.echo(json.dumps({"schema": "assess/history@1", "db": str(history.resolve(history_path)),
                               "runs": found}, ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo("no runs recorded")
        return
    click.echo(f"{'RUN':<22} {'FINISHED (' + DISPLAY_TZ + ')':<26} {'TRIGGER':<16} {'CONCLUSION':<8} "
               f"{'RATE':>6} {'MAJOR':>5} {'PASS':>5} {'PART':>5} {'FAIL':>5} {'ERR':>4}  INVENTORY")
    for r in found:
        c = r["counts"]
        rate = f"{r['conformance_rate'] * 100:.1f}%" if r["conformance_rate"] is not None else "—"
        trigger = r["trigger"] + ("*" if r["rescan_of"] else "")
        click.echo(f"{r['run_id']:<22} {_local(r['finished']):<26} {trigger:<16} {r['conclusion_zh'] or '—':<8} "
                   f"{rate:>6} {r['major_risks']:>5} {c.get('pass', 0):>5} {c.get('partial', 0):>5} "
                   f"{c.get('fail', 0):>5} {c.get('error', 0):>4}  {r['inventory_key']}")
    if any(r["rescan_of"] for r in found):
        click.echo("* a rescan of what failed (复测); its other results are carried from the earlier run")


@history_cmd.command("prune")
@click.option("--keep", type=click.IntRange(1), required=True, help="Runs to keep per inventory (newest).")
@click.option("--inventory", "inventory_key", help="Prune only this inventory.")
@click.option("--delete-run-dirs", is_flag=True,
              help="Also delete the pruned runs' directories (only those that hold a results.json).")
@click.option("--wait", type=click.FloatRange(0), default=0, metavar="SECONDS")
@click.pass_context
def prune_cmd(ctx: click.Context, keep: int, inventory_key: str | None, delete_run_dirs: bool, wait: float) -> None:
    """Delete all but the newest N runs of each inventory from the history."""
    db = history.resolve(ctx.obj["history_path"])
    conn = history.connect(db, create=False)
    with lock.exclusive(history.lock_path(db), wait, "assess history prune"):
        doomed = history.prune(conn, keep, inventory_key)
    for r in doomed:
        note = ""
        if delete_run_dirs and r["run_dir"] and (Path(r["run_dir"]) / "results.json").is_file():
            shutil.rmtree(r["run_dir"], ignore_errors=True)
            note = f"  (deleted {r['run_dir']})"
        click.echo(f"pruned {r['run_id']}  {r['inventory_key']}{note}")
    click.echo(f"{len(doomed)} run(s) pruned, newest {keep} kept per inventory")


# ---- assess diff ------------------------------------------------------------------------------------------

@click.command("diff")
@click.argument("run_a", required=False)
@click.argument("run_b", required=False)
@_history_option
@click.option("--inventory", "inventory_key", help="With no RUN: the last two runs of this inventory key.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--unchanged", is_flag=True, help="Also list unchanged rows (text format).")
def diff_cmd(run_a: str | None, run_b: str | None, history_path: Path | None, inventory_key: str | None,
             fmt: str, unchanged: bool) -> None:
    """What changed between two runs: regressions, new failures, fixed, still failing.

    RUN_A is the older run, RUN_B the newer; each is a run id (or unique prefix) from the history or a
    run directory. With no RUN: the last two runs of the same inventory. With only RUN_A: RUN_A against
    the latest run of its inventory. Exit status 1 when anything regressed or coverage was lost (results or
    major risks no longer assessed: 无法判定 now).
    """
    db = history.resolve(history_path)
    conn = history.connect(db, create=False) if db.exists() else None
    if run_a and run_b:
        a, b = record.load_run(run_a, conn), record.load_run(run_b, conn)
    else:
        if conn is None:
            raise InputError(f"no history database at {db}: give two run directories, or run `assess scan`")
        if run_a:
            a = record.load_run(run_a, conn)
            key = a.run.get("inventory_key")
            newest = history.latest(conn, key) if key else None
            if newest is None or newest["run_id"] == a.run["run_id"]:
                raise InputError(f"run {a.run['run_id']} is the latest of its inventory; name a second run")
            b = history.snapshot(conn, newest)
        else:
            newest = history.latest(conn, inventory_key)
            if newest is None:
                raise InputError("no runs recorded" + (f" for {inventory_key}" if inventory_key else ""))
            older = history.previous(conn, newest)
            if older is None:
                raise InputError(f"only one run of {newest['inventory_key']} is recorded ({newest['run_id']})")
            a, b = history.snapshot(conn, older), history.snapshot(conn, newest)
    drift = diff.compare(a, b)
    since: dict[str, str] = {}
    if conn is not None and b.run.get("inventory_key"):
        run_b_row = history.get_run(conn, b.run["run_id"])
        if run_b_row is not None:
            since = history.failing_since(conn, run_b_row, [e["fingerprint"] for e in drift["still_failing"]])
            for e in drift["still_failing"]:
                if e["fingerprint"] in since:
                    e["failing_since"] = since[e["fingerprint"]]
    if fmt == "json":
        click.echo(json.dumps(drift, ensure_ascii=False, indent=1))
    else:
        show = ("regressed", "no_longer_assessed", "new_failures", "fixed", "still_failing", "changed") + \
            (("unchanged",) if unchanged else ())
        click.echo(diff.render_text(drift, since, show))
    if diff.has_regressions(drift):
        sys.exit(1)


# ---- assess schedule ----------------------------------------------------------------------------------------

_config_option = click.option("--config-dir", type=click.Path(path_type=Path, file_okay=False),
                              help="Where schedules are kept (default: $ASSESS_HOME/schedules or "
                                   "~/.config/assess/schedules).")


def _conf(config_dir: Path | None) -> Path:
    return (config_dir or sched.config_dir()).expanduser().absolute()


@click.group("schedule")
def schedule_cmd() -> None:
    """Periodic scans through a systemd timer or cron."""


@schedule_cmd.command("add")
@click.argument("name")
@click.option("--cron", "cron_expr", required=True, help='When, as a cron expression, e.g. "0 2 * * *".')
@click.option("-i", "--inventory", "inventory_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Inventory file (default: this machine).")
@click.option("--profile", "profile_name", default="level3", show_default=True)
@click.option("--controls", "controls_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--answers", "answers_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Interview answers (a filled questionnaire), read again at every run.")
@click.option("--waivers", "waivers_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Approved exceptions (YAML), read again at every run.")
@click.option("--template", type=click.Choice(["2025", "2021"]), default=None, help="Conclusion template.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option("--format", "report_formats", default="html,json", show_default=True, help="Reports of each run.")
@click.option("--lang", type=click.Choice(reports.LANGS), default="zh", show_default=True, help="Report language.")
@click.option("--fail-on", type=click.Choice(judgement.FAIL_ON), default=None,
              help="Exit 1 on a finding at or above this level, as `assess scan --fail-on`.")
@click.option("--trust-on-first-use", is_flag=True, help="As `assess scan --trust-on-first-use`.")
@click.option("--active", is_flag=True, help="As `assess scan --active` (state-changing webapp tests).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where runs are written (default: $ASSESS_HOME/runs or ~/.local/share/assess/runs).")
@_history_option
@click.option("--systemd", "backend", flag_value="systemd", default=True, help="A systemd timer (default).")
@click.option("--crontab", "backend", flag_value="crontab", help="A line in the user's crontab.")
@click.option("--unit-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where to write the units (default: ~/.config/systemd/user; for root /etc/systemd/system).")
@click.option("--crontab-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Edit this crontab file instead of running `crontab`.")
@click.option("--no-activate", is_flag=True, help="Write the units but do not run systemctl.")
@click.option("--random-delay", default="10m", show_default=True, help="systemd RandomizedDelaySec=.")
@click.option("--wait", type=click.FloatRange(0), default=1800, show_default=True, metavar="SECONDS",
              help="How long a scheduled run waits for another run holding the history database.")
@click.option("--notify", "notify_url", help="Webhook to post to on a regression, a new major risk or an "
                                             "expiring certificate.")
@click.option("--notify-format", type=click.Choice(notify.FORMATS), default="generic", show_default=True)
@click.option("--notify-secret-env", default=notify.DEFAULT_SECRET_ENV, show_default=True,
              help="Environment variable with the robot's signing secret (DingTalk, Feishu), if it signs.")
@click.option("--cert-days", type=click.IntRange(0), default=notify.DEFAULT_CERT_DAYS, show_default=True,
              help="Alert on certificates expiring within this many days.")
@click.option("--keep", type=click.IntRange(1), help="After each run, prune the history to the newest N runs.")
@_config_option
def schedule_add(name: str, cron_expr: str, inventory_path: Path | None, profile_name: str,
                 controls_dir: Path | None, answers_path: Path | None, waivers_path: Path | None,
                 template: str | None, concurrency: int, report_formats: str, lang: str, fail_on: str | None,
                 trust_on_first_use: bool, active: bool, out_dir: Path | None, history_path: Path | None, backend: str,
                 unit_dir: Path | None, crontab_file: Path | None, no_activate: bool, random_delay: str,
                 wait: float, notify_url: str | None, notify_format: str, notify_secret_env: str,
                 cert_days: int, keep: int | None, config_dir: Path | None) -> None:
    """Install a periodic scan NAME (a systemd service + timer pair, or a crontab line).

    It takes what `assess scan` takes, so a scheduled run judges exactly what a manual one does;
    `assess schedule show NAME` prints the scan command it runs.
    """
    from assess.workflows import load_inputs

    sched.check_name(name)
    if notify_url and not notify_url.startswith(("http://", "https://")):
        raise InputError("--notify must be an http:// or https:// URL")
    if crontab_file and backend != "crontab":
        raise InputError("--crontab-file goes with --crontab")
    cron = sched.parse_cron(cron_expr)
    if not sched.next_runs(cron, datetime.now()):
        raise InputError(f"cron expression '{cron_expr}' never fires")
    profile_ref = profile_name
    if "/" in profile_name or profile_name.endswith((".yaml", ".yml")):
        profile_ref = str(Path(profile_name).expanduser().absolute())
    reports.parse_formats(report_formats)
    absolute = {k: str(v.expanduser().resolve()) if v else None for k, v in
                (("inventory", inventory_path), ("controls", controls_dir), ("answers", answers_path),
                 ("waivers", waivers_path))}
    if answers_path or waivers_path:  # their file:line problems now, not at 2 a.m.
        cat = catalog_mod.load(controls_dir)
        targets = inventory.load(inventory_path) if inventory_path else inventory.local_inventory()
        load_inputs(cat, profile_mod.load(profile_ref, cat), targets, answers_path, waivers_path)
    scan_options = [
        *(["-i", absolute["inventory"]] if inventory_path else []), "--profile", profile_ref,
        *(["--controls", absolute["controls"]] if controls_dir else []),
        *(["--answers", absolute["answers"]] if answers_path else []),
        *(["--waivers", absolute["waivers"]] if waivers_path else []),
        *(["--template", template] if template else []), "--concurrency", str(concurrency),
        "--format", report_formats, "--lang", lang, *(["--fail-on", fail_on] if fail_on else []),
        *(["--trust-on-first-use"] if trust_on_first_use else []), *(["--active"] if active else [])]
    config = {
        "name": name, "cron": cron_expr, "backend": backend,
        "inventory": absolute["inventory"], "profile": profile_ref, "controls": absolute["controls"],
        "out": str((out_dir or history.home() / "runs").expanduser().absolute()),
        "history": str(history.resolve(history_path)), "wait": wait, "random_delay": random_delay,
        "notify": {"url": notify_url, "format": notify_format, "secret_env": notify_secret_env}
        if notify_url else None,
        "cert_days": cert_days, "keep": keep, "scan": scan_options,
    }
    crontab = sched.Crontab(crontab_file.expanduser().absolute()) if crontab_file else None
    for line in sched.add(config, _conf(config_dir), unit_dir.expanduser().absolute() if unit_dir else None,
                          crontab, activate=not no_activate):
        click.echo(line)
    nxt = sched.next_runs(cron, datetime.now(), 1)
    click.echo(f"next run: {nxt[0]:%Y-%m-%d %H:%M} (local time; systemd adds up to {random_delay} at random)"
               if backend == "systemd" else f"next run: {nxt[0]:%Y-%m-%d %H:%M} (local time)")


@schedule_cmd.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@_config_option
def schedule_list(fmt: str, config_dir: Path | None) -> None:
    """Schedules, their next run and their last recorded run."""
    rows = []
    for cfg in sched.all_schedules(_conf(config_dir)):
        nxt = sched.next_runs(sched.parse_cron(cfg["cron"]), datetime.now(), 1)
        last = None
        db = Path(cfg["history"])
        if db.exists():
            conn = history.connect(db, create=False)
            found = [r for r in history.runs(conn, limit=200) if r["trigger"] == f"schedule:{cfg['name']}"]
            last = found[0] if found else None
            conn.close()
        rows.append({**cfg, "next_run": nxt[0].isoformat(timespec="minutes") if nxt else None,
                     "installed": sched.installed(cfg),
                     "last_run": {k: last[k] for k in ("run_id", "finished", "conclusion_zh", "conformance_rate")}
                     if last else None})
    if fmt == "json":
        for r in rows:
            if r.get("notify"):
                r["notify"] = dict(r["notify"], url=notify.redact(r["notify"]["url"]))
        click.echo(json.dumps({"schedules": rows}, ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("no schedules")
        return
    click.echo(f"{'NAME':<16} {'BACKEND':<8} {'CRON':<16} {'NEXT RUN':<17} {'OK':<3} {'LAST RUN':<22} INVENTORY")
    for r in rows:
        last_id = r["last_run"]["run_id"] if r["last_run"] else "—"
        click.echo(f"{r['name']:<16} {r['backend']:<8} {r['cron']:<16} {(r['next_run'] or '—').replace('T', ' '):<17} "
                   f"{'yes' if r['installed'] else 'NO':<3} {last_id:<22} {r['inventory'] or 'this machine'}")
        if r["backend"] == "systemd":
            click.echo(f"{'':<16} OnCalendar={' | '.join(r['on_calendar'])}")


@schedule_cmd.command("show")
@click.argument("name")
@_config_option
def schedule_show(name: str, config_dir: Path | None) -> None:
    """Schedule NAME: when it runs, what the timer calls, and the exact scan command it runs."""
    conf = _conf(config_dir)
    cfg = sched.load(conf, name)
    nxt = sched.next_runs(sched.parse_cron(cfg["cron"]), datetime.now(), 1)
    click.echo(f"schedule {name}: {cfg['cron']} ({cfg['backend']})"
               + (f", next run {nxt[0]:%Y-%m-%d %H:%M} local time" if nxt else ""))
    click.echo(f"timer runs: {shlex.join(sched.command(name, conf))}")
    click.echo(f"which scans: {shlex.join(sched.scan_command(cfg))}")
    target = cfg.get("notify")
    click.echo(f"alerts: {target['format']} {notify.redact(target['url'])}" if target else "alerts: none (no --notify)")


@schedule_cmd.command("remove")
@click.argument("name")
@_config_option
def schedule_remove(name: str, config_dir: Path | None) -> None:
    """Remove schedule NAME: its units or crontab line, and its settings. Runs and history stay."""
    for line in sched.remove(_conf(config_dir), name):
        click.echo(line)


@schedule_cmd.command("run")
@click.argument("name")
@_config_option
def schedule_run(name: str, config_dir: Path | None) -> None:
    """Run schedule NAME now (what the timer calls): scan, record, diff against the previous run, notify.

    Exit status: 0, 1 when something regressed or coverage was lost, 3 on collection errors, 75 when another run held the
    history database for longer than the schedule's wait.
    """
    conf = _conf(config_dir)
    cfg = sched.load(conf, name)
    sched.load_env_file(conf, name)
    db = Path(cfg["history"])
    inventory_path = Path(cfg["inventory"]) if cfg.get("inventory") else None
    key = history.inventory_key(inventory_path)
    out = Path(cfg["out"])
    with lock.exclusive(history.run_lock_path(out), float(cfg.get("wait") or 0), f"assess schedule run {name}"):
        conn = history.connect(db)
        before = history.latest(conn, key)
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill`, systemd, timeout(1): as Ctrl-C
        try:
            params = scan_params(sched.scan_argv(cfg)[1:])  # the schedule's scan options, parsed as `assess scan` does
            outcome = workflows.scan(workflows.ScanRequest(
                params["inventory_path"], params["profile_name"], params["controls_dir"], out, params["concurrency"],
                params["answers_path"], params["waivers_path"], db, trigger=f"schedule:{name}",
                trust_on_first_use=params["trust_on_first_use"], active=params["active"],
                template=params["template"]), say=say)
        except scan_mod.Interrupted as stop:
            show_interrupted(stop)
            code = 130
        else:
            formats = [f for f in reports.parse_formats(params["report_formats"]) if f != "json"]
            show_outcome(outcome, formats, params["lang"], quiet=True)
            code = workflows.exit_status(outcome, params["fail_on"])
        run = history.latest(conn, key)
        if run is None or (before is not None and run["run_id"] == before["run_id"]):
            click.echo(f"assess: schedule {name}: the scan recorded no run (exit {code})", err=True)
            sys.exit(code or 2)
        previous = history.previous(conn, run)
        drift = diff.compare(history.snapshot(conn, previous), history.snapshot(conn, run)) if previous else None
        if drift:
            click.echo(diff.render_text(drift, show=("regressed", "no_longer_assessed", "new_failures", "fixed")))
        run_dir = Path(run["run_dir"])
        doc = results.load_results(run_dir)
        event = notify.build_event(doc, drift, notify.certificates(run_dir, doc), int(cfg.get("cert_days") or 0),
                                   schedule=name)
        target = cfg.get("notify")
        if event and target:
            secret = os.environ.get(target.get("secret_env") or notify.DEFAULT_SECRET_ENV) or None
            delivery = notify.send(target["url"], target["format"], event, secret)
            click.echo(f"assess: notify {'ok' if delivery.ok else 'FAILED'}: {delivery.detail}",
                       err=not delivery.ok)
        elif event:
            click.echo(f"assess: would alert ({', '.join(event['reasons'])}) but the schedule has no --notify",
                       err=True)
        if cfg.get("keep"):
            for r in history.prune(conn, int(cfg["keep"]), key):
                click.echo(f"pruned {r['run_id']}")
        conn.close()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    click.echo(f"assess: schedule {name}: run {run['run_id']} done at {stamp}")
    if code == 3:
        sys.exit(3)
    if drift and diff.has_regressions(drift) or code == 1:  # code 1: the schedule's --fail-on
        sys.exit(1)
    if code != 0:
        sys.exit(code)
