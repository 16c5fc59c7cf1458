"""Check outcomes the lab cannot show (MySQL-only plugins, replication, backups, audit rules …): the real
parsers read recorded sections, and the real checks judge their values. Together with test_lab.py every
database and middleware check has a passing and a failing case."""

from __future__ import annotations

from typing import Any

import pytest

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.judge.evaluate import run_check
from assess.model import FactResult
from assess.probes.facts import FactUnavailable, Section, facts_for

_CATALOG = catalog_mod.load()
_PARAMS = profile_mod.load("level3", _CATALOG).parameters


def parsed(object_type: str, name: str, text: str) -> Any:
    return facts_for(object_type)[name].parse(Section(name, text.strip("\n"), 0))


def judge(check_id: str, **values: Any) -> str:
    check = _CATALOG.checks[check_id]
    facts = {n: FactResult(n, "ok", v) for n, v in values.items()}
    return run_check(check, facts, _PARAMS).status


def db(name: str, text: str) -> Any:
    return parsed("database", name, text)


def mw(name: str, text: str) -> Any:
    return parsed("middleware", name, text)


def variables(rows: str) -> dict:
    return db("mysql_variables", "@@C mysql variables\n" + rows.replace("|", "\t") + "\n@@RC 0")


def accounts(rows: str) -> dict:
    return db("mysql_accounts", "@@C mysql accounts\n" + rows.replace("|", "\t") + "\n@@RC 0")


APP = "app|%|mysql_native_password|set|N|false|-1|90|N|N|N|N||N"


def test_mysql_validate_password_and_connection_control():
    strong = variables("validate_password.policy|MEDIUM\nvalidate_password.length|8\nvalidate_password.mixed_case_count|1\n"
                       "validate_password.number_count|1\nvalidate_password.special_char_count|1\nversion|8.0.36\n"
                       "connection_control_failed_connections_threshold|5\nconnection_control_min_connection_delay|60001")
    weak = variables("validate_password.policy|LOW\nvalidate_password.length|6\nversion|8.0.36")
    assert strong["flavor"] == "mysql"
    assert judge("mysql.password_policy", mysql_variables=strong) == "pass"
    assert judge("mysql.password_policy", mysql_variables=weak) == "fail"
    assert judge("mysql.connection_control", mysql_variables=strong) == "pass"
    assert judge("mysql.connection_control", mysql_variables=weak) == "fail"


def test_mysql_9_connection_control_component():
    component = variables("version|9.3.0\ncomponent_connection_control.failed_connections_threshold|5\n"
                          "component_connection_control.min_connection_delay|60001")
    assert judge("mysql.connection_control", mysql_variables=component) == "pass"
    lax = variables("version|9.3.0\ncomponent_connection_control.failed_connections_threshold|0\n"
                    "component_connection_control.min_connection_delay|1000")
    assert judge("mysql.connection_control", mysql_variables=lax) == "fail"


def test_mysql_84_tls_without_have_ssl():
    # MySQL 8.4 removed have_ssl: require_secure_transport decides
    assert judge("mysql.tls_required", mysql_variables=variables("version|8.4.3\nrequire_secure_transport|ON")) == "pass"
    assert judge("mysql.tls_required", mysql_variables=variables("version|8.4.3\nrequire_secure_transport|OFF")) == "fail"
    assert judge("mysql.tls_required", mysql_variables=variables(
        "version|8.0.36\nhave_ssl|DISABLED\nrequire_secure_transport|ON")) == "fail"


def test_mysql_skip_grant_tables_and_expired_accounts():
    cfg = {"files": ["/etc/my.cnf"], "mysqld": {"skip_grant_tables": "ON"}, "denied": []}
    assert judge("mysql.skip_grant_tables", mysql_config=cfg) == "fail"
    expired = accounts(APP.replace("|set|N|", "|set|Y|"))
    assert expired["expired_unlocked"] == ["app@%"]
    assert judge("mysql.expired_accounts", mysql_accounts=expired) == "fail"
    assert judge("mysql.expired_accounts", mysql_accounts=accounts(APP)) == "pass"


def test_mysql_accounts_never_see_a_hash_and_lifetime_default_applies():
    a = accounts(APP)
    assert a["login"] == [{"account": "app@%", "lifetime_days": 90}]
    assert judge("mysql.password_lifetime", mysql_accounts=a) == "pass"


BACKUPS = """
/etc/cron.d/db:3:30 2 * * * root mysqldump -uroot -p<redacted> --all-databases | gzip > /b/db.gz
/etc/cron.d/db:4:0 3 * * * postgres pg_basebackup -D /b/pg -Ft -z
unreadable: /var/spool/cron/crontabs/root
"""


def test_backup_jobs_by_engine():
    jobs = db("database_backup_jobs", BACKUPS)
    assert jobs["mysql"] == ["mysqldump"] and jobs["postgresql"] == ["pg_basebackup"] and jobs["redis"] == []
    assert jobs["unreadable"] == ["/var/spool/cron/crontabs/root"]
    assert judge("mysql.backup_job", database_backup_jobs=jobs) == "pass"
    assert judge("pg.backup_job", database_backup_jobs=jobs) == "pass"


def test_backup_snippet_blanks_passwords(tmp_path):
    import subprocess

    from assess.probes import script

    (tmp_path / "etc/cron.d").mkdir(parents=True)
    (tmp_path / "etc/cron.d/db").write_text("# mysqldump -pcommented\n30 2 * * * root mysqldump -uroot -pS3cret "
                                            "--password=Other1 all | redis-cli -a Pw3 --rdb x\n")
    f = facts_for("database")["database_backup_jobs"]
    text, token = script.build([f], root=str(tmp_path))
    out = subprocess.run(["sh", "-s"], input=text, capture_output=True, text=True, check=True).stdout
    section = script.split(out, token, [f.name]).sections[f.name]
    assert "S3cret" not in section.text and "Other1" not in section.text and "Pw3" not in section.text
    assert len(f.parse(section)["jobs"]) == 1  # the commented line is no job


def test_replication_evidence():
    replica = db("mysql_replication", "@@C mysql replica\n*************************** 1. row ***\n"
                 "Slave_IO_State: Waiting\nMaster_Host: 10.0.0.5\nMaster_Port: 3306\nSlave_IO_Running: Yes\n@@RC 0\n"
                 "@@C mysql replicas\n@@RC 0")
    assert replica["source"] == "10.0.0.5:3306" and replica["io_running"] == "Yes"
    assert judge("mysql.replication", mysql_replication=replica) == "pass"
    standby = db("pg_replication", "@@C psql replication\nt\t0\n@@RC 0")
    assert judge("pg.replication", pg_replication=standby) == "pass"
    info = db("redis_info", "@@C redis-cli info\nredis_version:7.0.15\n@@RC 0\n"
              "@@C redis-cli replication\nrole:master\nconnected_slaves:2\n@@RC 0")
    assert judge("redis.replication", redis_info=info) == "pass"


def test_pg_lockout_and_log_permissions():
    settings = db("pg_settings", "@@C psql settings\nshared_preload_libraries\tcredcheck,pg_stat_statements\t\n"
                  "credcheck.max_auth_failure\t3\t\nlog_file_mode\t0644\t\n@@RC 0")
    assert settings["preload"] == ["credcheck", "pg_stat_statements"] and settings["log_file_mode"] == "0644"
    assert judge("pg.lockout", pg_settings=settings) == "pass"
    logs = db("pg_log_files", "@@C psql logdir\n/d\tlog\n@@RC 0\n644 postgres postgres /d/log/postgresql.log")
    assert judge("pg.log_permissions", pg_settings=settings, pg_log_files=logs) == "fail"


def test_redis_default_password_and_dangerous_commands():
    acl = db("redis_acl", "@@C redis-cli acl\nuser default on #<sha256:foobared> ~* &* +@all\n"
             "user app on #<sha256> ~* +@all\n@@RC 0")
    settings = {"requirepass": {"set": True, "length": 8, "foobared": True}, "disabled_commands": []}
    assert judge("redis.default_password", redis_acl=acl, redis_settings=settings) == "fail"
    assert judge("redis.dangerous_commands", redis_acl=acl, redis_settings=settings) == "fail"
    renamed = {**settings, "disabled_commands": ["CONFIG", "FLUSHALL", "KEYS"]}
    assert judge("redis.dangerous_commands", redis_acl=acl, redis_settings=renamed) == "pass"


NGINX = """@@C nginx version
nginx version: nginx/1.24.0
@@RC 0
@@C nginx dump
# configuration file /etc/nginx/nginx.conf:
http {
    log_format bare '$request';
    access_log /var/log/nginx/access.log bare;
    server { listen 443 ssl; ssl_protocols TLSv1.1 TLSv1.2; }
}
@@RC 0"""


def test_nginx_log_format_and_protocols():
    cfg = mw("nginx_config", NGINX)
    assert cfg["version"] == "1.24.0"
    assert judge("nginx.log_format", nginx_config=cfg) == "fail"
    assert judge("nginx.tls_protocols", nginx_config=cfg) == "fail"
    audit = mw("nginx_audit", "@@C auditctl -l\n-w /etc/nginx/ -p wa -k nginx-conf\n@@RC 0")
    assert judge("nginx.audit_rules", nginx_audit=audit) == "pass"


def test_tomcat_manager_restriction_and_ajp():
    apps = mw("tomcat_apps", "base: /t\napp: ROOT\napp: manager\n@@F /t/webapps/manager/META-INF/context.xml\n"
              "<Context><Manager sessionAttributeValueClassNameFilter=\"x\"/></Context>")
    assert apps["managers_unrestricted"] == ["manager"]
    assert judge("tomcat.manager_restricted", tomcat_apps=apps) == "fail"
    def ajp(attrs: str) -> dict:
        return mw("tomcat_server", f'@@F /t/conf/server.xml\n<Server><Service><Connector port="8009" '
                  f'protocol="AJP/1.3" {attrs}/></Service></Server>')
    # Tomcat >= 9.0.31 / 8.5.51 / 7.0.100: no address means loopback only, so no Ghostcat from other hosts
    assert judge("tomcat.ajp_secret", tomcat_server=ajp('secretRequired="false"')) == "pass"
    assert judge("tomcat.ajp_secret", tomcat_server=ajp('secret="[redacted]"')) == "pass"
    assert judge("tomcat.ajp_secret", tomcat_server=ajp('address="0.0.0.0" secretRequired="false"')) == "fail"
    # the pre-fix default connector: every address, no secret (the Ghostcat case itself)
    assert judge("tomcat.ajp_secret", tomcat_server=ajp('redirectPort="8443"')) == "fail"
    assert judge("tomcat.ajp_secret", tomcat_server=ajp('address="127.0.0.1" redirectPort="8443"')) == "pass"


def test_missing_client_and_failed_query_are_unavailable():
    with pytest.raises(FactUnavailable, match="mysql client not installed"):
        db("mysql_variables", "@@X mysql")
    with pytest.raises(FactUnavailable, match="Access denied"):
        db("mysql_accounts", "@@C mysql accounts\ncannot connect to the server: ERROR 1045 (28000): Access denied "
           "for user 'assess'@'localhost' (using password: YES)\n@@RC 1")
    with pytest.raises(FactUnavailable, match="redis-cli not installed"):
        db("redis_acl", "@@X redis-cli")
    with pytest.raises(FactUnavailable, match="pg_hba.conf location unknown"):
        db("pg_hba", "hba_file unknown: cannot connect to the server: refused")


def test_pg_password_expiry_ignores_roles_without_a_password():
    def passwords(text: str) -> dict:
        return db("pg_passwords", "@@C psql passwords\n" + text.replace("|", "\t") + "\n@@RC 0")
    # Debian's postgres role logs in by peer only and has no password: nothing to expire
    peer_only = passwords("postgres|t||none\napp|t|2026-12-31 00:00:00+00|scram")
    assert peer_only["no_expiry"] == []
    assert judge("pg.password_expiry", pg_passwords=peer_only) == "pass"
    no_expiry = passwords("postgres|t||none\napp|t|infinity|scram\nold|f||md5")
    assert judge("pg.password_expiry", pg_passwords=no_expiry) == "fail"
    assert no_expiry["weak_storage"] == []  # a role that cannot log in does not count


def test_pg_passwords_unreadable_is_unknown_with_the_privilege_named():
    with pytest.raises(FactUnavailable, match="readable only by a superuser.*assess_password_kinds"):
        db("pg_passwords", "@@C psql passwords\nERROR:  permission denied for table pg_authid\n@@RC 1")


def test_tomcat_behind_an_https_proxy_on_loopback():
    def server(connectors: str) -> dict:
        return mw("tomcat_server", f"@@F /t/conf/server.xml\n<Server><Service>{connectors}</Service></Server>")
    proxied = server('<Connector port="8080" address="127.0.0.1" protocol="HTTP/1.1" scheme="https" '
                     'secure="true" proxyPort="443"/>')
    assert proxied["plain_http"] == [] and proxied["behind_https_proxy"] == ["8080 HTTP/1.1"]
    assert judge("tomcat.https_only", tomcat_server=proxied) == "pass"
    valve = server('<Connector port="8080" address="127.0.0.1"/><Engine name="C"><Valve '
                   'className="org.apache.catalina.valves.RemoteIpValve"/></Engine>')
    assert judge("tomcat.https_only", tomcat_server=valve) == "pass"
    # reachable from other hosts, or on loopback with no sign of a proxy: plain HTTP
    assert judge("tomcat.https_only", tomcat_server=server('<Connector port="8080" scheme="https" secure="true"/>')) \
        == "fail"
    assert judge("tomcat.https_only", tomcat_server=server('<Connector port="8080" address="127.0.0.1"/>')) == "fail"


def test_redis_without_persistence_is_pending_not_failed():
    # `save ""` with appendonly off is how a pure cache runs: whether it holds important data is asked
    cache = db("redis_settings", '@@F /etc/redis/redis.conf\nsave ""\nappendonly no\n@@X redis-cli')
    assert cache["persistence"] is False
    assert judge("redis.persistence", redis_settings=cache) == "manual"
    stock = db("redis_settings", "@@F /etc/redis/redis.conf\nport 6379\n@@X redis-cli")
    assert judge("redis.persistence", redis_settings=stock) == "pass"


def test_mysql_checks_follow_the_server_flavor_not_the_inventory_label():
    # a MariaDB server listed as `engine: mysql` is not failed for lacking MySQL's validate_password
    maria = variables("version|10.11.6-MariaDB-0+deb12u1\nsimple_password_check_minimal_length|8\n"
                      "simple_password_check_digits|1\nsimple_password_check_letters_same_case|1\n"
                      "simple_password_check_other_characters|1\nmax_password_errors|5")
    assert judge("mysql.password_policy", mysql_variables=maria) == "na"
    assert judge("mysql.connection_control", mysql_variables=maria) == "na"
    assert judge("mysql.password_policy_mariadb", mysql_variables=maria) == "pass"
    assert judge("mysql.max_password_errors", mysql_variables=maria) == "pass"
    mysql = variables("version|8.0.36\nvalidate_password.policy|LOW")
    assert judge("mysql.password_policy_mariadb", mysql_variables=mysql) == "na"
    assert judge("mysql.password_policy", mysql_variables=mysql) == "fail"


def test_tomcat_default_name_with_its_own_password_is_not_default_credentials():
    def users(xml: str) -> dict:
        return mw("tomcat_users", f"@@F /t/conf/tomcat-users.xml\n<tomcat-users>{xml}</tomcat-users>")
    renamed_not = users('<user username="admin" password="[redacted:len=20,default=no,hashed=no]" roles="manager-gui"/>')
    assert judge("tomcat.default_users", tomcat_users=renamed_not) == "fail"  # 2 b: not renamed
    assert judge("tomcat.default_credentials", tomcat_users=renamed_not) == "pass"  # but no default password
    sample = users('<user username="tomcat" password="[redacted:len=6,default=yes,hashed=no]" roles="manager-gui"/>')
    assert judge("tomcat.default_credentials", tomcat_users=sample) == "fail"


def test_pg_hba_trust_is_separate_from_cleartext_password():
    from assess.probes.database import postgresql
    def hba(text: str) -> dict:
        return postgresql.hba_summary(postgresql.parse_hba(text))
    cleartext = hba("local all postgres peer\nhostssl all app 10.0.0.0/8 password\n")
    assert judge("pg.hba_methods", pg_hba=cleartext) == "fail"  # the KES criterion: no password method
    assert judge("pg.hba_trust", pg_hba=cleartext) == "pass"  # but every client authenticates
    assert judge("pg.hba_trust", pg_hba=hba("host all all 10.0.0.0/8 trust\n")) == "fail"


def test_transport_tls_checks_do_not_apply_to_servers_listening_on_loopback_only():
    """A database only this host can reach sends nothing over a network: no false 不符合 / 重大风险隐患 A-24."""
    plain = "version|10.11.6-MariaDB\nhave_ssl|DISABLED\nrequire_secure_transport|OFF\n"
    assert judge("mysql.tls_required", mysql_variables=variables(plain + "bind_address|127.0.0.1")) == "na"
    assert judge("mysql.tls_required", mysql_variables=variables(plain + "skip_networking|ON")) == "na"
    assert judge("mysql.tls_required", mysql_variables=variables(plain + "bind_address|0.0.0.0")) == "fail"
    assert judge("mysql.tls_required", mysql_variables=variables(plain + "bind_address|127.0.0.1,10.0.0.5")) == "fail"
    assert judge("mysql.tls_required", mysql_variables=variables(plain)) == "fail"  # bind unknown: judged

    def pg(listen: str) -> dict:
        return db("pg_settings", f"@@C psql settings\nlisten_addresses\t{listen}\t\nssl\toff\t\n@@RC 0")

    hba = {"remote_without_tls": []}
    assert judge("pg.remote_tls", pg_settings=pg("localhost"), pg_hba=hba) == "na"
    assert judge("pg.remote_tls", pg_settings=pg(""), pg_hba=hba) == "na"  # Unix socket only
    assert judge("pg.remote_tls", pg_settings=pg("*"), pg_hba=hba) == "fail"

    def redis(bind: str) -> dict:
        return db("redis_settings", f"@@F /etc/redis/redis.conf\n{bind}\nport 6379\n@@X redis-cli")

    assert judge("redis.tls_only", redis_settings=redis("bind 127.0.0.1 -::1")) == "na"
    assert judge("redis.tls_only", redis_settings=redis("bind 0.0.0.0")) == "fail"
    assert judge("redis.tls_only", redis_settings=redis("# no bind: every interface")) == "fail"


def test_mysql_audit_plugin_loaded_but_not_logging_fails_8_1_4_3_b_to_d():
    """server_audit loaded with server_audit_logging=OFF records nothing: 8.1.4.3 b (record contents), c (their
    protection) and d (the audit process) fail with a; logging ON passes b."""
    off = variables("version|10.11.6-MariaDB\nserver_audit_logging|OFF\nserver_audit_events|\ngeneral_log|OFF")
    on = variables("version|10.11.6-MariaDB\nserver_audit_logging|ON\nserver_audit_events|CONNECT\ngeneral_log|OFF")
    general = variables("version|8.0.36\ngeneral_log|ON")
    logs = db("mysql_log_files", "@@C mysql logs\nlog_error\t/var/log/mysql/error.log\n@@RC 0\n"
              "640 mysql adm /var/log/mysql/error.log")
    admins = accounts("root|localhost|unix_socket|external|N|false|-1|0|Y|Y|Y|Y||N")
    assert judge("mysql.audit_records", mysql_variables=off) == "fail"
    assert judge("mysql.audit_records", mysql_variables=on) == "pass"
    assert judge("mysql.audit_records", mysql_variables=general) == "fail"  # no success/failure field
    assert judge("mysql.log_permissions", mysql_variables=off, mysql_log_files=logs) == "fail"
    assert judge("mysql.log_permissions", mysql_variables=on, mysql_log_files=logs) == "pass"
    assert judge("mysql.audit_protected", mysql_variables=off, mysql_accounts=admins) == "fail"
    assert judge("mysql.audit_protected", mysql_variables=on, mysql_accounts=admins) == "pass"
    assert judge("mysql.super_accounts", mysql_accounts=admins) == "pass"  # 8.1.4.2 d does not need audit


def test_redis_passwordless_default_user_is_no_sole_administrator():
    """An enabled `default` user with nopass fails 8.1.4.2 b; all-powerful, it is not "the one superuser"."""
    acl = db("redis_acl", "@@C redis-cli acl\nuser default on nopass ~* &* +@all\n@@RC 0")
    settings = {"requirepass": {"set": False, "length": 0, "foobared": False}, "disabled_commands": []}
    logs = {"audit_on": True}
    assert acl["default_nopass"] and acl["anonymous_admin"] == ["default"] and acl["dangerous_count"] == 1
    assert judge("redis.default_password", redis_acl=acl, redis_settings=settings) == "fail"
    assert judge("redis.dangerous_commands", redis_acl=acl, redis_settings=settings) == "fail"
    assert judge("redis.audit_protected", redis_acl=acl, redis_settings=settings, redis_log_files=logs) == "fail"
    named = db("redis_acl", "@@C redis-cli acl\nuser default off nopass ~* +@all\nuser admin on #<sha256> ~* +@all\n"
               "@@RC 0")
    assert judge("redis.dangerous_commands", redis_acl=named, redis_settings=settings) == "pass"
    assert judge("redis.audit_protected", redis_acl=named, redis_settings=settings, redis_log_files=logs) == "pass"
    assert judge("redis.default_password", redis_acl=named, redis_settings=settings) == "pass"


def test_pg_audit_off_fails_record_contents_and_protection():
    """A good log_line_prefix does not make 8.1.4.3 b while nothing is audited (connections, DDL, pgaudit)."""
    def settings(extra: str) -> dict:
        return db("pg_settings", "@@C psql settings\nlog_line_prefix\t%m [%p] %u@%d \t\n" + extra + "@@RC 0")
    off = settings("log_connections\toff\t\nlog_disconnections\toff\t\nlog_statement\tnone\t\n")
    on = settings("log_connections\ton\t\nlog_disconnections\ton\t\nlog_statement\tddl\t\n")
    roles = db("pg_roles", "@@C psql roles\npostgres\tt\tt\tt\tt\tt\t\n@@RC 0")
    assert judge("pg.log_line_prefix", pg_settings=off) == "fail"
    assert judge("pg.log_line_prefix", pg_settings=on) == "pass"
    assert judge("pg.audit_protected", pg_settings=off, pg_roles=roles) == "fail"
    assert judge("pg.audit_protected", pg_settings=on, pg_roles=roles) == "pass"


def test_mariadb_cracklib_password_check_plugin_counts():
    """The cracklib_password_check plugin shows itself by its one variable; the check once read a variable
    no server has (found by the rule-path lint), so a loaded cracklib plugin was judged 不符合."""
    loaded = variables("version|10.11.6-MariaDB\ncracklib_password_check_dictionary|/usr/share/dict/pw_dict")
    assert judge("mysql.password_policy_mariadb", mysql_variables=loaded) == "pass"
    assert judge("mysql.password_policy_mariadb", mysql_variables=variables("version|10.11.6-MariaDB")) == "fail"
