"""The web lab: a real nginx (Debian package) on loopback with a strong and a weak TLS site, each in
front of its own demo application (tests/lab/demoapp.py).

The tests start nginx with their own prefix and configuration (`nginx -p PREFIX -c nginx.conf`), on
free loopback ports, with certificates generated here with `cryptography`:

- strong: TLS 1.2/1.3 only, ECDHE+AEAD suites, a 2048-bit RSA leaf issued by a lab CA (trusted via the
  object's ca_file), HSTS and the full header set, server_tokens off, dotfiles denied, http → https.
- weak: TLS 1.0–1.2 with `ALL:@SECLEVEL=0` (anonymous ECDH, RSA key exchange, CBC), an expired
  self-signed 1024-bit certificate, no security headers, server_tokens on, autoindex, an exposed .git and
  Druid console, content over plain HTTP, CORS reflecting any Origin with credentials, and the demo
  app's stack traces and unmasked personal data passed through.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.lab.demoapp import DemoApp

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def unavailable() -> str:
    """Why the web lab cannot run here ('' when it can)."""
    if not Path(NGINX).exists():
        return "nginx is not installed (Debian package nginx-light or nginx)"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "assess lab")])


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def make_certificates(directory: Path) -> dict[str, Path]:
    """Lab CA + strong leaf (valid 90 days), and an expired self-signed weak certificate."""
    now = dt.datetime.now(dt.timezone.utc)
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (x509.CertificateBuilder().subject_name(_name("assess lab CA")).issuer_name(_name("assess lab CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=89))
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    weak = (x509.CertificateBuilder().subject_name(_name("weak.lab")).issuer_name(_name("weak.lab"))
            .public_key(weak_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=800)).not_valid_after(now - dt.timedelta(days=35))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("weak.lab")]), critical=False)
            .sign(weak_key, hashes.SHA256()))
    files = {
        "ca": directory / "ca.pem", "strong_cert": directory / "strong.pem", "strong_key": directory / "strong.key",
        "weak_cert": directory / "weak.pem", "weak_key": directory / "weak.key",
    }
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["strong_cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM)
                                     + ca.public_bytes(serialization.Encoding.PEM))
    files["strong_key"].write_bytes(_pem_key(leaf_key))
    files["weak_cert"].write_bytes(weak.public_bytes(serialization.Encoding.PEM))
    files["weak_key"].write_bytes(_pem_key(weak_key))
    return files


_STRONG_HEADERS = """
        add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
        add_header Content-Security-Policy "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" always;
        add_header X-Content-Type-Options nosniff always;
        add_header X-Frame-Options DENY always;
        add_header Referrer-Policy no-referrer always;
        add_header Cross-Origin-Resource-Policy same-origin always;"""

CONFIG = """
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    default_type application/octet-stream;

    # strong: http → https, TLS 1.2/1.3, AEAD + ECDHE only, full headers, no versions
    server {{
        listen 127.0.0.1:{strong_http};
        server_tokens off;
        return 301 https://127.0.0.1:{strong_https}$request_uri;
    }}
    server {{
        listen 127.0.0.1:{strong_https} ssl;
        server_tokens off;
        ssl_certificate {strong_cert};
        ssl_certificate_key {strong_key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
        ssl_prefer_server_ciphers off;
        ssl_ecdh_curve X25519:prime256v1:secp384r1;
        {strong_headers}
        proxy_hide_header X-Powered-By;
        location ~ /\\. {{ return 404; }}
        location / {{ proxy_pass http://127.0.0.1:{strong_app}; proxy_set_header Host $host; }}
    }}

    # weak: plaintext served, TLS 1.0 on, weak suites, expired self-signed, nothing hidden
    server {{
        listen 127.0.0.1:{weak_http};
        server_tokens on;
        root {prefix}/weakroot;
        location /files/ {{ autoindex on; }}
        location /.git/ {{ }}
        location /druid/ {{ }}
        location / {{ proxy_pass http://127.0.0.1:{weak_app}; proxy_set_header Host $host; }}
    }}
    server {{
        listen 127.0.0.1:{weak_https} ssl;
        server_tokens on;
        ssl_certificate {weak_cert};
        ssl_certificate_key {weak_key};
        ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
        ssl_ciphers ALL:@SECLEVEL=0;
        ssl_prefer_server_ciphers on;
        root {prefix}/weakroot;
        location /files/ {{ autoindex on; }}
        location /.git/ {{ }}
        location /druid/ {{ }}
        location / {{
            proxy_pass http://127.0.0.1:{weak_app};
            proxy_set_header Host $host;
            add_header Access-Control-Allow-Origin $http_origin always;
            add_header Access-Control-Allow-Credentials true always;
        }}
    }}
}}
"""


@dataclass
class Site:
    name: str
    http: str
    https: str
    app: DemoApp

    @property
    def https_port(self) -> int:
        return int(self.https.rsplit(":", 1)[1].rstrip("/"))


@dataclass
class WebLab:
    prefix: Path
    process: subprocess.Popen
    strong: Site
    weak: Site
    files: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def start(cls, idle_seconds: float = 2.0) -> WebLab:
        prefix = Path(tempfile.mkdtemp(prefix="assess-weblab-"))
        os.chmod(prefix, 0o755)
        for sub in ("tmp", "weakroot/files", "weakroot/.git"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        (prefix / "weakroot/.git/HEAD").write_text("ref: refs/heads/main\n")
        (prefix / "weakroot/.git/config").write_text("[core]\n\trepositoryformatversion = 0\n")
        (prefix / "weakroot/files/orders-2024.csv").write_text("id,phone\n1,13812345678\n")
        (prefix / "weakroot/druid").mkdir()
        (prefix / "weakroot/druid/index.html").write_text("<html><head><title>Druid Stat Index</title></head></html>")
        files = make_certificates(prefix)
        strong_app = DemoApp(strong=True, idle_seconds=idle_seconds).start()
        weak_app = DemoApp(strong=False).start()
        ports = {k: free_port() for k in ("strong_http", "strong_https", "weak_http", "weak_https")}
        conf = CONFIG.format(prefix=prefix, strong_app=strong_app.port, weak_app=weak_app.port,
                             strong_headers=_STRONG_HEADERS.strip(),
                             user="user root;" if os.geteuid() == 0 else "",
                             **ports, **{k: v for k, v in files.items() if k != "ca"})
        (prefix / "nginx.conf").write_text(conf)
        proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                strong_app.stop()
                weak_app.stop()
                raise RuntimeError(f"nginx did not start: {err.strip()[-500:]}")
            if all(_listening(p) for p in ports.values()):
                break
            time.sleep(0.05)
        else:
            proc.kill()
            raise RuntimeError("nginx did not listen within 10 s")
        strong = Site("strong", f"http://127.0.0.1:{ports['strong_http']}/",
                      f"https://127.0.0.1:{ports['strong_https']}/", strong_app)
        weak = Site("weak", f"http://127.0.0.1:{ports['weak_http']}/", f"https://127.0.0.1:{ports['weak_https']}/",
                    weak_app)
        return cls(prefix, proc, strong, weak, files)

    def stop(self) -> None:
        if self.process.poll() is None:
            # TERM is nginx's fast shutdown: the master stops its workers before it exits (a graceful QUIT can
            # outlast the timeout on kept-alive connections, and killing the master then orphans the workers)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.strong.app.stop()
        self.weak.app.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)

    def reset(self) -> None:
        self.strong.app.reset()
        self.weak.app.reset()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0
