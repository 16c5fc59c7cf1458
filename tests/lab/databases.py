"""The database and middleware lab: real MariaDB, PostgreSQL, Redis, nginx and Tomcat from Debian packages,
each started on loopback with its own data directory and configuration, once weak and once hardened.

Everything lives under one temporary directory; nothing of the host's own configuration is touched (the
packaged services are never started). Needs root (the servers run as their own users) and the packages in
tests/apt-packages.txt. `Lab.inventory()` writes the assess inventory that reaches all ten objects
locally, with the hardened objects' passwords in environment variables.
"""

from __future__ import annotations

import datetime as dt
import glob
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from assess.probes.database import postgresql

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1] if glob.glob("/usr/lib/postgresql/*/bin") else ""
TOMCAT_HOME = Path("/usr/share/tomcat10")
#: The passwords of the hardened objects' probe accounts (handed to assess through the environment).
PASSWORDS = {"ASSESS_LAB_MARIADB_PW": "Audit#Lab-2024x", "ASSESS_LAB_PG_PW": "Audit#Lab-2024y",
             "ASSESS_LAB_REDIS_PW": "Audit#Lab-2024z"}


def readme_grants(engine: str) -> list[str]:
    """The GRANT statements the README documents for the probe account of `engine` (mariadb, postgresql):
    lines of its ```sql blocks that start with GRANT, in a block that names the engine in its first line."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    out = []
    for block in text.split("```sql\n")[1:]:
        lines = block.split("```", 1)[0].splitlines()
        if lines and engine in lines[0].lower():
            out += [line.split("--", 1)[0].strip() for line in lines if line.startswith("GRANT")]
    return out


def unavailable() -> str:
    """Why the lab cannot run here ('' when it can)."""
    if os.geteuid() != 0:
        return "the database lab needs root (servers run as the mysql/postgres users)"
    needs = {"mariadbd": "mariadb-server", "mariadb-install-db": "mariadb-server", "redis-server": "redis-server",
             "redis-cli": "redis-tools", "nginx": "nginx-light", "psql": "postgresql-client"}
    for binary, package in needs.items():
        if not shutil.which(binary):
            return f"{binary} is not installed (Debian package {package})"
    if not PG_BIN:
        return "PostgreSQL server binaries are not installed (Debian package postgresql)"
    if not (TOMCAT_HOME / "bin" / "catalina.sh").exists() or not shutil.which("java"):
        return "Tomcat 10 is not installed (Debian package tomcat10)"
    for user in ("mysql", "postgres", "tomcat"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return f"system user {user} is missing (created by its Debian package)"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def run(cmd: list[str], user: str | None = None, env: dict[str, str] | None = None, **kw) -> str:
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120, **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stdout[-800:]} {proc.stderr[-800:]}")
    return proc.stdout


def chown(path: Path, user: str) -> None:
    pw = pwd.getpwnam(user)
    for p in [path, *path.rglob("*")]:
        os.lchown(p, pw.pw_uid, pw.pw_gid)


def make_tls(directory: Path) -> dict[str, Path]:
    """A lab CA and a localhost certificate (EC P-256) as PEM files."""
    now = dt.datetime.now(dt.timezone.utc)
    name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])  # noqa: E731
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("assess db lab CA")).issuer_name(name("assess db lab CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder().subject_name(name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(san, critical=False).sign(ca_key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"ca": directory / "ca.pem", "cert": directory / "cert.pem", "key": directory / "key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return paths


@dataclass
class Lab:
    root: Path
    objects: list[dict] = field(default_factory=list)
    stops: list[Callable[[], None]] = field(default_factory=list)

    # -- lifecycle ---------------------------------------------------------------------------------------
    @classmethod
    def start(cls) -> Lab:
        root = Path(tempfile.mkdtemp(prefix="assess-dblab-"))
        root.chmod(0o755)
        lab = cls(root)
        try:
            tls = make_tls(root / "tls")
            for p in tls.values():
                p.chmod(0o644)
            with ThreadPoolExecutor(max_workers=4) as pool:  # the slow starts overlap (JVMs, install-db, initdb)
                jobs = [pool.submit(lab._tomcat_one, kind, tls) for kind in ("weak", "hardened")]
                jobs += [pool.submit(f, tls) for f in (lab._mariadb, lab._postgres)]
                lab._redis(tls)
                lab._nginx(tls)
                for job in jobs:
                    job.result()
        except BaseException:
            lab.stop()
            raise
        return lab

    def stop(self) -> None:
        for stop in reversed(self.stops):
            try:
                stop()
            except Exception:  # noqa: BLE001  (stop everything that can be stopped)
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def inventory(self, path: Path) -> Path:
        import yaml

        path.write_text(yaml.safe_dump({"objects": self.objects, "interview_objects": False}, sort_keys=False))
        return path

    def add(self, obj: dict) -> None:
        self.objects.append(obj)

    def _kill_pidfile(self, pidfile: Path, sig: int = signal.SIGKILL) -> Callable[[], None]:
        """Stop a lab server at once: its data is thrown away, so there is nothing to shut down cleanly.
        A server with worker processes (nginx) gets TERM, so that its master stops them before it exits."""
        def stop() -> None:
            try:
                pid = int(pidfile.read_text().strip())
                os.kill(pid, sig)
                if sig != signal.SIGKILL:
                    deadline = time.monotonic() + 5
                    while time.monotonic() < deadline and _alive(pid):
                        time.sleep(0.05)
                    if _alive(pid):
                        os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass
        return stop

    # -- MariaDB -----------------------------------------------------------------------------------------
    def _mariadb(self, tls: dict[str, Path]) -> None:
        base = self.root / "mariadb"
        base.mkdir()
        template = base / "template"
        template.mkdir()
        chown(base, "mysql")
        run(["mariadb-install-db", "--no-defaults", f"--datadir={template}", "--user=mysql",
             "--auth-root-authentication-method=normal", "--skip-name-resolve"])
        for kind in ("weak", "hardened"):
            self._mariadb_one(base, template, kind, tls)

    def _mariadb_one(self, base: Path, template: Path, kind: str, tls: dict[str, Path]) -> None:
        d = base / kind
        shutil.copytree(template, d / "data")
        port, sock = free_port(), d / "mysqld.sock"
        cnf = d / "my.cnf"
        common = (f"[mysqld]\ndatadir={d / 'data'}\nsocket={sock}\nport={port}\nbind-address=127.0.0.1\n"
                  f"pid-file={d / 'mysqld.pid'}\nlog-error={d / 'error.log'}\ninnodb_buffer_pool_size=16M\n"
                  "skip-name-resolve\n!includedir " + str(d / "conf.d") + "\n")
        (d / "conf.d").mkdir()
        if kind == "weak":
            # the audit plugin is loaded but records nothing
            (d / "conf.d" / "50-weak.cnf").write_text("[mysqld]\nlocal-infile=1\nplugin_load_add=server_audit\n"
                                                      "server_audit_logging=OFF\n")
        else:
            key = d / "keys.txt"
            key.write_text("1;" + os.urandom(32).hex() + "\n")
            (d / "conf.d" / "50-hardened.cnf").write_text(
                "[mariadbd]\nplugin_load_add=simple_password_check\nplugin_load_add=server_audit\n"
                "plugin_load_add=file_key_management\n"
                f"file_key_management_filename={key}\ninnodb_encrypt_tables=ON\n"
                "simple_password_check_minimal_length=10\nmax_password_errors=5\nwait_timeout=300\n"
                "interactive_timeout=300\nserver_audit_logging=ON\n"
                "server_audit_events=CONNECT,QUERY_DDL,QUERY_DCL\n"
                f"server_audit_file_path={d / 'audit.log'}\n"
                f"ssl_ca={tls['ca']}\nssl_cert={tls['cert']}\nssl_key={tls['key']}\nrequire_secure_transport=ON\n")
        cnf.write_text(common)
        chown(d, "mysql")
        umask = {"UMASK": "0640", "UMASK_DIR": "0750"} if kind == "hardened" else {}
        subprocess.Popen(["mariadbd", f"--defaults-file={cnf}", "--user=mysql"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env={**os.environ, **umask}, start_new_session=True)
        self.stops.append(self._kill_pidfile(d / "mysqld.pid"))
        wait_for(lambda: sock.exists() and port_open(port), f"MariaDB ({kind})")
        client = ["mariadb", "--no-defaults", f"--socket={sock}", "-uroot"]
        if kind == "weak":
            run([*client, "-e", "CREATE USER 'app'@'%' IDENTIFIED BY 'root'; GRANT ALL ON *.* TO 'app'@'%';"])
            self.add({"id": "mariadb-weak", "type": "database", "engine": "mariadb", "transport": "local",
                      "socket": str(sock), "user": "root", "config": str(cnf)})
            return
        pw = PASSWORDS["ASSESS_LAB_MARIADB_PW"]
        run([*client, "-e", ";".join([
            "DELETE FROM mysql.global_priv WHERE User = ''", "DROP DATABASE IF EXISTS test",
            "DELETE FROM mysql.db WHERE Db LIKE 'test%'", "FLUSH PRIVILEGES",
            "CREATE USER 'dbadmin'@'localhost' IDENTIFIED BY 'Adm1n#Lab-2024!'",
            "GRANT ALL ON *.* TO 'dbadmin'@'localhost' WITH GRANT OPTION",
            f"CREATE USER 'assess'@'localhost' IDENTIFIED BY '{pw}'",
            "GRANT SELECT, PROCESS, REPLICA MONITOR, REPLICATION CLIENT ON *.* TO 'assess'@'localhost'",
            "DROP USER IF EXISTS 'root'@'127.0.0.1'", "DROP USER IF EXISTS 'root'@'::1'",
            "SET GLOBAL default_password_lifetime = 90", "DROP USER 'root'@'localhost'",
        ]) + ";"])
        for name in ("root@%", "root@" + socket.gethostname()):
            user, host = name.split("@")
            run(["mariadb", "--no-defaults", f"--socket={sock}", "-udbadmin", "-pAdm1n#Lab-2024!", "-e",
                 f"DROP USER IF EXISTS '{user}'@'{host}'"])
        self.add({"id": "mariadb-hardened", "type": "database", "engine": "mariadb", "transport": "local",
                  "socket": str(sock), "user": "assess", "password_env": "ASSESS_LAB_MARIADB_PW", "config": str(cnf)})
        # an account with exactly the grants the README documents for the probe account
        grants = [g.replace("'assess'@", "'readme'@") for g in readme_grants("mariadb")]
        run(["mariadb", "--no-defaults", f"--socket={sock}", "-udbadmin", "-pAdm1n#Lab-2024!", "-e",
             f"CREATE USER 'readme'@'localhost' IDENTIFIED BY '{pw}'; " + " ".join(grants)])
        self.add({"id": "mariadb-readme-grants", "type": "database", "engine": "mariadb", "transport": "local",
                  "socket": str(sock), "user": "readme", "password_env": "ASSESS_LAB_MARIADB_PW", "config": str(cnf)})

    # -- PostgreSQL ----------------------------------------------------------------------------------------
    def _postgres(self, tls: dict[str, Path]) -> None:
        base = self.root / "postgresql"
        base.mkdir()
        chown(base, "postgres")
        template = base / "template"
        run([f"{PG_BIN}/initdb", "-D", str(template), "-A", "trust", "-U", "postgres", "--no-sync"], user="postgres",
            cwd=str(base))
        for kind in ("weak", "hardened"):
            self._postgres_one(base, template, kind, tls)

    def _postgres_one(self, base: Path, template: Path, kind: str, tls: dict[str, Path]) -> None:
        data = base / kind
        shutil.copytree(template, data)
        port = free_port()
        conf = data / "postgresql.conf"
        extra = [f"port = {port}", "listen_addresses = '127.0.0.1'", f"unix_socket_directories = '{data}'"]
        if kind == "weak":
            extra += ["password_encryption = md5"]
            (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n"
                                              "host all all 0.0.0.0/0 trust\n")
        else:
            shutil.copy(tls["cert"], data / "server.crt")
            shutil.copy(tls["key"], data / "server.key")
            extra += ["ssl = on", "shared_preload_libraries = 'passwordcheck'", "idle_session_timeout = '5min'",
                      "log_connections = on", "log_disconnections = on", "log_statement = 'ddl'",
                      "logging_collector = on", "log_file_mode = 0600", "log_line_prefix = '%m [%p] %u@%d '"]
            (data / "pg_hba.conf").write_text(
                "local all postgres peer\nlocal all all scram-sha-256\n"
                "host all assess 127.0.0.1/32 scram-sha-256\nhostssl appdb app 0.0.0.0/0 scram-sha-256\n")
        conf.write_text(conf.read_text() + "\n" + "\n".join(extra) + "\n")
        chown(data, "postgres")
        (data / "server.key").chmod(0o600) if kind == "hardened" else None
        run([f"{PG_BIN}/pg_ctl", "-D", str(data), "-l", str(base / f"{kind}.log"), "-w", "-t", "60", "start"],
            user="postgres", cwd=str(base))
        self.stops.append(lambda: run([f"{PG_BIN}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
                                      user="postgres", cwd=str(base)))
        psql = ["psql", "-X", "-q", "-h", str(data), "-p", str(port), "-U", "postgres", "-d", "postgres", "-c"]
        if kind == "weak":
            run([*psql, "CREATE ROLE app LOGIN SUPERUSER PASSWORD 'app123'; GRANT CREATE ON SCHEMA public TO PUBLIC; "
                 "CREATE ROLE monitor LOGIN IN ROLE pg_read_all_settings, pg_monitor;"], user="postgres", cwd=str(base))
            self.add({"id": "postgresql-weak", "type": "database", "engine": "postgresql", "transport": "local",
                      "address": "127.0.0.1", "port": port, "user": "postgres"})
            # the same server seen by a non-superuser role without the README's helper: pg_authid is unreadable
            self.add({"id": "postgresql-monitor", "type": "database", "engine": "postgresql", "transport": "local",
                      "address": "127.0.0.1", "port": port, "user": "monitor"})
            return
        pw = PASSWORDS["ASSESS_LAB_PG_PW"]
        run([*psql, f"CREATE ROLE assess LOGIN PASSWORD '{pw}' VALID UNTIL '2099-01-01' IN ROLE pg_read_all_settings, "
            "pg_monitor; CREATE ROLE dbadmin LOGIN SUPERUSER PASSWORD 'Adm1n#Lab-2024!' VALID UNTIL '2099-01-01'; "
            "CREATE ROLE app LOGIN PASSWORD 'App#Lab-2024!' VALID UNTIL '2099-01-01'; ALTER ROLE postgres NOLOGIN; "
            + postgresql.HELPER_SQL], user="postgres", cwd=str(base))
        self.add({"id": "postgresql-hardened", "type": "database", "engine": "postgresql", "transport": "local",
                  "address": "127.0.0.1", "port": port, "user": "assess", "password_env": "ASSESS_LAB_PG_PW"})

    # -- Redis ---------------------------------------------------------------------------------------------
    def _redis(self, tls: dict[str, Path]) -> None:
        """Weak and hardened Redis, plus two that a second lab configured differently: `redis-tls-include`
        serves only TLS, set in an included file as the shipped redis.conf suggests, with CONFIG renamed away
        (so only the files and INFO server tell its ports); `redis-nolog` logs nowhere (`logfile ""` while
        daemonized: /dev/null) and lets anyone in as an all-powerful `default` user."""
        for kind in ("weak", "hardened", "tls-include", "nolog"):
            d = self.root / "redis" / kind
            d.mkdir(parents=True)
            port = free_port()
            conf = d / "redis.conf"
            common = [f"dir {d}", f"pidfile {d / 'redis.pid'}", "daemonize yes", "bind 127.0.0.1"]
            obj = {"id": f"redis-{kind}", "type": "database", "engine": "redis", "transport": "local",
                   "address": "127.0.0.1", "port": port, "config": str(conf)}
            tls_lines = [f"tls-cert-file {tls['cert']}", f"tls-key-file {tls['key']}", f"tls-ca-cert-file {tls['ca']}",
                         "tls-auth-clients no"]
            if kind == "weak":
                log = d / "redis.log"
                log.touch()
                log.chmod(0o666)
                lines = [*common, f"port {port}", "protected-mode no", "timeout 0", "loglevel notice",
                         f"logfile {log}", 'save ""']
            elif kind == "hardened":
                pw = PASSWORDS["ASSESS_LAB_REDIS_PW"]
                lines = [*common, "port 0", f"tls-port {port}", *tls_lines,
                         f"unixsocket {d / 'redis.sock'}", "unixsocketperm 700", "protected-mode yes", "timeout 300",
                         "loglevel verbose", f"logfile {d / 'redis.log'}",
                         "user default off", "user admin on >Adm1n#Lab-2024! ~* &* +@all",
                         f"user assess on >{pw} ~* -@all +ping +info +config|get +acl|list"]
                obj = {"id": "redis-hardened", "type": "database", "engine": "redis", "transport": "local",
                       "socket": str(d / "redis.sock"), "user": "assess", "password_env": "ASSESS_LAB_REDIS_PW",
                       "config": str(conf)}
            elif kind == "tls-include":
                # reachable from the network (every address), TLS only: the vendor file keeps `port 6379`
                (d / "tls.conf").write_text("\n".join(["port 0", f"tls-port {port}", *tls_lines]) + "\n")
                lines = ["dir " + str(d), f"pidfile {d / 'redis.pid'}", "daemonize yes", "bind 0.0.0.0",
                         "port 6379", "protected-mode yes", "timeout 300", "loglevel verbose",
                         f"logfile {d / 'redis.log'}", "requirepass " + PASSWORDS["ASSESS_LAB_REDIS_PW"],
                         'rename-command CONFIG ""', f"include {d / 'tls.conf'}"]
                obj.update({"tls": True, "ca_file": str(tls["ca"]), "password_env": "ASSESS_LAB_REDIS_PW"})
            else:
                lines = [*common, f"port {port}", "protected-mode yes", "timeout 300", "loglevel verbose",
                         'logfile ""']
            conf.write_text("\n".join(lines) + "\n")
            run(["redis-server", str(conf)])
            self.stops.append(self._kill_pidfile(d / "redis.pid"))
            wait_for(lambda port=port: port_open(port), f"Redis ({kind})")
            self.add(obj)

    # -- nginx ---------------------------------------------------------------------------------------------
    def _nginx(self, tls: dict[str, Path]) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        for kind in ("weak", "hardened"):
            prefix = self.root / "nginx" / kind
            (prefix / "logs").mkdir(parents=True)
            (prefix / "html").mkdir()
            p1, p2 = free_port(), free_port()
            if kind == "weak":
                http = (f"server {{ listen 127.0.0.1:{p1}; server_name weak; root html; autoindex on; "
                        "access_log off; }\n    server_tokens on;")
                head = "user root;"
            else:
                http = (f"server_tokens off;\n    access_log logs/access.log combined;\n"
                        f"    server {{ listen 127.0.0.1:{p2}; return 301 https://$host:{p1}$request_uri; }}\n"
                        f"    server {{ listen 127.0.0.1:{p1} ssl; server_name hardened; root html;\n"
                        f"      ssl_certificate {tls['cert']}; ssl_certificate_key {tls['key']};\n"
                        "      ssl_protocols TLSv1.2 TLSv1.3; }")
                head = "user nobody nogroup;"
            conf = prefix / "nginx.conf"
            conf.write_text(f"{head}\nworker_processes 1;\npid logs/nginx.pid;\nerror_log logs/error.log;\n"
                            f"events {{ worker_connections 64; }}\nhttp {{\n    {http}\n}}\n")
            if kind == "weak":
                (prefix / "logs" / "error.log").touch()
                (prefix / "logs" / "error.log").chmod(0o666)
            run([nginx, "-p", str(prefix), "-c", str(conf)])
            self.stops.append(self._kill_pidfile(prefix / "logs" / "nginx.pid", signal.SIGTERM))
            wait_for(lambda p1=p1: port_open(p1), f"nginx ({kind})")
            self.add({"id": f"nginx-{kind}", "type": "middleware", "engine": "nginx", "transport": "local",
                      "binary": nginx, "prefix": str(prefix), "config": str(conf)})

    # -- Tomcat --------------------------------------------------------------------------------------------
    def _tomcat_one(self, kind: str, tls: dict[str, Path]) -> None:
        base = self.root / "tomcat" / kind
        for sub in ("conf", "logs", "webapps/ROOT", "work", "temp"):
            (base / sub).mkdir(parents=True)
        for name in ("web.xml", "logging.properties", "catalina.properties", "context.xml"):
            shutil.copy(f"/etc/tomcat10/{name}", base / "conf" / name)
        port = free_port()
        if kind == "weak":
            (base / "webapps" / "examples").mkdir()
            (base / "webapps" / "docs").mkdir()
            connectors = f'<Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1"/>'
            realm = ('<!-- <Realm className="org.apache.catalina.realm.LockOutRealm"> -->\n'
                     '<Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase"/>\n'
                     '<!-- </Realm> -->')
            valves = "<!-- <Valve className=\"org.apache.catalina.valves.AccessLogValve\" directory=\"logs\"/> -->"
            users = ('<user username="tomcat" password="tomcat" roles="manager-gui,manager-script"/>\n'
                     '<user username="both" password="" roles="manager-gui"/>')
            web = (base / "conf" / "web.xml").read_text().replace("<session-timeout>30</session-timeout>",
                                                                   "<session-timeout>-1</session-timeout>")
            (base / "conf" / "web.xml").write_text(web)
            logging = (base / "conf" / "logging.properties").read_text()
            (base / "conf" / "logging.properties").write_text(logging.replace(".level = FINE", ".level = WARNING"))
        else:
            connectors = (f'<Connector port="{port}" address="127.0.0.1" protocol="org.apache.coyote.http11.Http11NioProtocol" '
                          'SSLEnabled="true" server="web">\n<SSLHostConfig protocols="TLSv1.2+TLSv1.3">'
                          f'<Certificate certificateFile="{tls["cert"]}" certificateKeyFile="{tls["key"]}"/>'
                          "</SSLHostConfig></Connector>")
            realm = ('<Realm className="org.apache.catalina.realm.LockOutRealm" failureCount="5" lockOutTime="300">\n'
                     '<Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase">\n'
                     '<CredentialHandler className="org.apache.catalina.realm.MessageDigestCredentialHandler" '
                     'algorithm="SHA-256"/></Realm></Realm>')
            valves = ('<Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs" '
                      'prefix="localhost_access_log" suffix=".txt" pattern="%h %l %u %t &quot;%r&quot; %s %b"/>\n'
                      '<Valve className="org.apache.catalina.valves.ErrorReportValve" showReport="false" '
                      'showServerInfo="false"/>')
            import hashlib

            digest = hashlib.sha256(b"0ps#Lab-2024!").hexdigest()
            users = f'<user username="ops" password="{digest}" roles="manager-gui"/>'
        (base / "conf" / "server.xml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <GlobalNamingResources>
    <Resource name="UserDatabase" auth="Container" type="org.apache.catalina.UserDatabase"
              factory="org.apache.catalina.users.MemoryUserDatabaseFactory" pathname="conf/tomcat-users.xml"/>
  </GlobalNamingResources>
  <Service name="Catalina">
    {connectors}
    <Engine name="Catalina" defaultHost="localhost">
      {realm}
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false">
        {valves}
      </Host>
    </Engine>
  </Service>
</Server>
""")
        (base / "conf" / "tomcat-users.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<tomcat-users>\n<!--\n  <user username="admin" '
            f'password="s3cret" roles="manager-gui"/>\n-->\n{users}\n</tomcat-users>\n')
        user = "root" if kind == "weak" else "tomcat"
        chown(base, user)
        if kind == "hardened":
            (base / "conf").chmod(0o750)
        env = {"CATALINA_HOME": str(TOMCAT_HOME), "CATALINA_BASE": str(base), "CATALINA_PID": str(base / "tomcat.pid"),
               "CATALINA_OPTS": "-Xmx96m -Xss512k -XX:TieredStopAtLevel=1 -Xshare:auto",
               "UMASK": "0027" if kind == "hardened" else "0000"}
        run([str(TOMCAT_HOME / "bin" / "catalina.sh"), "start"], user=None if user == "root" else user, env=env)
        self.stops.append(self._kill_pidfile(base / "tomcat.pid"))
        wait_for(lambda: port_open(port), f"Tomcat ({kind})", seconds=60)
        self.add({"id": f"tomcat-{kind}", "type": "middleware", "engine": "tomcat", "transport": "local",
                  "catalina_home": str(TOMCAT_HOME), "catalina_base": str(base)})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
