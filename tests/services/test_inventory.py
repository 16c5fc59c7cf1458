"""Database and middleware objects in the inventory: reached through their host, problems as file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.errors import LintErrors
from assess.inventory import load as inventory


def load(tmp_path: Path, text: str):
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return {t.id: t for t in inventory.load(path, ssh_config=False)}


def test_database_reached_through_its_ssh_host_declared_later(tmp_path, monkeypatch):
    monkeypatch.setenv("DB_PW", "x")
    targets = load(tmp_path, """
objects:
  - {id: orders-db, type: database, engine: mysql, host: db1, port: 3307, user: assess, password_env: DB_PW}
  - {id: web, type: middleware, engine: tomcat, host: db1, catalina_base: /var/lib/tomcat10}
  - {id: db1, type: linux, address: 10.0.0.5, user: ops, port: 2222}
""")
    db = targets["orders-db"]
    assert db.connection["transport"] == "ssh" and db.connection["via"] == "db1"
    assert (db.connection["host"], db.connection["port"], db.connection["user"]) == ("10.0.0.5", 2222, "ops")
    assert db.connection["service"]["port"] == 3307 and db.connection["service"]["password_env"] == "DB_PW"
    assert db.address == "10.0.0.5" and "x" not in str(db.public())
    assert targets["web"].connection["service"]["catalina_base"] == "/var/lib/tomcat10"


def test_local_database(tmp_path):
    db = load(tmp_path, "objects:\n  - {id: c, type: database, engine: redis, transport: local, socket: /run/r.sock}\n")["c"]
    assert db.connection == {"transport": "local", "service": {"socket": "/run/r.sock", "address": None}}


@pytest.mark.parametrize(("line", "message"), [
    ("{id: d, type: database, engine: mysql}", "needs host: <id of the linux object"),
    ("{id: d, type: database, engine: mysql, host: nope}", "host 'nope' is not in this inventory"),
    ("{id: d, type: database, engine: mysql, host: w}", "host 'w' is a webapp object, not linux"),
    ("{id: d, type: database, engine: mysql, transport: local, host: h}", "either host or transport: local"),
    ("{id: d, type: database, engine: mysql, transport: local, config: etc/my.cnf}", "config must be an absolute path"),
    ("{id: d, type: database, engine: mysql, transport: local, password_env: ASSESS_UNSET_X}", "is not set"),
    ("{id: d, type: database, transport: local}", "needs an engine"),
    ("{id: d, type: database, engine: nginx, transport: local}", "unknown engine 'nginx' for database"),
    ("{id: d, type: middleware, engine: tomcat, transport: local, password: x}", "secrets never live in the inventory"),
    ("{id: d, type: middleware, engine: nginx, transport: local, port: 80}", "unknown"),
])
def test_problems_name_the_line(tmp_path, line, message):
    text = ("objects:\n  - {id: h, type: linux, transport: local}\n  - {id: w, type: webapp, url: https://x.test/}\n"
            f"  - {line}\n")
    with pytest.raises(LintErrors) as exc:
        load(tmp_path, text)
    problems = "\n".join(exc.value.problems)
    assert message in problems and "inventory.yaml:4:" in problems
