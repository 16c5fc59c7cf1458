"""nginx facts (domain notes §3.6, N01–N05): the configuration as `nginx -T` prints it (every included file),
`nginx -v`, the log files it names and the host's audit rules that watch it.

The object's `binary`, `config` (-c) and `prefix` (-p) settings say which nginx; without them the one on
PATH with its built-in configuration path. Authorization header values and other secrets in the configuration
(`proxy_set_header X-Api-Key …`) are redacted on the host.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assess.probes.database.common import log_files, loose_text
from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.service import command_words, register_setup


def _setup(settings: Mapping[str, Any]) -> str:
    opts = command_words(*(("-p", str(settings["prefix"])) if settings.get("prefix") else ()),
                         *(("-c", str(settings["config"])) if settings.get("config") else ()))
    binary = settings.get("binary")
    find = f"_ngx={command_words(str(binary))}" if binary else "_ngx=$(command -v nginx)"
    return f"""
{find}
_nginx() {{ _t 20 "$_ngx" {opts} "$@" </dev/null; }}
# _nginxrun LABEL ARGS...: nginx's output between markers (Authorization values blanked, secrets redacted).
_nginxrun() {{
  _l=$1; shift
  if [ -z "$_ngx" ] || [ ! -x "$_ngx" ]; then echo "$B X nginx"; return; fi
  echo "$B C nginx $_l"; _o=$(_nginx "$@" 2>&1); _s=$?
  printf '%s\\n' "$_o" | sed -E 's/([Aa]uthorization["[:space:]]+)[^;]*/\\1"<redacted>"/' | _redact
  echo "$B RC $_s"
}}
"""


register_setup(("nginx",), _setup)


# -- the configuration language ----------------------------------------------------------------------------
@dataclass
class Directive:
    name: str
    args: list[str]
    file: str
    line: int
    block: list[Directive] | None = None
    children: list[Directive] = field(default_factory=list)


_TOKEN = re.compile(r'"((?:\\.|[^"\\])*)"|\'((?:\\.|[^\'\\])*)\'|(#[^\n]*)|([{};])|([^\s{};"\'#]+)')


def parse_block_text(text: str, file: str = "") -> list[Directive]:
    """Parse one nginx configuration file into a directive tree (includes are left as directives)."""
    root: list[Directive] = []
    stack: list[list[Directive]] = [root]
    words: list[str] = []
    line_of = 1
    for m in _TOKEN.finditer(text):
        line_no = text.count("\n", 0, m.start()) + 1
        dq, sq, comment, punct, bare = m.groups()
        if comment is not None:
            continue
        if punct is None:
            if not words:
                line_of = line_no
            words.append(dq if dq is not None else sq if sq is not None else bare)
            continue
        if punct == ";":
            if words:
                stack[-1].append(Directive(words[0], words[1:], file, line_of))
        elif punct == "{":
            d = Directive(words[0] if words else "", words[1:], file, line_of, block=[])
            stack[-1].append(d)
            stack.append(d.block)  # type: ignore[arg-type]
        elif punct == "}" and len(stack) > 1:
            stack.pop()
        words = []
    return root


def split_dump(text: str) -> list[tuple[str, str]]:
    """`nginx -T` output → [(path, content)] in the order printed (the main file first)."""
    files: list[tuple[str, str]] = []
    current, lines = None, []
    for line in text.splitlines():
        m = re.match(r"^# configuration file (.+):$", line)
        if m:
            if current is not None:
                files.append((current, "\n".join(lines)))
            current, lines = m.group(1), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        files.append((current, "\n".join(lines)))
    return files


def resolve(files: list[tuple[str, str]]) -> list[Directive]:
    """The main file's tree with every `include` replaced by the directives of the files it matches."""
    if not files:
        return []
    parsed = {path: parse_block_text(content, path) for path, content in files}
    main = files[0][0]
    base = os.path.dirname(main)

    def expand(block: list[Directive], depth: int) -> list[Directive]:
        out: list[Directive] = []
        for d in block:
            if d.name == "include" and d.args and depth < 10:
                pattern = d.args[0] if d.args[0].startswith("/") else os.path.join(base, d.args[0])
                for path in sorted(p for p in parsed if fnmatch.fnmatch(p, pattern)):
                    out += expand(parsed[path], depth + 1)
                continue
            if d.block is not None:
                d.block = expand(d.block, depth)
            out.append(d)
        return out

    return expand(parsed[main], 0)


def _find(block: list[Directive], name: str) -> list[Directive]:
    return [d for d in block if d.name == name]


def _last(block: list[Directive], name: str) -> Directive | None:
    found = _find(block, name)
    return found[-1] if found else None


def _walk(block: list[Directive]):
    for d in block:
        yield d
        if d.block is not None:
            yield from _walk(d.block)


def default_protocols(version: str) -> list[str]:
    """ssl_protocols when unset: TLSv1.2 TLSv1.3 from nginx 1.23.4, TLSv1 … TLSv1.3 before."""
    nums = tuple(int(x) for x in re.findall(r"\d+", version)[:3]) or (0,)
    return ["TLSv1.2", "TLSv1.3"] if nums >= (1, 23, 4) else ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]


def _ends_request(d: Directive) -> bool:
    """A `return` that sends no content in clear: a redirect to https:// or a refusal (4xx, 444)."""
    if d.name != "return" or not d.args or not d.args[0].isdigit():
        return False
    code = int(d.args[0])
    return code >= 400 or (code in (301, 302, 303, 307, 308) and any(a.startswith("https://") for a in d.args[1:]))


def _ends_all(block: list[Directive]) -> bool:
    return any(_ends_request(d) for d in block)


_ACME = "/.well-known/acme-challenge/"


def serves_nothing(block: list[Directive]) -> bool:
    """A plain-HTTP server block that only redirects to HTTPS or refuses. A `return` at server level runs
    before any location is chosen, and `if` blocks there hold only rewrite directives (Certbot writes
    `if ($host = …) { return 301 https://…; } … return 404;`). Otherwise `location /` and every other
    location must end the request, ACME HTTP-01 challenge locations (public tokens) excepted."""
    if _ends_all(block):
        return True
    locations = [d for d in block if d.name == "location" and d.block is not None]
    if not any(d.args == ["/"] for d in locations):
        return False
    return all(_ends_all(d.block or []) or any(a.rstrip("/") + "/" == _ACME for a in d.args)
               for d in locations)


def summarise(tree: list[Directive], version: str = "") -> dict[str, Any]:
    """What the checks read from the effective configuration (inheritance main → http → server → location)."""
    http = next((d for d in tree if d.name == "http" and d.block is not None), None)
    hblock = http.block if http and http.block is not None else []
    user = _last(tree, "user")
    tokens_http = (_last(hblock, "server_tokens").args[0] if _last(hblock, "server_tokens") else "on").lower()
    protocols_http = _last(hblock, "ssl_protocols")
    formats = {"combined": '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                           '"$http_referer" "$http_user_agent"'}
    for d in _find(hblock, "log_format"):
        if d.args:
            formats[d.args[0]] = " ".join(a for a in d.args[1:] if not a.startswith("escape="))
    servers, tokens_on, autoindex, plain, tls, weak_protocols, access_off, access_formats = [], [], [], [], [], [], [], []
    http_off = any(d.args[:1] == ["off"] for d in _find(hblock, "access_log"))
    if http_off:
        access_off.append("http")
    for d in _find(hblock, "access_log"):
        if d.args and d.args[0] != "off":
            access_formats.append(d.args[1] if len(d.args) > 1 else "combined")
    for index, server in enumerate(d for d in hblock if d.name == "server" and d.block is not None):
        block = server.block or []
        names = next((x.args for x in _find(block, "server_name")), [])
        label = f"{(names or ['_'])[0]} ({server.file}:{server.line})"
        listens = _find(block, "listen") or [Directive("listen", ["80"], server.file, server.line)]
        ssl_on = any(x.args[:1] == ["on"] for x in _find(block, "ssl"))
        is_tls = ssl_on or any("ssl" in x.args[1:] for x in listens)
        has_plain = not ssl_on and any("ssl" not in x.args[1:] and "quic" not in x.args[1:] for x in listens)
        redirect_only = serves_nothing(block)
        if has_plain and not redirect_only:
            plain.append(label)
        if is_tls:
            tls.append(label)
            own = _last(block, "ssl_protocols") or protocols_http
            protocols = own.args if own else default_protocols(version)
            old = [p for p in protocols if p in ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")]
            if old:
                weak_protocols.append(f"{label}: {' '.join(old)}")
        own_tokens = _last(block, "server_tokens")
        effective = own_tokens.args[0].lower() if own_tokens else tokens_http
        locations_on = [x for x in _walk(block) if x.name == "server_tokens" and x.args[:1] != ["off"]]
        if effective != "off" or locations_on:
            tokens_on.append(label)
        for x in _find(block, "access_log"):
            if x.args[:1] == ["off"]:
                access_off.append(label)
            elif x.args:
                access_formats.append(x.args[1] if len(x.args) > 1 else "combined")
        servers.append({"server": label, "tls": is_tls, "plain_http": has_plain and not redirect_only,
                        "index": index})
    for d in _walk(hblock):
        if d.name == "autoindex" and d.args[:1] == ["on"]:
            autoindex.append(f"{d.file}:{d.line}")
    used = sorted(set(access_formats) or {"combined"})
    missing_fields = {}
    for name in used:
        text = formats.get(name, "")
        lacking = [f for f, alts in (("time", ("$time_local", "$time_iso8601", "$msec")),
                                     ("client", ("$remote_addr", "$http_x_forwarded_for", "$realip_remote_addr")),
                                     ("request", ("$request", "$request_uri", "$uri")),
                                     ("outcome", ("$status",)))
                   if not any(a in text for a in alts)]
        if lacking:
            missing_fields[name] = lacking
    return {
        "user": user.args[0] if user and user.args else "",
        "worker_user_root": bool(user and user.args and user.args[0] == "root"),
        "servers": servers, "server_tokens_on": tokens_on, "autoindex_on": autoindex,
        "plain_http_servers": plain, "tls_servers": tls, "weak_protocols": weak_protocols,
        "access_log_off": access_off, "access_log_formats": used, "log_format_missing": missing_fields,
    }


@fact("nginx_config", """
_nginxrun version -v
_nginxrun dump -T
""", object_type="middleware")
def nginx_config(section: Section) -> dict[str, Any]:
    """The effective configuration from `nginx -T` (includes resolved): the files read, servers with TLS or
    plain HTTP, ssl_protocols older than TLS 1.2, server_tokens, autoindex, access logs and their formats."""
    dump = section.command("nginx dump")
    if not dump.found:
        raise FactUnavailable("nginx not found on the host (set binary in the inventory)")
    if dump.rc != 0:
        raise FactUnavailable("nginx -T failed: " + " ".join(dump.output.strip().splitlines()[-2:]))
    version_out = section.command("nginx version").output
    m = re.search(r"nginx/(\S+)", version_out)
    version = m.group(1) if m else ""
    files = split_dump(dump.output)
    out = summarise(resolve(files), version)
    out.update(version=version, files=[p for p, _ in files])
    return out


_LOG_SNIPPET = r"""
[ -n "$_ngx" ] && [ -x "$_ngx" ] || { echo "nginx not found"; exit 0; }
_pre="$A_PREFIX"
[ -n "$_pre" ] || _pre=$(_nginx -V 2>&1 | sed -n 's/.*--prefix=\([^ ]*\).*/\1/p')
_nginx -T 2>/dev/null | awk '($1 == "access_log" || $1 == "error_log") && $2 != "off" { v = $2; sub(/;$/, "", v); print v }' | \
  sort -u | while read -r _p; do
    case "$_p" in /*) ;; syslog:*|stderr|memory:*) continue ;; *) _p="${_pre%/}/$_p" ;; esac
    [ -f "$R$_p" ] && stat -c '%a %U %G %n' "$R$_p"
  done
"""


@fact("nginx_log_files", _LOG_SNIPPET, object_type="middleware")
def nginx_log_files(section: Section) -> dict[str, Any]:
    """Modes of the access and error log files the configuration names."""
    if "nginx not found" in loose_text(section):
        raise FactUnavailable("nginx not found on the host (set binary in the inventory)")
    return log_files(section)


@fact("nginx_audit", """
_cmd auditctl -l
_glob /etc/audit/audit.rules /etc/audit/rules.d/*.rules
""", object_type="middleware", needs_root=True)
def nginx_audit(section: Section) -> dict[str, Any]:
    """Audit rules (loaded, else the rule files) that watch nginx's binary or configuration (N02)."""
    run = section.command("auditctl")
    lines: list[str] = []
    if run.found and run.rc == 0:
        lines = run.output.splitlines()
    else:
        for read in section.files().values():
            lines += read.content.splitlines()
    rules = [line.strip() for line in lines if "nginx" in line and not line.strip().startswith("#")]
    return {"rules": rules, "watched": bool(rules), "loaded": bool(run.found and run.rc == 0)}
