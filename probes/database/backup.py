"""Backup jobs on a database's host (M15, 8.1.4.9 a): scheduled dumps and physical backups in cron.

Only the matching lines leave the host, with anything that looks like a password on them blanked
(`-pSECRET`, `--password=…`, `PGPASSWORD=…`, `MYSQL_PWD=…`, `redis-cli -a …`), then by the collector's
shared filter (assess.probes.redact).
"""

from __future__ import annotations

import re
from typing import Any

from assess.probes.database.common import BACKUP_TOOLS, loose_text
from assess.probes.facts import Section, fact

_TOOLS = sorted({t for tools in BACKUP_TOOLS.values() for t in tools}, key=len, reverse=True)
_PATTERN = "|".join(re.escape(t).replace("\\ ", " ").replace("\\-", "-") for t in _TOOLS)

_SNIPPET = r"""
for _f in "$R"/etc/crontab "$R"/etc/cron.d/* "$R"/var/spool/cron/crontabs/* "$R"/var/spool/cron/* \
          "$R"/etc/cron.daily/* "$R"/etc/cron.weekly/* "$R"/etc/cron.hourly/*; do
  [ -f "$_f" ] || continue
  _f=${_f#"$R"}
  if [ ! -r "$R$_f" ]; then echo "unreadable: $_f"; continue; fi
  grep -inE '(TOOLS)' "$R$_f" 2>/dev/null | grep -v '^[0-9]*:[[:space:]]*#' | \
    sed -E 's/((^|[[:space:]])-p)[^[:space:]]+/\1<redacted>/g; s/(--password[= ])[^[:space:]]+/\1<redacted>/g;
            s/((PGPASSWORD|MYSQL_PWD|REDISCLI_AUTH)=)[^[:space:]]+/\1<redacted>/g;
            s/((^|[[:space:]])-a[[:space:]]+)[^[:space:]]+/\1<redacted>/g' | _redact | sed "s|^|$_f:|"
done
""".replace("TOOLS", _PATTERN)


@fact("database_backup_jobs", _SNIPPET, object_type="database")
def database_backup_jobs(section: Section) -> dict[str, Any]:
    """Cron lines that run a backup tool, by engine: {"jobs": [{"file", "line", "tool"}],
    "mysql": ["mysqldump"], "postgresql": [], "redis": [], "unreadable": [...]}."""
    jobs: list[dict[str, Any]] = []
    unreadable: list[str] = []
    for line in loose_text(section).splitlines():
        if line.startswith("unreadable: "):
            unreadable.append(line[len("unreadable: "):])
            continue
        path, sep, rest = line.partition(":")
        number, sep2, text = rest.partition(":")
        if not (sep and sep2 and number.isdigit()):
            continue
        low = text.lower()
        tool = next((t for t in _TOOLS if t.lower() in low), "")
        jobs.append({"file": path, "line": int(number), "tool": tool, "text": text.strip()})
    out: dict[str, Any] = {"jobs": jobs, "unreadable": unreadable}
    for engine, tools in BACKUP_TOOLS.items():
        out[engine] = sorted({j["tool"] for j in jobs if j["tool"] in tools})
    return out
