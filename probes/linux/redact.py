"""Redaction done on the host, before configuration text enters the evidence.

Crontabs (`mysqldump -pSECRET`), rsyslog outputs (`pwd="…"`) and backup jobs (`sftp://user:pw@host`)
often carry credentials. Snippets pipe such files through `REDACT` so the raw section, which is
hashed and stored as evidence, never holds them. Values are replaced by `***`; keys stay visible.
"""

from __future__ import annotations

_RULES = (
    # key=value / key: value for password-like keys (pwd=, PASSWORD=, --password=, api_key: …)
    r's/((pass(word|wd|phrase)?|pwd|secret|token|api_?key)[A-Za-z_]*[[:space:]]*[=:][[:space:]]*)'
    r'("[^"]*"|[^[:space:]";]+)/\1***/Ig',
    # credentials inside URLs: scheme://user:password@host
    r's#(://[^/:@[:space:]]+:)[^@/[:space:]]+@#\1***@#g',
    # sshpass -p SECRET
    r's/(sshpass[[:space:]]+-p[[:space:]]*)[^[:space:]]+/\1***/g',
    # mysql-style -pSECRET (a bare `-p` followed by a space is left alone: mkdir -p, rsync -p)
    r's/(^|[[:space:]])-p[^[:space:]]+/\1-p***/g',
)

#: Shell pipe stage: `_glob /var/spool/cron/* | <REDACT>`.
REDACT = "sed -E " + " ".join(f"-e '{rule}'" for rule in _RULES)
