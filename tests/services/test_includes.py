"""Included configuration, run through the real collector script against fixture roots: Redis `include`
(files and globs, read in place), the running server's own ports from INFO server, where Redis' log goes,
and pg_hba.conf `include` / `include_dir` / `include_if_exists`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.judge.evaluate import run_check
from assess.model import FactResult
from assess.probes import script
from assess.probes.facts import FactUnavailable, Section
from assess.probes.registry import facts_for, setup

_CATALOG = catalog_mod.load()
_PARAMS = profile_mod.load("level3", _CATALOG).parameters


def collect(root: Path, engine: str, names: list[str], **settings: Any) -> dict[str, FactResult]:
    """The named database facts of a server that cannot be reached (port 1), collected from `root`."""
    registry = facts_for("database")
    facts = [registry[n] for n in names]
    block = setup("database", engine, {"address": "127.0.0.1", "port": 1, **settings}, environ={})
    text, token = script.build(facts, root=str(root), setup=block)
    proc = subprocess.run(["/bin/sh", "-s"], input=text.encode(), capture_output=True, timeout=60, check=False)
    sections = script.split(proc.stdout.decode(), token, names).sections
    out = {}
    for fact in facts:
        try:
            out[fact.name] = FactResult(fact.name, "ok", fact.parse(sections[fact.name]))
        except FactUnavailable as exc:
            out[fact.name] = FactResult(fact.name, "error", None, str(exc))
    return out


def judge(check_id: str, facts: dict[str, FactResult]) -> str:
    return run_check(_CATALOG.checks[check_id], facts, _PARAMS).status


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def test_redis_included_files_are_read_in_place(tmp_path: Path):
    """The shipped redis.conf keeps `port 6379` and includes a TLS file (`port 0`, tls-port): TLS only. A glob
    include is read in name order, and a directive after an include line overrides it."""
    write(tmp_path, {
        "/etc/redis/redis.conf": "bind 0.0.0.0\nport 6379\ntimeout 0\ninclude /etc/redis/tls.conf\n"
                                 "include /etc/redis/conf.d/*.conf\nloglevel verbose\n",
        "/etc/redis/tls.conf": "port 0\ntls-port 6380\nrequirepass Sup3r-secret-pw\n",
        "/etc/redis/conf.d/10-a.conf": "timeout 100\nlogfile /var/log/redis/a.log\n",
        "/etc/redis/conf.d/20-b.conf": "timeout 200\n",
    })
    facts = collect(tmp_path, "redis", ["redis_settings"], config="/etc/redis/redis.conf")
    settings = facts["redis_settings"].value
    assert settings["port"] == 0 and settings["tls-port"] == 6380 and settings["timeout"] == 200
    assert settings["requirepass"]["set"] and settings["loglevel"] == "verbose"
    assert settings["config_files"] == ["/etc/redis/redis.conf", "/etc/redis/tls.conf",
                                        "/etc/redis/conf.d/10-a.conf", "/etc/redis/conf.d/20-b.conf"]
    assert "Sup3r-secret-pw" not in str(facts)
    assert judge("redis.tls_only", facts) == "pass"
    assert judge("redis.idle_timeout", facts) == "pass"


@pytest.mark.parametrize(("info", "port", "tls_port"), [
    ("tcp_port:0\nlistener0:name=tls,bind=10.0.0.5,port=6390", 0, 6390),   # Redis ≥ 7.2 lists its listeners
    ("tcp_port:6380", 0, 6380),  # Redis < 7.2: tcp_port is the TLS port when port is 0
    ("tcp_port:6379", 6379, 6380),
])
def test_redis_running_ports_from_info_server(info: str, port: int, tls_port: int):
    """INFO server is the running server's own view: it wins over the files when CONFIG is renamed away."""
    text = ("@@F /etc/redis/redis.conf\nport 6379\ntls-port 6380\nbind 10.0.0.5\n@@C redis-cli config\n"
            f"ERR unknown command 'CONFIG'\n@@RC 1\n@@C redis-cli server\n{info}\n@@RC 0")
    settings = facts_for("database")["redis_settings"].parse(Section("redis_settings", text, 0))
    assert (settings["port"], settings["tls-port"], settings["source"]) == (port, tls_port, "file+info")


@pytest.mark.parametrize(("conf", "expected"), [
    ('daemonize no\nlogfile ""\n', "stdout"),                      # the service manager keeps it
    ('daemonize yes\nlogfile ""\nsyslog-enabled yes\n', "syslog"),
    ("daemonize yes\ninclude /etc/redis/log.conf\n", "file"),
])
def test_redis_log_destination(tmp_path: Path, conf: str, expected: str):
    write(tmp_path, {"/etc/redis/redis.conf": conf, "/etc/redis/log.conf": "logfile /var/log/redis/r.log\n",
                     "/var/log/redis/r.log": ""})
    (tmp_path / "var/log/redis/r.log").chmod(0o666)
    facts = collect(tmp_path, "redis", ["redis_log_files"], config="/etc/redis/redis.conf")
    logs = facts["redis_log_files"].value
    assert logs["destination"] == expected
    assert judge("redis.log_records", facts) == ("fail" if expected == "none" else "pass")
    if expected == "file":
        assert logs["writable_by_others"] and judge("redis.log_permissions", facts) == "fail"


@pytest.mark.parametrize(("supervised", "expected"), [("no", "none"), ("systemd", "stdout")])
def test_redis_log_to_dev_null_only_when_the_server_daemonized(supervised: str, expected: str):
    """`logfile ""` + `daemonize yes`: INFO server's process_supervised says whether the server put itself in
    the background (stdout → /dev/null) or runs under systemd, which never daemonizes it."""
    text = ('@@F /etc/redis/redis.conf\ndaemonize yes\nlogfile ""\n@@X redis-cli\n'
            f"@@C redis-cli server\nprocess_supervised:{supervised}\n@@RC 0")
    logs = facts_for("database")["redis_log_files"].parse(Section("redis_log_files", text, 0))
    assert logs["destination"] == expected
    facts = {"redis_log_files": FactResult("redis_log_files", "ok", logs)}
    want = "fail" if expected == "none" else "pass"
    assert judge("redis.log_records", facts) == want
    assert judge("redis.log_permissions", facts) == want  # no log is no protected log


def test_redis_log_destination_unknown_without_the_running_server(tmp_path: Path):
    """`logfile ""` with `daemonize yes` in the file, and neither INFO nor CONFIG: the command line (Debian
    starts redis with --supervised systemd --daemonize no) decides, so it is unknown, not "off"."""
    write(tmp_path, {"/etc/redis/redis.conf": 'daemonize yes\nlogfile ""\n'})
    facts = collect(tmp_path, "redis", ["redis_log_files"], config="/etc/redis/redis.conf")
    assert facts["redis_log_files"].status == "error" and "+info" in facts["redis_log_files"].reason
    assert judge("redis.log_records", facts) == "error"


def test_pg_hba_included_files_are_followed(tmp_path: Path):
    """PostgreSQL ≥ 16 reads `include_dir`, `include` and `include_if_exists` in place: a trust line in an
    included file is judged like one in pg_hba.conf itself."""
    write(tmp_path, {
        "/etc/postgresql/16/main/pg_hba.conf": "local all postgres peer\ninclude_dir hba.d\n"
                                               "include_if_exists missing.conf\ninclude /etc/postgresql/extra.conf\n",
        "/etc/postgresql/16/main/hba.d/10-app.conf": "host all all 0.0.0.0/0 trust\n",
        "/etc/postgresql/16/main/hba.d/README": "host all all 0.0.0.0/0 password\n",  # not *.conf: not read
        "/etc/postgresql/extra.conf": "hostssl appdb app 10.0.0.0/8 scram-sha-256\n",
    })
    facts = collect(tmp_path, "postgresql", ["pg_hba"], hba_file="/etc/postgresql/16/main/pg_hba.conf")
    hba = facts["pg_hba"].value
    assert hba["trust"] == ["/etc/postgresql/16/main/hba.d/10-app.conf line 1: host all all 0.0.0.0/0 trust"]
    assert [r["type"] for r in hba["records"]] == ["local", "include_dir", "host", "include_if_exists", "include",
                                                   "hostssl"]
    assert judge("pg.hba_trust", facts) == "fail"


def test_pg_hba_missing_include_is_unknown(tmp_path: Path):
    write(tmp_path, {"/etc/pg/pg_hba.conf": "include other.conf\n"})
    facts = collect(tmp_path, "postgresql", ["pg_hba"], hba_file="/etc/pg/pg_hba.conf")
    assert facts["pg_hba"].status == "error" and "other.conf does not exist" in facts["pg_hba"].reason
