"""Installed packages and pending security updates, read from the package databases on the host.

Domain notes §3.1 L29 (minimal installation) and L32 (known vulnerabilities patched). Nothing is
downloaded: pending updates come from the package index already on the host. On Debian/Ubuntu the
installed versions (/var/lib/dpkg/status) are joined on the host with the `*-security` package lists
in /var/lib/apt/lists and compared here with dpkg's version ordering; on RHEL-family hosts `dnf -C` /
`yum -C` (cache only) list the security advisories. The age of the index is reported: pending = 0 on
an index a year old proves little.
"""

from __future__ import annotations

import calendar
import re
import time

from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.linux import debversion
from assess.probes.linux.parsers import to_int

_JOIN_AWK = r"""
$0 == "--split--" { part = 2; next }
/^Package:/ { p = $2; next } /^Architecture:/ { a = $2; next } /^Version:/ { v = $2; next } /^Status:/ { s = $0; next }
/^$/ {
  if (part != 2 && s ~ / installed$/) inst[p ":" a] = v
  else if (part == 2 && ((p ":" a) in inst)) print "sec " p " " a " " inst[p ":" a] " " v
  p = a = v = s = ""
}
"""
#: Distributions whose security fixes come from a `*-security` suite (elsewhere, e.g. Kylin, UOS, Deepin,
#: they arrive in the ordinary suites and a missing security list says nothing).
_SECURITY_SUITE_DISTROS = {"debian", "ubuntu", "raspbian", "linuxmint", "kali", "pop", "elementary"}
_FIELDS = "grep -E '^(Package|Architecture|Version|Status):|^$'"

_SNIPPET = f"""
if [ -f "$R/var/lib/dpkg/status" ]; then
  echo "manager dpkg"
  [ -r "$R/etc/os-release" ] && sed -n 's/^ID=/osid /p' "$R/etc/os-release" | tr -d '"'
  for _f in "$R"/var/lib/apt/lists/*_Packages*; do
    [ -f "$_f" ] || continue
    case "$_f" in *.diff_Index) continue ;; esac
    echo "list ${{_f##*/}}"
  done
  for _f in "$R"/var/lib/apt/lists/*security*Release; do
    [ -f "$_f" ] && echo "release ${{_f##*/}} $(grep -m1 '^Date:' "$_f" | cut -c7-)"
  done
  {{
    {_FIELDS} "$R/var/lib/dpkg/status"; echo; echo "--split--"
    for _f in "$R"/var/lib/apt/lists/*security*_Packages*; do
      case "$_f" in *.diff_Index) continue ;; esac
      [ -f "$_f" ] || continue
      case "$_f" in
        *.gz) gzip -dc "$_f" ;; *.xz) xz -dc "$_f" ;; *.bz2) bzip2 -dc "$_f" ;;
        *.lz4|*.zst) /usr/lib/apt/apt-helper cat-file "$_f" ;;
        *) cat "$_f" ;;
      esac 2>/dev/null | {_FIELDS}
      echo
    done
  }} | awk '{_JOIN_AWK}'
  _cmd dpkg -l
else
  echo "manager rpm"
  _cmd rpm -qa --qf '%{{NAME}} %{{INSTALLTIME}}\\n'
  if [ -n "$R" ] || command -v dnf >/dev/null 2>&1; then _cmd _t 60 dnf -C updateinfo list --security; fi
  if [ -n "$R" ] || ! command -v dnf >/dev/null 2>&1; then _cmd _t 60 yum -C updateinfo list security; fi
fi
"""


@fact("packages", f"""
for _f in /var/log/dpkg.log /var/log/dnf.rpm.log /var/log/yum.log; do
  [ -r "$R$_f" ] && echo "lastlog $_f $(tail -n 1 "$R$_f")"
done
{_SNIPPET}
_cmd date +%s
""")
def packages(section: Section) -> dict:
    """Installed packages, pending security updates and how fresh the package index is.
    Example: {"manager": "dpkg", "installed_count": 812, "installed": ["adduser", ...],
    "security_repository": true, "index_age_days": 2, "pending_security": 3,
    "pending_security_packages": ["libssl3", ...], "pending_severe": 1, "pending_severe_packages": ["libssl3"],
    "last_package_change": "2026-11-28", "last_change_days": 0}. `pending_severe` counts pending updates whose
    advisory is rated Critical or Important (RPM updateinfo); null when the advisories carry no rating."""
    plain = section.plain().split("\n")
    manager = next((line.split()[1] for line in plain if line.startswith("manager ")), "")
    date = section.command("date")
    now = to_int(date.output.strip()) if date.found else None
    out: dict = {"manager": manager}
    if manager == "dpkg":
        listing = section.command("dpkg -l")
        if not listing.found or listing.rc != 0:
            raise FactUnavailable("dpkg -l failed: the installed packages cannot be listed")
        names = sorted({parts[1].split(":")[0] for parts in (line.split() for line in listing.output.split("\n"))
                        if len(parts) >= 3 and len(parts[0]) >= 2 and parts[0][1] == "i"})
        out.update(installed_count=len(names), installed=names)
        out.update(_debian_updates(plain, now))
    elif manager == "rpm":
        rpm = section.command("rpm")
        if not rpm.found or rpm.rc != 0:
            raise FactUnavailable("rpm -qa failed: the installed packages cannot be listed")
        rows = [line.split() for line in rpm.output.split("\n") if line.strip()]
        names = sorted({r[0] for r in rows})
        out.update(installed_count=len(names), installed=names)
        out.update(_rpm_updates(section))
        times = [int(r[1]) for r in rows if len(r) > 1 and r[1].isdigit()]
        if times:
            out.update(last_package_change=time.strftime("%Y-%m-%d", time.gmtime(max(times))),
                       last_change_days=max(0, (now - max(times)) // 86400) if now else None)
            return out
    else:
        raise FactUnavailable("neither dpkg nor rpm: the package manager is not supported")
    out.update(_last_change(plain, now))
    return out


def _debian_updates(plain: list[str], now: int | None) -> dict:
    lists = [line[5:] for line in plain if line.startswith("list ")]
    if not lists:
        raise FactUnavailable("no package index in /var/lib/apt/lists (apt update never ran): pending updates "
                              "cannot be known without downloading, which assess does not do")
    security_lists = [n for n in lists if "security" in n]
    os_id = next((line.split()[1] for line in plain if line.startswith("osid ") and len(line.split()) > 1), "")
    if not security_lists and os_id not in _SECURITY_SUITE_DISTROS:
        raise FactUnavailable(f"{os_id or 'this distribution'} publishes no separate *-security suite: security "
                              "updates cannot be told apart from other updates in the package index")
    dates = []
    for line in plain:
        if line.startswith("release "):
            parts = line.split(" ", 2)
            stamp = _rfc2822(parts[2]) if len(parts) > 2 else None
            if stamp:
                dates.append(stamp)
    pending: dict[str, str] = {}
    for line in plain:
        parts = line.split()
        if len(parts) == 5 and parts[0] == "sec":
            _, name, _arch, installed, candidate = parts
            if debversion.compare(candidate, installed) > 0:
                best = pending.get(name)
                if best is None or debversion.compare(candidate, best) > 0:
                    pending[name] = candidate
    age = max(0, (now - max(dates)) // 86400) if dates and now else None
    count = len(pending) if security_lists else None
    return {"security_repository": bool(security_lists), "index_age_days": age,
            "pending_security": count, "pending_security_packages": sorted(pending),
            # Debian's security index rates no advisory: none pending is the only severity known
            "pending_severe": 0 if count == 0 else None, "pending_severe_packages": []}


#: Advisory ratings of `dnf/yum updateinfo` (Red Hat's scale; Important is its "high").
_RATINGS = ("Critical", "Important", "Moderate", "Low")
_SEVERE = ("Critical", "Important")


def _rpm_updates(section: Section) -> dict:
    runs = [r for r in (section.command("_t 60 dnf -C updateinfo list --security"),
                        section.command("_t 60 yum -C updateinfo list security")) if r.found and r.rc != 127]
    if not runs:
        raise FactUnavailable("neither dnf nor yum is available: pending security updates cannot be listed")
    run = runs[0]
    if run.rc != 0:
        first = next((line for line in run.output.split("\n") if "rror" in line), run.output.strip()[:200])
        raise FactUnavailable(f"the package cache cannot be read offline ({first}); as root run the scan "
                              "after the usual `dnf makecache`, assess never downloads")
    pkgs, severe = set(), set()
    unrated = False
    for line in run.output.split("\n"):
        parts = line.split()
        if len(parts) >= 3 and re.match(r"^[A-Z]+-\d{4}[:-]\d+", parts[0]) and "Sec" in parts[1]:
            name = re.sub(r"-(\d+:)?[^-]+-[^-]+$", "", parts[2])
            pkgs.add(name)
            rating = parts[1].split("/", 1)[0] if "/" in parts[1] else ""
            if rating in _SEVERE:
                severe.add(name)
            elif rating not in _RATINGS:
                unrated = True
    age = None
    m = re.search(r"Last metadata expiration check: (?:(\d+) days?, )?(\d+):\d+:\d+ ago", run.output)
    if m:
        age = int(m.group(1) or 0) + int(m.group(2)) // 24
    return {"security_repository": True, "index_age_days": age, "pending_security": len(pkgs),
            "pending_security_packages": sorted(pkgs),
            "pending_severe": None if unrated and not severe else len(severe),
            "pending_severe_packages": sorted(severe)}


def _rfc2822(text: str) -> int | None:
    m = re.search(r"(\d{1,2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2})", text)
    if not m:
        return None
    months = {mon: i for i, mon in enumerate(calendar.month_abbr) if mon}
    day, mon, year, hh, mm, ss = m.groups()
    return calendar.timegm((int(year), months.get(mon, 1), int(day), int(hh), int(mm), int(ss)))


def _last_change(plain: list[str], now: int | None) -> dict:
    for line in plain:
        if not line.startswith("lastlog "):
            continue
        m = re.search(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})", line)
        if m:
            stamp = calendar.timegm(tuple(int(x) for x in m.groups()) + (0, 0, 0))
            return {"last_package_change": time.strftime("%Y-%m-%d", time.gmtime(stamp)),
                    "last_change_days": max(0, (now - stamp) // 86400) if now else None}
    return {"last_package_change": None, "last_change_days": None}
