"""Periodic scans: a schedule is a saved `assess schedule run NAME` plus a systemd timer or a crontab line.

A schedule's settings live in `<config dir>/NAME.json` (mode 600: it may hold a webhook URL); the config
dir is `$ASSESS_HOME/schedules`, else `$XDG_CONFIG_HOME/assess/schedules` (~/.config/assess/schedules).
The timer or crontab line only calls `python -m assess schedule run NAME --config-dir DIR`.

systemd: `assess-scan-NAME.service` (Type=oneshot, low CPU and IO priority, sandboxed) and
`assess-scan-NAME.timer` (OnCalendar= converted from the cron expression, Persistent=true so a run missed
while the machine was off happens at boot, RandomizedDelaySec= so many hosts do not start at once). Units
go to ~/.config/systemd/user (a user's own manager), or for root to /etc/systemd/system; `--unit-dir`
chooses another directory. Full sandboxing (ProtectSystem=strict with only the output and history
directories writable, ProtectHome=read-only so SSH keys and known_hosts stay readable, PrivateTmp,
NoNewPrivileges…) is for system units: in a user manager those options need unprivileged user namespaces
(and imply PrivateUsers=), so user units get NoNewPrivileges=yes only. Nothing there blocks outgoing SSH.

cron: one line in the user's crontab, after a `# assess-schedule: NAME` marker line, wrapped in
`flock -n -E 75 <lock>` so that a run still going when the next one is due makes the new one exit at once.
A systemd timer never starts a oneshot service that is still running, so it needs no flock.

Cron expressions: five fields (minute hour day-of-month month day-of-week) with `*`, lists, ranges, steps,
month and day names, 0 or 7 for Sunday, and @hourly @daily @midnight @weekly @monthly @yearly @annually.
As in Vixie/ISC cron (Debian's cron), when both day fields are restricted (neither starts with `*`) a day
matches if either does; that case becomes two OnCalendar= lines. Both run in the machine's local time.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from assess import safefile
from assess.errors import InputError
from assess.history import store as history
from assess.run import document as results

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MARKER = "# assess-schedule: "
_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
           "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_SYSTEMD_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, _MONTHS),
           ("day of week", 0, 7, _DAYS))
_DELAY = re.compile(r"^\d+(s|m|min|h)?$")


def config_dir() -> Path:
    if os.environ.get("ASSESS_HOME"):
        return Path(os.environ["ASSESS_HOME"]).expanduser() / "schedules"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "assess" / "schedules"


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InputError(f"schedule name '{name}' may only use letters, digits, '_' and '-' (at most 64)")
    return name


# ---- cron expressions -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cron:
    """A parsed five-field cron expression (weekdays 0 = Sunday … 6)."""

    expr: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]
    dom_star: bool
    dow_star: bool


def _number(text: str, low: int, high: int, names: dict[str, int], what: str, expr: str) -> int:
    key = text.lower()
    if key in names:
        return names[key]
    if not text.isdigit():
        raise InputError(f"cron expression '{expr}': '{text}' is not a valid {what}")
    value = int(text)
    if not low <= value <= high:
        raise InputError(f"cron expression '{expr}': {what} {value} is outside {low}-{high}")
    return value


def _field(text: str, low: int, high: int, names: dict[str, int], what: str, expr: str) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise InputError(f"cron expression '{expr}': bad step '/{step_text}' in the {what} field")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            start, end = _number(a, low, high, names, what, expr), _number(b, low, high, names, what, expr)
            if start > end:
                raise InputError(f"cron expression '{expr}': range {base} runs backwards in the {what} field")
        else:
            start = _number(base, low, high, names, what, expr)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return values


def parse_cron(expr: str) -> Cron:
    """Parse a cron expression; a mistake is an InputError naming the field."""
    text = expr.strip()
    if text.lower() == "@reboot":
        raise InputError("cron expression '@reboot' has no calendar time; give a periodic expression")
    text = _MACROS.get(text.lower(), text)
    fields = text.split()
    if len(fields) != 5:
        raise InputError(f"cron expression '{expr}' must have 5 fields (minute hour day-of-month month "
                         f"day-of-week), it has {len(fields)}")
    parsed = [_field(f, low, high, names, what, expr) for f, (what, low, high, names) in zip(fields, _FIELDS, strict=True)]
    weekdays = {0 if d == 7 else d for d in parsed[4]}
    minutes, hours, days, months = (tuple(sorted(p)) for p in parsed[:4])
    return Cron(expr, minutes, hours, days, months, tuple(sorted(weekdays)),
                dom_star=fields[2].startswith("*"), dow_star=fields[4].startswith("*"))


def _day_matches(cron: Cron, when: datetime) -> bool:
    dom = when.day in cron.days
    dow = (when.isoweekday() % 7) in cron.weekdays
    return (dom and dow) if (cron.dom_star or cron.dow_star) else (dom or dow)


def next_runs(cron: Cron, after: datetime, count: int = 1) -> list[datetime]:
    """The next `count` times the expression fires strictly after `after` (naive local time), within 8 years."""
    out: list[datetime] = []
    day = after.replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(366 * 8):
        if day.month in cron.months and _day_matches(cron, day):
            for h in cron.hours:
                for m in cron.minutes:
                    when = day.replace(hour=h, minute=m)
                    if when > after:
                        out.append(when)
                        if len(out) == count:
                            return out
        day += timedelta(days=1)
    return out


def _compress(values: Iterable[int], width: int = 2) -> str:
    """1,2,3,4,7 → 01..04,07 (systemd calendar syntax)."""
    vals = sorted(values)
    parts: list[str] = []
    i = 0
    while i < len(vals):
        j = i
        while j + 1 < len(vals) and vals[j + 1] == vals[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{vals[i]:0{width}d}..{vals[j]:0{width}d}")
        else:
            parts += [f"{v:0{width}d}" for v in vals[i:j + 1]]
        i = j + 1
    return ",".join(parts)


def _weekday_spec(days: tuple[int, ...]) -> str:
    ordered = sorted(days, key=lambda d: (d + 6) % 7)  # Monday first, as systemd writes ranges
    return ",".join(_SYSTEMD_DAYS[d] for d in ordered)


def on_calendar(cron: Cron) -> list[str]:
    """systemd OnCalendar= values firing exactly when the cron expression does."""
    def spec(values: tuple[int, ...], full: range) -> str:
        return "*" if set(values) == set(full) else _compress(values)

    month, hour, minute = spec(cron.months, range(1, 13)), spec(cron.hours, range(24)), spec(cron.minutes, range(60))
    dom = spec(cron.days, range(1, 32))
    all_days = set(cron.weekdays) == set(range(7))
    time_part = f"{hour}:{minute}:00"
    if cron.dom_star or cron.dow_star:
        prefix = "" if all_days else _weekday_spec(cron.weekdays) + " "
        return [f"{prefix}*-{month}-{dom} {time_part}"]
    # Both day fields restricted: cron fires when either matches, systemd ANDs its fields, so two lines.
    return [f"*-{month}-{dom} {time_part}", f"{_weekday_spec(cron.weekdays)} *-{month}-* {time_part}"]


# ---- unit files and crontab lines -------------------------------------------------------------------------

def unit_name(name: str) -> str:
    return f"assess-scan-{name}"


def _systemd_quote(arg: str) -> str:
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if re.search(r"[\s\"'\\;]", escaped) or not escaped:
        escaped = '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return escaped


def scan_argv(config: dict[str, Any]) -> list[str]:
    """The `assess scan` arguments a schedule runs with: its scan options (what a manual scan takes), then
    where runs go, the history and the trigger. Schedules written before `scan` was kept name only the
    inventory, profile and controls."""
    options = config.get("scan")
    if options is None:
        options = [*(["-i", config["inventory"]] if config.get("inventory") else []),
                   "--profile", config.get("profile") or "level3",
                   *(["--controls", config["controls"]] if config.get("controls") else [])]
    return ["scan", *options, "--out", config["out"], "--history", config["history"],
            "--trigger", f"schedule:{config['name']}", "-q"]


def scan_command(config: dict[str, Any]) -> list[str]:
    """The exact command line of the scan a schedule runs (`assess schedule show`)."""
    return [sys.executable, "-m", "assess", *scan_argv(config)]


def command(name: str, conf_dir: Path) -> list[str]:
    """What the timer or cron runs: this interpreter, so the installed assess is the one that runs."""
    return [sys.executable, "-m", "assess", "schedule", "run", name, "--config-dir", str(conf_dir)]


def service_unit(name: str, cmd: list[str], writable: Iterable[Path], system: bool, cron: str) -> str:
    lines = ["[Unit]", f"Description=assess periodic 等保 self-assessment '{name}' ({cron})",
             "Documentation=man:systemd.timer(5)", "Wants=network-online.target", "After=network-online.target",
             "", "[Service]", "Type=oneshot", "ExecStart=" + " ".join(_systemd_quote(a) for a in cmd),
             "Environment=PYTHONUNBUFFERED=1", "Nice=10", "IOSchedulingClass=idle", "TimeoutStartSec=4h",
             "NoNewPrivileges=yes"]
    if system:
        lines += ["ProtectSystem=strict", "ProtectHome=read-only", "ProtectControlGroups=yes",
                  "ProtectKernelModules=yes", "RestrictSUIDSGID=yes", "LockPersonality=yes"]
        if not any(p.is_relative_to(t) for p in writable for t in (Path("/tmp"), Path("/var/tmp"))):
            lines.append("PrivateTmp=yes")  # not when runs are written under /tmp: they would vanish with it
        lines += [f"ReadWritePaths={_systemd_quote(str(p))}" for p in dict.fromkeys(writable)]
    return "\n".join(lines) + "\n"


def timer_unit(name: str, calendars: list[str], random_delay: str, cron: str) -> str:
    lines = ["[Unit]", f"Description=assess periodic 等保 self-assessment '{name}' ({cron})", "", "[Timer]"]
    lines += [f"OnCalendar={c}" for c in calendars]
    lines += ["Persistent=true", f"RandomizedDelaySec={random_delay}", "AccuracySec=1min",
              f"Unit={unit_name(name)}.service", "", "[Install]", "WantedBy=timers.target"]
    return "\n".join(lines) + "\n"


def cron_line(cron: str, cmd: list[str], lock: Path, log: Path) -> str:
    """The crontab job: `flock -n -E 75` against overlap, a full PATH, output appended to a log file."""
    expr = _MACROS.get(cron.strip().lower(), cron.strip())
    shell = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin flock -n -E 75 "
             f"{shlex.quote(str(lock))} {' '.join(shlex.quote(a) for a in cmd)} >> {shlex.quote(str(log))} 2>&1")
    return f"{' '.join(expr.split())} {shell.replace('%', chr(92) + '%')}"


class Crontab:
    """The user's crontab: a plain file (tests, or a crontab kept by configuration management) or `crontab`."""

    def __init__(self, file: Path | None = None, binary: str = "crontab"):
        self.file = file
        self.binary = binary

    def describe(self) -> str:
        return str(self.file) if self.file else f"the crontab of {os.environ.get('USER') or 'this user'}"

    def read(self) -> str:
        if self.file:
            try:
                return self.file.read_text(encoding="utf-8")
            except FileNotFoundError:
                return ""
            except OSError as exc:
                raise InputError(f"cannot read crontab file: {exc.strerror or exc}", str(self.file)) from None
        if shutil.which(self.binary) is None:
            raise InputError("no `crontab` command here (install cron, or use --systemd)")
        proc = subprocess.run([self.binary, "-l"], capture_output=True, text=True, check=False, timeout=30)
        if proc.returncode != 0:
            if "no crontab" in proc.stderr.lower():
                return ""
            raise InputError(f"`crontab -l` failed: {proc.stderr.strip()}")
        return proc.stdout

    def write(self, text: str) -> None:
        if self.file:
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
                safefile.write_text(self.file, text)
            except OSError as exc:
                raise InputError(f"cannot write crontab file: {exc.strerror or exc}", str(self.file)) from None
            return
        proc = subprocess.run([self.binary, "-"], input=text, capture_output=True, text=True, check=False,
                              timeout=30)
        if proc.returncode != 0:
            raise InputError(f"`crontab -` refused the new crontab: {proc.stderr.strip()}")


def crontab_without(text: str, name: str) -> tuple[str, bool]:
    """The crontab text with schedule `name` (marker line and the job after it) removed."""
    lines = text.splitlines()
    out: list[str] = []
    found = False
    skip = False
    for line in lines:
        if skip:
            skip = False
            continue
        if line.strip() == MARKER + name:
            found = skip = True
            continue
        out.append(line)
    return ("\n".join(out) + "\n") if out else "", found


def crontab_with(text: str, name: str, line: str) -> str:
    rest, _ = crontab_without(text, name)
    return rest + f"{MARKER}{name}\n{line}\n"


def crontab_has(text: str, name: str) -> bool:
    return any(line.strip() == MARKER + name for line in text.splitlines())


# ---- schedules on disk ------------------------------------------------------------------------------------

def default_unit_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/etc/systemd/system")
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "systemd" / "user"


def _manager_flag(unit_dir: Path) -> list[str] | None:
    """`systemctl` arguments for the manager that reads `unit_dir`, or None for any other directory."""
    if unit_dir == Path("/etc/systemd/system"):
        return []
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    if unit_dir == Path(base).expanduser() / "systemd" / "user":
        return ["--user"]
    return None


def config_path(conf_dir: Path, name: str) -> Path:
    return conf_dir / f"{check_name(name)}.json"


def load(conf_dir: Path, name: str) -> dict[str, Any]:
    path = config_path(conf_dir, name)
    data = results.read_json_object(path, "a schedule",
                                    f"no schedule named '{name}' in {conf_dir} (see `assess schedule list`)")
    if data.get("name") != name:
        raise InputError("not an assess schedule file", str(path))
    return data


def all_schedules(conf_dir: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(conf_dir.glob("*.json")) if conf_dir.is_dir() else []:
        try:
            out.append(load(conf_dir, path.stem))
        except InputError:
            continue
    return out


def _save(conf_dir: Path, config: dict[str, Any]) -> Path:
    conf_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = config_path(conf_dir, config["name"])
    safefile.write_text(path, json.dumps(config, ensure_ascii=False, indent=1) + "\n")
    return path


def _systemctl(args: list[str]) -> str | None:
    """Run systemctl; None on success, else the error text."""
    if not Path("/run/systemd/system").is_dir() or shutil.which("systemctl") is None:
        return "systemd is not running here"
    proc = subprocess.run(["systemctl", *args], capture_output=True, text=True, check=False, timeout=60)
    return None if proc.returncode == 0 else (proc.stderr.strip() or f"exit {proc.returncode}")


def add(config: dict[str, Any], conf_dir: Path, unit_dir: Path | None, crontab: Crontab | None,
        activate: bool = True) -> list[str]:
    """Install a schedule (config, then units or the crontab line); return messages for the user."""
    name = check_name(config["name"])
    if config_path(conf_dir, name).exists():
        raise InputError(f"a schedule named '{name}' exists already (`assess schedule remove {name}` first)")
    cron = parse_cron(config["cron"])
    if not _DELAY.match(config["random_delay"]):
        raise InputError(f"--random-delay '{config['random_delay']}' must look like 10m, 600 or 1h")
    config["on_calendar"] = on_calendar(cron)
    cmd = command(name, conf_dir)
    state = history.home()
    writable = [Path(config["out"]), Path(config["history"]).parent]
    for d in writable + [state / "logs"]:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
    messages: list[str] = []
    if config["backend"] == "systemd":
        unit_dir = unit_dir or default_unit_dir()
        system = os.geteuid() == 0
        unit = unit_name(name)
        files = {unit_dir / f"{unit}.service": service_unit(name, cmd, writable, system, config["cron"]),
                 unit_dir / f"{unit}.timer": timer_unit(name, config["on_calendar"], config["random_delay"],
                                                        config["cron"])}
        try:
            unit_dir.mkdir(parents=True, exist_ok=True)
            for path, text in files.items():
                safefile.write_text(path, text, mode=0o644)
        except OSError as exc:
            raise InputError(f"cannot write units to {unit_dir}: {exc.strerror or exc}") from None
        config["files"] = [str(p) for p in files]
        config["unit_dir"] = str(unit_dir)
        flag = _manager_flag(unit_dir)
        enable = " ".join(["systemctl", *(flag or []), "enable", "--now", f"{unit}.timer"])
        reload_cmd = " ".join(["systemctl", *(flag or []), "daemon-reload"])
        config["activated"] = False
        messages += [f"wrote {p}" for p in files]
        if activate and flag is not None:
            error = _systemctl([*flag, "daemon-reload"]) or _systemctl([*flag, "enable", "--now", f"{unit}.timer"])
            if error is None:
                config["activated"] = True
                messages.append(f"enabled {unit}.timer")
            else:
                messages.append(f"not enabled ({error}); run: {reload_cmd} && {enable}")
        else:
            messages.append(f"to enable it: {reload_cmd} && {enable}")
        if flag == ["--user"]:
            messages.append("a user timer runs only while you are logged in, unless: loginctl enable-linger")
    else:
        crontab = crontab or Crontab()
        line = cron_line(config["cron"], cmd, state / f"schedule-{name}.cron.lock", state / "logs" / f"{name}.log")
        crontab.write(crontab_with(crontab.read(), name, line))
        config["crontab_file"] = str(crontab.file) if crontab.file else None
        config["files"] = []
        messages.append(f"added to {crontab.describe()}: {line}")
    config["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    messages.insert(0, f"saved {_save(conf_dir, config)}")
    return messages


def remove(conf_dir: Path, name: str, crontab: Crontab | None = None) -> list[str]:
    config = load(conf_dir, name)
    messages: list[str] = []
    if config["backend"] == "systemd":
        flag = _manager_flag(Path(config["unit_dir"]))
        if config.get("activated") and flag is not None:
            error = _systemctl([*flag, "disable", "--now", f"{unit_name(name)}.timer"])
            messages.append(f"disabled {unit_name(name)}.timer" if error is None else f"could not disable: {error}")
        for f in config.get("files") or []:
            Path(f).unlink(missing_ok=True)
            messages.append(f"removed {f}")
        if config.get("activated") and flag is not None:
            _systemctl([*flag, "daemon-reload"])
    else:
        crontab = crontab or Crontab(Path(config["crontab_file"]) if config.get("crontab_file") else None)
        text, found = crontab_without(crontab.read(), name)
        if found:
            crontab.write(text)
            messages.append(f"removed the line from {crontab.describe()}")
        else:
            messages.append(f"no line for '{name}' in {crontab.describe()}")
    config_path(conf_dir, name).unlink()
    messages.append(f"removed {config_path(conf_dir, name)}")
    return messages


def installed(config: dict[str, Any]) -> bool:
    if config["backend"] == "systemd":
        return all(Path(f).is_file() for f in config.get("files") or [])
    try:
        crontab = Crontab(Path(config["crontab_file"]) if config.get("crontab_file") else None)
        return crontab_has(crontab.read(), config["name"])
    except (InputError, OSError, subprocess.SubprocessError):
        return False


def load_env_file(conf_dir: Path, name: str) -> list[str]:
    """`<config dir>/NAME.env` (KEY=VALUE lines, e.g. the robot's signing secret) into the environment,
    without overriding variables already set; return the names loaded."""
    path = conf_dir / f"{name}.env"
    loaded: list[str] = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return loaded
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            raise InputError("expected KEY=VALUE", str(path), number)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key not in os.environ:
            os.environ[key] = value
            loaded.append(key)
    return loaded
