"""Secrets are redacted on the host, before any configuration text leaves it.

One rule table drives two implementations: an awk program (`SHELL` defines `_RX` and `_redact` in the
collector; `_cat`, and so every `_file`/`_glob` read, runs it, and snippets pipe other free-form text
through `_redact`), and `text()`, the same rules in Python, applied again to every section when it is
parsed (a second net, e.g. for outputs of an older emitted collector). Values become `<redacted>`;
keys, options and users stay, so checks still see "TMOUT=600", "requirepass set" or a backup job's tool.
Probes that need more than "set" judge the secret on the host first (redis `requirepass` becomes
`<redacted:len=12,foobared=no>`, tomcat passwords `[redacted:len=…]`): those placeholders are kept.

What is redacted: values of secret-named keys (`DB_PASSWORD=…`, `"api_key": "…"`, `X-Api-Key: …`,
`--password …`, `ldapbindpasswd=…`), credentials in URLs, command options that carry passwords
(`curl -u u:pw`, `lftp -u u,pw`, `smbclient -U u%pw`, `ldapsearch -w pw`, `zip -P pw`, `redis-cli -a pw`,
`mysqldump -ppw`, `sshpass -p pw`, `openssl -passin pass:pw`), redis and keepalived secret directives
(also commented out), nginx header and parameter directives with secret names, well-known token formats
(AKIA/ASIA and LTAI access key ids, GitHub tokens, `sk-…` API keys, Slack, GitLab, Google keys, JWTs,
bearer/basic credentials) and private-key blocks.
"""

from __future__ import annotations

import re

MARK = "<redacted>"
KEY_MARK = "<redacted private key>"

#: Key names whose value is a secret (lower case; the key must end with one of them).
_WORDS = (r"(pass|passwd|password|passphrase|pwd|bindpw|rootpw|secret|secrets|token|authtok|api[_-]?key|"
          r"access[_-]?key|secret[_-]?key|private[_-]?key|credentials?|authorization|cookie|masterauth|[_-]auth)")
_KEY = r"[a-z0-9_.-]*" + _WORDS + r"[\"']?[ \t]*"
_HEADER_DIRECTIVES = (r"(proxy_set_header|grpc_set_header|add_header|more_set_headers|more_set_input_headers|"
                      r"fastcgi_param|uwsgi_param|scgi_param)")
_SECRET_DIRECTIVES = (r"(requirepass|masterauth|tls-key-file-pass|tls-client-key-file-pass|auth_pass|"
                      r"sentinel[ \t]+auth-pass[ \t]+[^ \t]+)")


#: `key: value` is not an assignment in nsswitch.conf (`passwd: files`) nor in sudoers tags (`NOPASSWD: ALL`).
_NOT_COLON = "!^[ \t]*(passwd|shadow|gshadow|group)[ \t]*:|(^|[^a-z0-9_.-])(no)?passwd:"


def _n(cls: str, count: int) -> str:
    """`count` copies of a character class (no `{n}` intervals: old mawk lacks them)."""
    return cls * count


#: (prefix regex, value mode, case-insensitive, scope): the value right after each match of the prefix is
#: replaced; `scope` is a word the (lower-case) line must contain for the rule to apply (or, starting with `^`,
#: a regex it must match; starting with `!`, a regex it must not match).
#: Modes: assign (quoted, or up to blank ; , or quote; `Basic xyz` as one value), quoted (quoted values
#: only), word (quoted, or up to a blank; never a value starting with `-`), directive (quoted, or up to `;`),
#: url (up to `@`, which must follow).
RULES: tuple[tuple[str, str, bool, str], ...] = (
    (r"^[ \t#]*" + _SECRET_DIRECTIVES + r"[ \t]+", "word", True, ""),
    (r"^[ \t#]*([a-z][a-z0-9_.-]*(password|secret|token|api[_-]?key)|bindpw|rootpw)[ \t]+", "word", True, ""),
    (r"(^|[ \t])[<>]", "word", False, "^[ \t#]*user[ \t]"),
    (r"(^|[ \t;{])" + _HEADER_DIRECTIVES + r"[ \t]+[\"']?[a-z0-9_.-]*" + _WORDS + r"[\"']?[ \t]+",
     "directive", True, ""),
    (r"(^|[^a-z0-9_.-])" + _KEY + r"=[ \t]*", "assign", True, ""),
    (r"(^|[^a-z0-9_.-])" + _KEY + r":[ \t]+", "assign", True, _NOT_COLON),
    (r"(^|[^a-z0-9_.-])" + _KEY + r":", "quoted", True, _NOT_COLON),
    (r"(^|[ \t])--[a-z0-9-]*" + _WORDS + r"[ \t]+", "word", True, ""),
    (r"://[^/:@ \t\"']+:", "url", False, ""),
    (r"(^|[ \t])(-u|-U|--user=|--user[ \t]|--proxy-user=|--proxy-user[ \t])[ \t]*", "word", False, "curl"),
    (r"(^|[ \t])(-u|--user=|--user[ \t])[ \t]*", "word", False, "lftp"),
    (r"(^|[ \t])(-U|--user=|--user[ \t])[ \t]*", "word", False, "smb"),
    (r"(^|[ \t])(-U|--user=|--user[ \t])[ \t]*", "word", False, "rpcclient"),
    (r"(^|[ \t])-w[ \t]*", "word", False, "ldap"),
    (r"(^|[ \t])-P[ \t]*", "word", False, "zip"),
    (r"(^|[ \t])-p", "word", False, "7z"),
    (r"(^|[ \t])-p", "word", False, "mysql"),
    (r"(^|[ \t])-p", "word", False, "maria"),
    (r"(^|[ \t])-p", "word", False, "xtrabackup"),
    (r"(^|[ \t])-a[ \t]*", "word", False, "redis-cli"),
    (r"(^|[ \t])-p[ \t]*", "word", False, "sshpass"),
    (r"(^|[ \t])-(pass|passin|passout)[ \t]+pass:", "word", False, "openssl"),
    (r"(^|[ \t])-k[ \t]+", "word", False, "openssl"),
)

#: Secret formats recognised anywhere, replaced whole (the character before the token is kept).
_A = "[A-Za-z0-9]"
_T = "[A-Za-z0-9_-]"
TOKENS: tuple[str, ...] = (
    r"(^|[^A-Za-z0-9])(AKIA|ASIA)" + _n("[0-9A-Z]", 16),
    r"(^|[^A-Za-z0-9])LTAI" + _n(_A, 12) + _A + "*",
    r"(^|[^A-Za-z0-9])gh[pousr]_" + _n(_A, 20) + _A + "*",
    r"(^|[^A-Za-z0-9])github_pat_" + _n("[A-Za-z0-9_]", 20) + "[A-Za-z0-9_]*",
    r"(^|[^A-Za-z0-9_-])sk-" + _n(_T, 20) + _T + "*",
    r"(^|[^A-Za-z0-9])xox[abprs]-" + _n("[A-Za-z0-9-]", 10) + "[A-Za-z0-9-]*",
    r"(^|[^A-Za-z0-9])glpat-" + _n(_T, 20) + _T + "*",
    r"(^|[^A-Za-z0-9])AIza" + _n(_T, 30) + _T + "*",
    r"(^|[^A-Za-z0-9])eyJ" + _n(_T, 8) + _T + "*[.]eyJ" + _n(_T, 8) + _T + "*[.]" + _T + "*",
)
#: `Bearer xyz` / `Basic xyz` credentials (the scheme stays).
SCHEMES = r"(^|[^A-Za-z0-9_])([Bb]earer|[Bb]asic|BEARER|BASIC)[ \t]+"
_SCHEME_VALUE = "[A-Za-z0-9._~+/=-]" * 8 + "[A-Za-z0-9._~+/=-]*"
KEY_BEGIN = "-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----"
KEY_END = "-----END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----"
_KEPT = r"^[\"']?([<[]redacted|[*][*][*])"
_EXTEND = ("basic", "bearer", "digest", "negotiate", "token")


# -- the awk program ---------------------------------------------------------------------------------------
def _awk_str(regex: str) -> str:
    regex = regex.replace('\\"', '"')
    if "\\" in regex.replace("\\t", ""):
        raise ValueError(f"no backslashes in redaction rules: {regex}")
    return '"' + regex.replace('"', '\\"').replace("'", "\\047") + '"'


_AWK_BODY = r"""
function vlen(s, i, mode,   c, j, r, w, m) {
  c = substr(s, i, 1); r = substr(s, i)
  if (c == "\"" || c == Q) { j = index(substr(s, i + 1), c); return j ? j + 1 : length(r) }
  if (mode == "quoted") return 0
  if (mode == "url") { if (!match(r, "^[^@/ \t]+@")) return 0; return RLENGTH - 1 }
  if (mode == "directive") { match(r, "^[^;]*"); return RLENGTH }
  if (mode == "word") { if (c == "-") return 0; match(r, "^[^ \t]*"); return RLENGTH }
  match(r, "^[^ \t;,\"" Q "]*"); w = RLENGTH
  if (index("|basic|bearer|digest|negotiate|token|", "|" tolower(substr(r, 1, w)) "|") > 1 && w > 0) {
    m = substr(r, w + 1)
    if (match(m, "^[ \t]+[^ \t;,\"" Q "]+")) w += RLENGTH
  }
  return w
}
function kept(v) { return v ~ KEPT || v ~ "[ \t][<[]redacted" }
function hide(s, re, mode, ci,   out, t, p, n) {
  out = ""
  while (s != "") {
    t = ci ? tolower(s) : s
    if (!match(t, re)) break
    p = RSTART + RLENGTH; n = vlen(s, p, mode)
    if (n > 0 && !kept(substr(s, p, n))) out = out substr(s, 1, p - 1) MARK
    else out = out substr(s, 1, p - 1 + n)
    s = substr(s, p + n)
    if (substr(re, 1, 1) == "^") break
  }
  return out s
}
function tok(s, re,   out, m) {
  out = ""
  while (match(s, re)) {
    m = substr(s, RSTART, RLENGTH)
    out = out substr(s, 1, RSTART - 1) (m ~ /^[A-Za-z0-9]/ ? "" : substr(m, 1, 1)) MARK
    s = substr(s, RSTART + RLENGTH)
  }
  return out s
}
function scheme(s,   out, m) {
  out = ""
  while (match(s, SCHEMES)) {
    m = substr(s, RSTART, RLENGTH); out = out substr(s, 1, RSTART + RLENGTH - 1); s = substr(s, RSTART + RLENGTH)
    if (match(s, "^" SCHEME_VALUE)) { out = out MARK; s = substr(s, RLENGTH + 1) }
  }
  return out s
}
ENVIRON["_AB"] != "" && index($0, ENVIRON["_AB"]) == 1 { inkey = 0; print; next }
inkey { if ($0 ~ KEY_END) inkey = 0; next }
{
  s = $0
  if (match(s, KEY_BEGIN)) {
    rest = substr(s, RSTART); s = substr(s, 1, RSTART - 1) KEYMARK
    if (match(rest, KEY_END)) s = s substr(rest, RSTART + RLENGTH); else inkey = 1
  }
  for (i = 1; i <= NT; i++) s = tok(s, TOK[i])
  s = scheme(s)
  l = tolower(s)
  for (i = 1; i <= NR_; i++) {
    c = substr(SC[i], 1, 1)
    if (c == "^" ? l !~ SC[i] : c == "!" ? l ~ substr(SC[i], 2) : SC[i] != "" && !index(l, SC[i])) continue
    s = hide(s, RE[i], MO[i], CI[i])
  }
  print s
}
"""


def _awk() -> str:
    lines = ["BEGIN {", '  Q = "\\047"; MARK = "<redacted>"; KEYMARK = "<redacted private key>"',
             f"  KEPT = {_awk_str(_KEPT)}; SCHEMES = {_awk_str(SCHEMES)}; SCHEME_VALUE = {_awk_str(_SCHEME_VALUE)}",
             f"  KEY_BEGIN = {_awk_str(KEY_BEGIN)}; KEY_END = {_awk_str(KEY_END)}",
             f"  NT = {len(TOKENS)}; NR_ = {len(RULES)}"]
    lines += [f"  TOK[{i}] = {_awk_str(t)}" for i, t in enumerate(TOKENS, 1)]
    for i, (regex, mode, ci, scope) in enumerate(RULES, 1):
        lines.append(f'  RE[{i}] = {_awk_str(regex)}; MO[{i}] = "{mode}"; CI[{i}] = {int(ci)}; SC[{i}] = {_awk_str(scope)}')
    lines.append("}")
    program = "\n".join(lines) + _AWK_BODY
    if "'" in program:
        raise ValueError("the awk program must not contain a single quote")
    return program


AWK = _awk()
#: Collector preamble: `_redact` filters standard input; `_cat` (script.PRELUDE) runs the same program on a file.
SHELL = f"_RX='{AWK}'\n_redact() {{ _AB=\"$B\" awk \"$_RX\"; }}\n"
#: Pipe stage for snippets: `grep … | {REDACT}`.
REDACT = "_redact"


# -- the same rules in Python ------------------------------------------------------------------------------
_RULES_PY = [(re.compile(r), m, ci, sc) for r, m, ci, sc in RULES]
_TOKENS_PY = [re.compile(t) for t in TOKENS]
_SCHEMES_PY = re.compile(SCHEMES)
_SCHEME_VALUE_PY = re.compile(_SCHEME_VALUE)
_KEY_BEGIN_PY, _KEY_END_PY = re.compile(KEY_BEGIN), re.compile(KEY_END)
_KEPT_PY = re.compile(_KEPT)
_UNQUOTED = re.compile("[^ \t;,\"']*")
_NEXT_WORD = re.compile("[ \t]+[^ \t;,\"']+")


def _vlen(s: str, i: int, mode: str) -> int:
    c = s[i:i + 1]
    rest = s[i:]
    if c in ('"', "'"):
        j = s.find(c, i + 1)
        return j - i + 1 if j >= 0 else len(rest)
    if mode == "quoted":
        return 0
    if mode == "url":
        m = re.match(r"[^@/ \t]+@", rest)
        return len(m.group(0)) - 1 if m else 0
    if mode == "directive":
        return len(re.match("[^;]*", rest).group(0))  # type: ignore[union-attr]
    if mode == "word":
        return 0 if c == "-" else len(re.match("[^ \t]*", rest).group(0))  # type: ignore[union-attr]
    w = len(_UNQUOTED.match(rest).group(0))  # type: ignore[union-attr]
    if w and rest[:w].lower() in _EXTEND:
        m = _NEXT_WORD.match(rest, w)
        if m:
            w = m.end()
    return w


def _kept(value: str) -> bool:
    return bool(_KEPT_PY.search(value)) or bool(re.search(r"[ \t][<\[]redacted", value))


def _hide(s: str, rx: re.Pattern[str], mode: str, ci: bool) -> str:
    out = []
    while s:
        m = rx.search(s.lower() if ci else s)
        if not m:
            break
        p = m.end()
        n = _vlen(s, p, mode)
        out.append(s[:p] + MARK if n > 0 and not _kept(s[p:p + n]) else s[:p + n])
        s = s[p + n:]
        if rx.pattern.startswith("^"):
            break
    return "".join(out) + s


def _tok(s: str, rx: re.Pattern[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        token = m.group(0)
        return ("" if token[:1].isalnum() else token[:1]) + MARK
    return rx.sub(sub, s)


def _scheme(s: str) -> str:
    out = []
    while True:
        m = _SCHEMES_PY.search(s)
        if not m:
            break
        out.append(s[:m.end()])
        s = s[m.end():]
        v = _SCHEME_VALUE_PY.match(s)
        if v:
            out.append(MARK)
            s = s[v.end():]
    return "".join(out) + s


def line(s: str) -> str:
    """One line with its secrets replaced (what the awk program does to a line outside a key block)."""
    for rx in _TOKENS_PY:
        s = _tok(s, rx)
    s = _scheme(s)
    low = s.lower()
    for rx, mode, ci, scope in _RULES_PY:
        if scope.startswith("^"):
            if not re.search(scope, low):
                continue
        elif scope.startswith("!"):
            if re.search(scope[1:], low):
                continue
        elif scope and scope not in low:
            continue
        s = _hide(s, rx, mode, ci)
    return s


def text(value: str, keep: tuple[str, ...] = ("@@",)) -> str:
    """Text with its secrets replaced, line by line; lines starting with `keep` (the collector's
    normalised markers) pass unchanged and end a private-key block."""
    out: list[str] = []
    in_key = False
    for s in value.split("\n"):
        if keep and s.startswith(keep):
            in_key = False
            out.append(s)
            continue
        if in_key:
            if _KEY_END_PY.search(s):
                in_key = False
            continue
        begin = _KEY_BEGIN_PY.search(s)
        if begin:
            rest = s[begin.start():]
            s = s[:begin.start()] + KEY_MARK
            end = _KEY_END_PY.search(rest)
            if end:
                s += rest[end.end():]
            else:
                in_key = True
        out.append(line(s))
    return "\n".join(out)
