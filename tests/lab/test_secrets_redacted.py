"""Planted credentials never leave the host (issue 12 item 7, issue 17 item 12), and redaction changes no verdict.

A lab host (tree `debian-secrets`: debian-hardened plus credentials in /etc/environment, a profile script,
cron jobs, a systemd timer's unit and a logrotate script) is scanned over SSH, together with database and
middleware objects whose configuration files carry credentials (MySQL option files with a commented
`password` and a `[mysqldump]` password in conf.d, redis `tls-key-file-pass` and a commented `requirepass`,
nginx `proxy_set_header X-Api-Key`, PostgreSQL `ldapbindpasswd` on a pg_hba.conf line; no server runs, so
their verdicts come from the files). The same scan is run a second time with the host-side filter and its
Python twin switched off: the planted values must be in that run's evidence (the test would fail without
redaction) and nowhere in the redacted run (evidence, results.json, report.html, the signed bundle), while
every check of both runs has the same status.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assess import reports
from assess.bundle import create
from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.errors import InputError
from assess.inventory import load as inventory
from assess.probes import redact
from assess.run import scan
from tests.conftest import lab_unavailable
from tests.lab import sshd
from tests.lab.databases import free_port

pytestmark = pytest.mark.lab

#: Every value planted on the lab host (tests/lab/hosts/debian-secrets) and in the service configurations.
PLANTED = (
    "AKIAIOSFODNN7LABKEY1", "wJalrXUtnFEMIK7MDENGbPxRfiCY", "Pl4nted-DbPw", "ghp_Pl4ntedGithubToken",
    "sk-Pl4ntedOpenAiKey", "LTAI5tPl4ntedAliKey01", "Pl4ntedAliSecret", "Pl4ntedCurlPw", "Pl4ntedRedisCliPw",
    "Pl4ntedLftpPw", "Pl4ntedSmbPw", "Pl4ntedLdapPw", "Pl4ntedZipPw", "Pl4ntedMysqladminPw", "Pl4ntedDumpPw",
    "Pl4ntedRotatePw", "Pl4ntedUnitPw",
    "Pl4ntedMyCnfPw", "Pl4ntedOldMyCnfPw", "Pl4ntedMysqldumpPw", "Pl4ntedRedisKeyPass", "Pl4ntedOldRequirepass",
    "Pl4ntedRequirepass", "Pl4ntedNginxApiKey", "Pl4ntedPgLdapBind",
)
SERVICE_FILES = {
    "mysql/my.cnf": "[client]\n#password = Pl4ntedOldMyCnfPw\npassword = Pl4ntedMyCnfPw\n\n[mysqld]\n"
                    "bind-address = 127.0.0.1\nlocal-infile = 0\n\n!includedir {root}/mysql/conf.d/\n",
    "mysql/conf.d/backup.cnf": "[mysqldump]\nuser = backup\npassword = \"Pl4ntedMysqldumpPw\"\n",
    "redis.conf": "bind 127.0.0.1\nport 6379\nprotected-mode yes\n# requirepass Pl4ntedOldRequirepass\n"
                  "requirepass Pl4ntedRequirepass\ntls-key-file-pass Pl4ntedRedisKeyPass\n",
    "pg_hba.conf": "local all postgres peer\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
                   "hostssl app app 10.0.0.0/8 ldap ldapserver=ldap.lab ldapbinddn=\"cn=pg,dc=lab\" "
                   "ldapbindpasswd=Pl4ntedPgLdapBind ldapbasedn=\"dc=lab\"\n",
    "nginx/nginx.conf": "worker_processes 1;\npid logs/nginx.pid;\nerror_log logs/error.log;\n"
                        "events { worker_connections 64; }\nhttp {\n  server_tokens off;\n"
                        "  server { listen 127.0.0.1:{port}; location /api/ { proxy_pass http://127.0.0.1:9;\n"
                        "    proxy_set_header X-Api-Key Pl4ntedNginxApiKey; } }\n}\n",
}


@pytest.fixture(scope="module")
def lab() -> Iterator[sshd.Lab]:
    reason = sshd.unavailable()
    if reason:
        lab_unavailable(reason)
    running = sshd.Lab.start((sshd.NodeSpec("deb-secrets", "debian-secrets"),))
    try:
        yield running
    finally:
        running.stop()


def service_objects(root: Path) -> list[dict]:
    """Database and middleware objects reading the planted files (no server listens on their ports)."""
    for rel, text in SERVICE_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{root}", str(root)).replace("{port}", str(free_port())))
    (root / "nginx" / "logs").mkdir()
    local = {"transport": "local"}
    return [
        {"id": "mysql-planted", "type": "database", "engine": "mariadb", "socket": str(root / "none.sock"),
         "config": str(root / "mysql/my.cnf"), **local},
        {"id": "redis-planted", "type": "database", "engine": "redis", "address": "127.0.0.1", "port": free_port(),
         "config": str(root / "redis.conf"), **local},
        {"id": "pg-planted", "type": "database", "engine": "postgresql", "address": "127.0.0.1", "port": free_port(),
         "hba_file": str(root / "pg_hba.conf"), **local},
        {"id": "nginx-planted", "type": "middleware", "engine": "nginx", "binary": shutil.which("nginx") or "nginx",
         "prefix": str(root / "nginx"), "config": str(root / "nginx/nginx.conf"), **local},
    ]


def run_scan(lab: sshd.Lab, tmp: Path) -> Path:
    objects = [{"id": "deb-secrets", "address": "127.0.0.1", "port": lab.host("deb-secrets").ssh_port},
               *service_objects(tmp / "services")]
    path = lab.inventory(tmp / "inventory.yaml", objects)
    catalog = catalog_mod.load()
    profile = profile_mod.load("level3", catalog)
    outcome = scan.run(catalog, profile, inventory.load(path, ssh_config=False), tmp / "runs", concurrency=2)
    reports.render(outcome.document, outcome.run_dir, ["html", "md", "junit", "oscal"])
    return outcome.run_dir


def statuses(run_dir: Path) -> dict[tuple[str, str], str]:
    import json

    doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return {(c["check"], r["object"]): c["status"] for r in doc["results"] for c in r["checks"]}


def found(root: Path) -> dict[str, list[str]]:
    """Planted values → files under `root` (zip members included) that contain them."""
    hits: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        blobs = [(str(path), path.read_bytes())]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                blobs += [(f"{path}!{n}", zf.read(n)) for n in zf.namelist()]
        for name, data in blobs:
            text = data.decode("utf-8", "replace")
            for secret in PLANTED:
                if secret in text:
                    hits.setdefault(secret, []).append(name)
    return hits


@pytest.fixture(scope="module")
def runs(lab: sshd.Lab, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not shutil.which("nginx"):
        lab_unavailable("nginx is not installed")
    redacted = run_scan(lab, tmp_path_factory.mktemp("redacted"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(redact, "SHELL", "_RX=1\n_redact() { cat; }\n")
        mp.setattr(redact, "text", lambda value, keep=("@@",): value)
        plain = run_scan(lab, tmp_path_factory.mktemp("plain"))
    return {"redacted": redacted, "plain": plain}


def test_planted_secrets_reach_an_unredacted_run(runs):
    """The fixture plants what it claims: without the filter every value is in the evidence (but the active
    requirepass, which the redis probe judged on the host before this work)."""
    missing = sorted(set(PLANTED) - set(found(runs["plain"] / "evidence")) - {"Pl4ntedRequirepass"})
    assert not missing, f"planted values not collected at all: {missing}"


def test_no_planted_secret_anywhere_in_the_run_or_its_bundle(runs, tmp_path):
    run = runs["redacted"]
    assert (run / "report.html").is_file() and (run / "results.json").is_file()
    bundle = tmp_path / "bundle" / "run.zip"
    bundle.parent.mkdir()
    create.create(run, bundle, operator="lab")
    hits = found(run) | found(bundle.parent)
    assert not hits, "planted secrets left the host:\n" + "\n".join(f"{s}: {w}" for s, w in sorted(hits.items()))


def test_the_bundle_scan_refuses_the_unredacted_run(runs, tmp_path):
    """The second net: a run whose evidence holds the planted values is not bundled, and says where."""
    with pytest.raises(InputError) as err:
        create.create(runs["plain"], tmp_path / "b.zip", operator="lab")
    message = str(err.value)
    assert "refusing to bundle" in message and "evidence/deb-secrets.json" in message
    for secret in PLANTED:
        assert secret not in message


def test_redaction_changes_no_verdict(runs):
    redacted, plain = statuses(runs["redacted"]), statuses(runs["plain"])
    assert redacted.keys() == plain.keys()
    changed = {k: (plain[k], redacted[k]) for k in plain if plain[k] != redacted[k]}
    assert not changed, f"verdicts changed by redaction: {changed}"
    assert {"deb-secrets", "mysql-planted", "redis-planted", "pg-planted", "nginx-planted"} <= {o for _c, o in redacted}


def test_what_checks_need_survives(runs):
    """A redacted secret still says what the checks read: redis requirepass set with its length, the idle
    timeout, the backup jobs' tools, pg_hba's method."""
    import json

    evidence = runs["redacted"] / "evidence"
    redis = json.loads((evidence / "redis-planted.json").read_text(encoding="utf-8"))["facts"]
    assert redis["redis_settings"]["value"]["requirepass"] == {"set": True, "length": 18, "foobared": False}
    linux = json.loads((evidence / "deb-secrets.json").read_text(encoding="utf-8"))
    assert "TMOUT=600" in linux["raw"]["shell_session"]["output"]
    jobs = json.dumps(linux["facts"]["scheduled_jobs"]["value"])
    assert "mysqldump -uroot -p<redacted>" in jobs and "lftp -u <redacted>" in jobs
    hba = json.loads((evidence / "pg-planted.json").read_text(encoding="utf-8"))["facts"]["pg_hba"]["value"]
    assert [r["method"] for r in hba["records"]] == ["peer", "scram-sha-256", "ldap"]
