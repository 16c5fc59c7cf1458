"""Pure parsing of database and middleware configuration (no server needed)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from assess.probes.database import mysql, postgresql, redis
from assess.probes.facts import Section
from assess.probes.middleware import nginx, tomcat
from assess.probes.registry import setup
from assess.probes.service import quote


def test_mycnf_includes_merge_in_reading_order():
    files = [
        ("/etc/mysql/my.cnf", "[client]\nport = 3306\n!includedir /etc/mysql/conf.d/\n[mysqld]\nbind-address = 0.0.0.0\n"),
        ("/etc/mysql/conf.d/10-a.cnf", "[mysqld]\nskip-grant-tables\nloose-local-infile = 1 # on\n"),
        ("/etc/mysql/conf.d/20-b.cnf", "[mariadb-10.11]\nbind_address=127.0.0.1\n[mysqldump]\nquick\n"),
    ]
    parsed = mysql.parse_option_files(files)
    # the included files are read at the !includedir line: [mysqld] bind-address after it wins
    assert parsed["mysqld"]["bind_address"] == "0.0.0.0"
    assert parsed["mysqld"]["skip_grant_tables"] == "ON"
    assert parsed["mysqld"]["local_infile"] == "1"  # loose_ prefix dropped, comment cut
    assert "port" not in parsed["mysqld"] and "quick" not in parsed["mysqld"]


def test_mycnf_option_after_an_include_overrides_it():
    files = [("/etc/my.cnf", "[mysqld]\n!include /etc/my.cnf.d/off.cnf\nskip-grant-tables\n"),
             ("/etc/my.cnf.d/off.cnf", "[mysqld]\nskip-grant-tables=OFF\n")]
    assert mysql.parse_option_files(files)["mysqld"] == {"skip_grant_tables": "ON"}
    files = [("/etc/my.cnf", "[mysqld]\nskip-grant-tables\n!include /etc/my.cnf.d/off.cnf\n"), files[1]]
    assert mysql.parse_option_files(files)["mysqld"] == {}


def test_mycnf_skip_option_switched_off_is_removed():
    parsed = mysql.parse_option_files([("/a", "[mysqld]\nskip-grant-tables\n"), ("/b", "[server]\nskip_grant_tables=OFF\n")])
    assert "skip_grant_tables" not in parsed["mysqld"]


def test_mycnf_snippet_follows_include_and_includedir(tmp_path):
    from assess.probes import script
    from assess.probes.registry import facts_for

    (tmp_path / "etc/mysql/conf.d").mkdir(parents=True)
    (tmp_path / "etc/mysql/my.cnf").write_text("!include /etc/mysql/extra.cnf\n!includedir /etc/mysql/conf.d/\n")
    (tmp_path / "etc/mysql/extra.cnf").write_text("[mysqld]\nport=3307\n")
    (tmp_path / "etc/mysql/conf.d/x.cnf").write_text("[mysqld]\nskip-grant-tables\n")
    (tmp_path / "etc/mysql/conf.d/ignored.txt").write_text("[mysqld]\nport=1\n")
    f = facts_for("database")["mysql_config"]
    text, token = script.build([f], root=str(tmp_path))
    import subprocess

    out = subprocess.run(["sh", "-s"], input=text, capture_output=True, text=True, check=True).stdout
    section = script.split(out, token, [f.name]).sections[f.name]
    value = f.parse(section)
    assert value["files"] == ["/etc/mysql/my.cnf", "/etc/mysql/extra.cnf", "/etc/mysql/conf.d/x.cnf"]
    assert value["mysqld"] == {"port": "3307", "skip_grant_tables": "ON"}


def test_native_hash_matches_mysql():
    # SELECT PASSWORD('root') on MariaDB
    assert mysql.native_hash("root") == "*81F5E21E35407D884A6CD4A731AEBFB6AF209E1B"


HBA = """
# TYPE  DATABASE USER ADDRESS METHOD
local   all      postgres          peer
local   all      all               trust
host    all      all   127.0.0.1/32 scram-sha-256
host    all      all   ::1/128      scram-sha-256
host    appdb    app   10.0.0.0/8   md5
hostssl appdb    app   0.0.0.0/0    scram-sha-256
host    all      all   192.168.1.0 255.255.255.0 password
hostssl all      postgres 0.0.0.0/0 reject
host    replication repl 10.1.1.1/32 cert
"""


def test_pg_hba_lines():
    records = postgresql.parse_hba(HBA)
    assert [r["method"] for r in records] == ["peer", "trust", "scram-sha-256", "scram-sha-256", "md5",
                                              "scram-sha-256", "password", "reject", "cert"]
    assert records[6]["address"] == "192.168.1.0"  # address + separate netmask
    s = postgresql.hba_summary(records)
    assert [w.split(":")[0] for w in s["weak_methods"]] == ["line 4", "line 9"]
    assert len(s["remote_without_tls"]) == 2  # md5 line and password line; loopback and cert lines are fine
    assert [w.split(":")[0] for w in s["remote_superuser"]] == ["line 9"]  # the reject line does not count


def test_redis_conf_rename_command_and_users():
    conf = redis.parse_redis_conf(
        'bind 127.0.0.1 -::1\nrename-command CONFIG ""\nrename-command FLUSHALL "b840fc02d524045429941cc15f59e41cb7be6c52"\n'
        'requirepass <redacted:len=12,foobared=no>\nuser app on ><redacted:len=9,foobared=no> ~app:* +@read\n'
        "save 900 1\n# timeout 0\ntimeout 300\n")
    assert conf["rename-command"] == {"CONFIG": "", "FLUSHALL": "b840fc02d524045429941cc15f59e41cb7be6c52"}
    assert conf["bind"] == ["127.0.0.1", "-::1"] and conf["timeout"] == "300"
    assert conf["user"] == ["user app on ><redacted:len=9,foobared=no> ~app:* +@read"]


def test_redis_acl_rules():
    admin = redis.parse_acl_user("user admin on #<sha256> ~* &* +@all")
    app = redis.parse_acl_user("user app on #<sha256> ~app:* resetchannels -@all +@read +@write -@dangerous")
    open_ = redis.parse_acl_user("user default on nopass ~* &* +@all -config")
    foo = redis.parse_acl_user("user default on #<sha256:foobared> ~* +@all")
    assert admin["all_commands"] and admin["can_config"] and admin["can_flushall"]
    assert not app["can_config"] and not app["can_flushall"] and app["passwords"] == 1
    assert open_["nopass"] and not open_["can_config"] and open_["can_flushall"]
    assert foo["default_password"]


def test_redis_conf_redaction_on_host(tmp_path):
    """requirepass and ACL passwords are judged by awk on the host; the values never appear."""
    import subprocess

    conf = tmp_path / "redis.conf"
    conf.write_text('requirepass "foobared"\nmasterauth s3cr3tpw\nuser bob on >hunter2hunter2 ~* +@all\n')
    awk = redis._REDACT_CONF.strip()
    out = subprocess.run(["awk", awk, str(conf)], capture_output=True, text=True, check=True).stdout
    assert "foobared\"" not in out and "s3cr3tpw" not in out and "hunter2" not in out
    assert "requirepass <redacted:len=8,foobared=yes>" in out
    assert "masterauth <redacted:len=8,foobared=no>" in out
    assert "><redacted:len=14,foobared=no>" in out


SERVER_XML = """<?xml version="1.0"?>
<Server port="8005" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="8080" protocol="HTTP/1.1" redirectPort="8443"/>
    <!-- <Connector port="8443" SSLEnabled="true"/> -->
    <Connector port="8009" protocol="AJP/1.3" address="0.0.0.0" secretRequired="false"/>
    <Engine name="Catalina" defaultHost="localhost">
      <!--
      <Realm className="org.apache.catalina.realm.LockOutRealm">
      </Realm>
      -->
      <Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase"/>
      <Host name="localhost" appBase="webapps">
        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs"/>
      </Host>
    </Engine>
  </Service>
</Server>"""


def test_server_xml_commented_lockout_realm_is_absent():
    s = tomcat.summarise_server(ET.fromstring(SERVER_XML))
    assert not s["lockout_realm"] and s["access_log"]
    assert s["plain_http"] == ["8080 HTTP/1.1"] and s["tls_connectors"] == []
    assert s["ajp_without_secret"] == ["8009 AJP/1.3"]


def test_server_xml_live_lockout_realm():
    live = SERVER_XML.replace("<!--\n      <Realm", "<Realm").replace("</Realm>\n      -->", "</Realm>") \
        .replace('<Realm className="org.apache.catalina.realm.LockOutRealm">',
                 '<Realm className="org.apache.catalina.realm.LockOutRealm" failureCount="3" lockOutTime="600">')
    s = tomcat.summarise_server(ET.fromstring(live))
    assert s["lockout_realm"] and s["lockout_failure_count"] == 3 and s["lockout_time"] == 600


USERS = """<tomcat-users>
<!--
  <user username="tomcat" password="&lt;must-be-changed&gt;" roles="tomcat"/>
-->
  <user username="admin" password="tomcat" roles="manager-gui,manager-script"/>
  <user username="ops" password='Str0ngPassw0rd!' roles="manager-gui"/>
  <user username="deploy" password="" roles="manager-script"/>
</tomcat-users>"""


def test_tomcat_users_judged_on_host_and_comments_ignored(tmp_path):
    import subprocess

    path = tmp_path / "tomcat-users.xml"
    path.write_text(USERS)
    block = setup("middleware", "tomcat", {"catalina_base": str(tmp_path)})
    script = "B=@@; R=; " + block + f"\n_usersfile {quote(str(path))}\n"
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout
    assert "Str0ngPassw0rd" not in out and 'password="tomcat"' not in out
    section = Section("tomcat_users", out.replace("@@ ", "@@"), 0)
    users = tomcat.tomcat_users(section)
    assert [u["user"] for u in users["users"]] == ["admin", "ops", "deploy"]  # the commented user is no user
    assert users["default_names"] == ["admin"] and users["default_password"] == ["admin"]
    assert users["empty_password"] == ["deploy"] and users["mixed_manager_roles"] == ["admin"]
    assert {u["user"]: u["password_length"] for u in users["users"]} == {"admin": 6, "ops": 15, "deploy": 0}


def test_tomcat_logging_levels():
    parsed = tomcat.parse_logging("handlers = 1catalina.org.apache.juli.AsyncFileHandler, "
                                  "java.util.logging.ConsoleHandler\n"
                                  "1catalina.org.apache.juli.AsyncFileHandler.level = FINE\n"
                                  "java.util.logging.ConsoleHandler.level = WARNING\n")
    assert parsed["coarser_than_fine"] == ["java.util.logging.ConsoleHandler"]


NGINX_DUMP = """nginx: the configuration file /p/nginx.conf syntax is ok
# configuration file /p/nginx.conf:
user root;
http {
    server_tokens off;
    log_format short '$remote_addr $request';
    access_log logs/access.log short;
    include sites/*.conf;
}

# configuration file /p/sites/a.conf:
server { listen 80; server_name a; return 301 https://$host$request_uri; }
server {
    listen 443 ssl; server_name a;
    ssl_protocols TLSv1 TLSv1.2;
    location /files { autoindex on; server_tokens on; }
}
server { listen 8080; server_name b; access_log off; }
"""


def test_nginx_dump_includes_and_inheritance():
    s = nginx.summarise(nginx.resolve(nginx.split_dump(NGINX_DUMP)), "1.22.1")
    assert s["worker_user_root"]
    assert [x.split(" ")[0] for x in s["tls_servers"]] == ["a"]
    assert [x.split(" ")[0] for x in s["plain_http_servers"]] == ["b"]  # the 301 server only redirects
    assert s["weak_protocols"] and "TLSv1" in s["weak_protocols"][0]
    assert [x.split(" ")[0] for x in s["server_tokens_on"]] == ["a"]  # on in a location
    assert s["autoindex_on"] == ["/p/sites/a.conf:5"]  # line within its own file
    assert len(s["access_log_off"]) == 1 and s["log_format_missing"] == {"short": ["time", "outcome"]}


def test_nginx_plain_servers_that_only_redirect_or_refuse():
    def plain(server: str) -> list[str]:
        dump = f"# configuration file /p/nginx.conf:\nhttp {{ server {{ listen 443 ssl; }} {server} }}\n"
        return nginx.summarise(nginx.resolve(nginx.split_dump(dump)), "1.24.0")["plain_http_servers"]
    certbot = ("server { if ($host = a.example) { return 301 https://$host$request_uri; } listen 80; "
               "server_name a.example; return 404; }")
    assert plain(certbot) == []
    acme = ("server { listen 80; location /.well-known/acme-challenge/ { root /var/www/acme; } "
            "location / { return 301 https://$host$request_uri; } }")
    assert plain(acme) == []
    assert plain("server { listen 80; return 444; }") == []
    # content in clear: a location serving files, a redirect to http://, or no location / at all
    assert plain("server { listen 80; location / { return 301 https://$host$request_uri; } "
                 "location /api { proxy_pass http://app; } }") != []
    assert plain("server { listen 80; return 301 http://b.example$request_uri; }") != []
    assert plain("server { listen 80; location /x { return 404; } }") != []


def test_nginx_default_protocols_by_version():
    assert nginx.default_protocols("1.22.1")[0] == "TLSv1"
    assert nginx.default_protocols("1.25.3") == ["TLSv1.2", "TLSv1.3"]


def test_setup_quotes_settings_and_exports_password_only_to_the_client():
    block = setup("database", "mysql", {"port": 3306, "user": "o'neil", "password_env": "PW"},
                  environ={"PW": "pa'ss $x"})
    assert "A_USER='o'\"'\"'neil'" in block
    assert "MYSQL_PWD='pa'\"'\"'ss $x'; export MYSQL_PWD" in block
    assert setup("linux", None, {}) == ""


def test_readme_documents_the_pg_password_helper_the_probe_trusts():
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split())
    assert " ".join(postgresql.HELPER_SQL.split()) in readme
