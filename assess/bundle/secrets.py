"""Refuse to bundle secrets: private keys, password hashes, tokens, cookies and passwords in configuration.

Evidence should never hold them (the collector redacts on the host, assess.probes.redact), so a hit means a
probe or an attachment leaked one: this scan is the second net. It reads every text file of the payload line
by line; in JSON evidence, raw outputs are one escaped line each, so a hit also gives the line inside that
output. A hit shows what precedes the value (`DB_PASSWORD=…`) or the start of a token, never the value.
Redaction placeholders (`<redacted>`, `[redacted:len=8,…]`, `***`), shell variables and the words our own
facts use for a password's state (`"password": "set"`) are not secrets. Binary files (a NUL in the first
8 KiB) are skipped and counted.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

_B64 = r"[./A-Za-z0-9]"
#: A value that is not a secret: a redaction placeholder (also HTML-escaped), a JSON list or object, a variable, a
#: template, a colour (CSS `--pass: #2e7d32`), a state word of our facts, or a label (`x.empty_password: fact: …`).
_NOT_SECRET = (r"(?!(?:\\?[\"']|&quot;|&#3[49];|&#x2[27];)?(?:<|&lt;|[\[{(]|\*{3}|\$|%\(|\{\{|#[0-9A-Fa-f]{3,8}\b|(?:set|empty|weak|invalid|external|"
               r"scram|md5|plain|none|unknown|true|false|null|yes|no|on|off|required|bool|int|str|float|number)\b))")
_VALUE = _NOT_SECRET + r"(?:\\?[\"']|&quot;|&#3[49];)?(?![^\s\"',;\\<>&]*:(?:\s|$))[^\s\"',;\\<>&]{3,}"
_KEYWORD = (r"(?:pass|passwd|password|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|"
            r"private[_-]?key|credentials?|masterauth|bindpw|authtok)")
#: Within one line of one string: in JSON, `\n` escapes separate the lines of a raw output and a bare `"` ends
#: the string (a command's option belongs to a tool named in the same string).
_SAME_LINE = r"(?:(?!\\n)(?:\\\"|[^\n\"]))*?"


def _option(tools: str, option: str) -> re.Pattern[str]:
    """`option VALUE` on a line that runs one of `tools`."""
    return re.compile(rf"(?<![\w-])(?:{tools})\b{_SAME_LINE}\s{option}(?P<v>{_VALUE})")


PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("private key", re.compile(r"-----BEGIN ((RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP|SSH2 ENCRYPTED) )?PRIVATE KEY"
                               r"( BLOCK)?-----")),
    ("password hash (md5crypt $1$)", re.compile(rf"\$1\${_B64}{{1,8}}\${_B64}{{22}}")),
    ("password hash (bcrypt $2$)", re.compile(rf"\$2[abxy]?\$\d\d\${_B64}{{53}}")),
    ("password hash (sha256crypt $5$)", re.compile(rf"\$5\$(rounds=\d+\$)?{_B64}{{1,16}}\${_B64}{{43}}")),
    ("password hash (sha512crypt $6$)", re.compile(rf"\$6\$(rounds=\d+\$)?{_B64}{{1,16}}\${_B64}{{86}}")),
    ("password hash (yescrypt $y$)", re.compile(rf"\$g?y\${_B64}+\${_B64}+\${_B64}{{43}}")),
    ("password hash (scrypt $7$)", re.compile(rf"\$7\${_B64}{{11,}}\${_B64}{{43}}")),
    ("password hash (sha1crypt $sha1$)", re.compile(rf"\$sha1\$\d+\${_B64}+\${_B64}{{28}}")),
    ("bearer token", re.compile(r"\b[Bb]earer\s+[A-Za-z0-9\-._~+/]{16,}=*")),
    ("JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("session cookie", re.compile(r"(?i)\b(set-)?cookie\s*[:=]\s*\"?[^=;\s\"]+=(?![*x]{4}|<|\[)[^;\s\"\\]{12,}")),
    ("session cookie", re.compile(r"\b(JSESSIONID|PHPSESSID|ASP\.NET_SessionId|connect\.sid|laravel_session|"
                                  r"sessionid|SESSION|SESSIONID|_session_id)=(?![*x]{4}|<|\[)"
                                  r"[A-Za-z0-9%._\-+/]{16,}")),
    ("cloud access key id", re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|LTAI)(?P<v>[0-9A-Za-z]{12,30})(?![A-Za-z0-9])")),
    ("GitHub token", re.compile(r"(?<![A-Za-z0-9])(?:gh[pousr]_|github_pat_)(?P<v>[A-Za-z0-9_]{20,})")),
    ("API secret key (sk-)", re.compile(r"(?<![\w-])sk-(?P<v>[A-Za-z0-9_-]{20,})")),
    ("secret assignment", re.compile(rf"(?i)(?<![\w.-])[\w.-]*(?<!no){_KEYWORD}\\?[\"']?[ \t]*(?:=|:[ \t]+|:(?=\\?[\"']))"
                                     rf"[ \t]*(?P<v>{_VALUE})")),
    ("secret option", re.compile(rf"(?i)(?<![\w-])--[\w-]*{_KEYWORD}[ \t]+(?P<v>(?!-){_VALUE})")),
    ("secret directive", re.compile(rf"(?im)(?:^|\\n)[ \t#]*(?:requirepass|masterauth|tls-key-file-pass|"
                                    rf"tls-client-key-file-pass|auth_pass|bindpw|rootpw)[ \t]+(?P<v>{_VALUE})")),
    ("secret header", re.compile(rf"(?i)(?:proxy_set_header|grpc_set_header|add_header|fastcgi_param|uwsgi_param|"
                                 rf"scgi_param)[ \t]+\\?[\"']?[\w-]*(?:{_KEYWORD}|authorization|cookie)\\?[\"']?"
                                 rf"[ \t]+(?P<v>{_VALUE})")),
    ("password in URL", re.compile(rf"://[^/\s:@\"']+:(?P<v>{_NOT_SECRET}[^@/\s\"']+)@")),
    ("password option (curl/lftp -u)", _option("curl|lftp", r"(?:-u|--user[= ])\s*[^\s:,]+[:,]")),
    ("password option (smbclient -U)", _option(r"smbclient|rpcclient|smbcacls|smbget", r"-U\s*[^\s%]+%")),
    ("password option (ldap -w)", _option(r"ldap\w+", r"-w\s*")),
    ("password option (zip -P)", _option(r"zip|unzip", r"-P\s*")),
    ("password option (7z -p)", _option(r"7za?", "-p")),
    ("password option (redis-cli -a)", _option("redis-cli", r"-a\s+")),
    ("password option (mysql -p)", _option(r"mysql\w*|mariadb\w*|mariabackup|xtrabackup", "-p")),
    ("password option (sshpass -p)", _option("sshpass", r"-p\s*")),
]
MAX_SCAN = 64 * 1024 * 1024


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    inner_line: int | None
    kind: str
    excerpt: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.inner_line is not None:
            where += f" (line {self.inner_line} of the raw output)"
        return f"{where}: {self.kind}: {self.excerpt}"


def _shorten(text: str) -> str:
    return text[:12] + "…" if len(text) > 12 else text[:4] + "…"


def _excerpt(m: re.Match[str]) -> str:
    """What precedes the value (at most 12 characters) and `…`; a match without a value group, shortened."""
    if "v" not in m.re.groupindex:
        return _shorten(m.group(0))
    return m.string[m.start():m.start("v")][-12:] + "…"


def scan_file(path: Path, rel: str) -> list[Hit] | None:
    """Hits in one file, in file order; None when the file is binary (not scanned)."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_SCAN)
    if b"\0" in data[:8192]:
        return None
    text = data.decode("utf-8", "replace")
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    json_like = rel.endswith(".json")
    hits = []
    for kind, rx in PATTERNS:
        for m in rx.finditer(text):
            index = bisect.bisect_right(starts, m.start()) - 1
            inner = None
            if json_like:  # a raw output is one JSON string: count its escaped newlines
                end = text.find("\n", m.start())
                if "\\n" in text[starts[index]:end if end >= 0 else len(text)]:
                    inner = text[starts[index]:m.start()].count("\\n") + 1
            hits.append(Hit(rel, index + 1, inner, kind, _excerpt(m)))
    return sorted(hits, key=lambda h: (h.line, h.inner_line or 0))


def scan_tree(root: Path) -> tuple[list[Hit], list[str]]:
    """(every hit under `root`, files skipped as binary), paths relative to `root`."""
    hits: list[Hit] = []
    skipped: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        found = scan_file(path, rel)
        if found is None:
            skipped.append(rel)
        else:
            hits += found
    return hits, skipped
