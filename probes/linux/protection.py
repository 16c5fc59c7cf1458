"""Host protection: ClamAV signatures, file-integrity tools, trusted boot (TPM/IMA), time synchronisation.

Domain notes §3.1 L24, L33–L35, L37. Agents (EDR, HIDS, commercial anti-virus) are recognised by
their process names, which are profile parameters used with the `processes` fact; the facts here
read what can be dated or verified on disk.
"""

from __future__ import annotations

import calendar
import re

from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.linux.parsers import key_values, to_int

_MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}
_CVD = re.compile(r"ClamAV-VDB:(\d{1,2}) (\w{3}) (\d{4}) (\d{2})[-:](\d{2}) ([+-]\d{4}):(\d+):(\d+):\d+:[^:]*:[^:]*:"
                  r"[^:]*:?(\d+)?")


def cvd_header(text: str) -> dict | None:
    """The header of a ClamAV database (`ClamAV-VDB:27 Nov 2026 07-32 +0000:27470:…:stime`)."""
    m = _CVD.search(text)
    if not m:
        return None
    day, mon, year, hh, mm, tz, version, sigs, stime = m.groups()
    if stime and len(stime) >= 9:
        built = int(stime)
    else:
        offset = (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60) * (1 if tz[0] == "+" else -1)
        built = calendar.timegm((int(year), _MONTHS.get(mon, 1), int(day), int(hh), int(mm), 0)) - offset
    return {"version": int(version), "signatures": int(sigs), "built": built}


@fact("clamav", """
for _p in /usr/bin/clamscan /usr/sbin/clamd /usr/bin/clamdscan /usr/bin/freshclam; do
  [ -e "$R$_p" ] && echo "exists $_p"
done
for _f in daily.cld daily.cvd main.cld main.cvd; do
  [ -r "$R/var/lib/clamav/$_f" ] && echo "db $_f $(head -c 160 "$R/var/lib/clamav/$_f" | tr -cd '[:print:]')"
done
_cmd date +%s
""")
def clamav(section: Section) -> dict:
    """ClamAV installed, and the age of its newest `daily` signature database (from the database
    header's build time, not the file date). Example: {"installed": true, "daily_version": 27470,
    "signature_age_days": 1, "databases": ["daily.cld", "main.cvd"]}"""
    plain = section.plain().split("\n")
    installed = any(line.startswith("exists ") for line in plain)
    date = section.command("date")
    now = to_int(date.output.strip()) if date.found else None
    out: dict = {"installed": installed, "databases": [], "daily_version": None, "signature_age_days": None}
    newest = None
    for line in plain:
        if not line.startswith("db "):
            continue
        _, name, header = line.split(" ", 2) if line.count(" ") >= 2 else (line, line[3:], "")
        out["databases"].append(name)
        info = cvd_header(header)
        if info and name.startswith("daily") and (newest is None or info["built"] > newest["built"]):
            newest = info
    if newest:
        out["daily_version"] = newest["version"]
        if now is not None:
            out["signature_age_days"] = max(0, (now - newest["built"]) // 86400)
    return out


@fact("integrity_tools", """
for _p in /usr/sbin/aide /usr/bin/aide /usr/sbin/tripwire /usr/sbin/samhain /usr/local/sbin/samhain; do
  [ -e "$R$_p" ] && echo "exists $_p"
done
for _f in /etc/aide.conf /etc/aide/aide.conf; do
  [ -f "$R$_f" ] && grep -hE '^[[:space:]]*(database|database_in|database_out|@@define[[:space:]]+DBDIR)' "$R$_f" | _redact | sed "s|^|aideconf |"
done
for _d in /var/lib/aide /var/lib/tripwire /var/lib/samhain; do
  [ -d "$R$_d" ] || continue
  if [ -r "$R$_d" ] && [ -x "$R$_d" ]; then
    for _f in "$R$_d"/*; do [ -f "$_f" ] && echo "dbfile ${_f#"$R"}"; done
  else echo "denied $_d"; fi
done
[ -f "$R/etc/tripwire/tw.cfg" ] && echo "exists /etc/tripwire/tw.cfg"
""")
def integrity_tools(section: Section) -> dict:
    """AIDE / Tripwire / Samhain installed with a baseline database. Whether they run periodically is
    the `scheduled_jobs` fact. Example: {"aide": {"installed": true, "database": true,
    "database_files": ["/var/lib/aide/aide.db.gz"]}, "tripwire": {...}, "samhain": {...}, "any_ready": true}"""
    plain = section.plain().split("\n")
    exists = {line[7:] for line in plain if line.startswith("exists ")}
    dbfiles = [line[7:] for line in plain if line.startswith("dbfile ")]
    denied = [line[7:] for line in plain if line.startswith("denied ")]
    tools = {
        "aide": ({"/usr/sbin/aide", "/usr/bin/aide"}, "/var/lib/aide/", r"aide\.db(\.gz)?$"),
        "tripwire": ({"/usr/sbin/tripwire"}, "/var/lib/tripwire/", r"\.twd$"),
        "samhain": ({"/usr/sbin/samhain", "/usr/local/sbin/samhain"}, "/var/lib/samhain/", r"samhain_file$"),
    }
    out: dict = {}
    for name, (binaries, directory, pattern) in tools.items():
        installed = bool(binaries & exists)
        files = [f for f in dbfiles if f.startswith(directory) and re.search(pattern, f)]
        if installed and not files and directory.rstrip("/") in denied:
            raise FactUnavailable(f"permission denied listing {directory} (run as root or with sudo): "
                                  f"whether the {name} database exists cannot be seen")
        out[name] = {"installed": installed, "database": bool(files), "database_files": files}
    out["aide"]["config"] = [line[10:].strip() for line in plain if line.startswith("aideconf ")]
    out["any_ready"] = any(v["installed"] and v["database"] for v in out.values() if isinstance(v, dict))
    return out


@fact("trusted_boot", """
for _d in "$R"/sys/class/tpm/tpm*; do [ -e "$_d" ] && echo "tpm ${_d##*/}"; done
[ -d "$R/sys/firmware/efi" ] && echo "efi"
for _f in "$R"/sys/firmware/efi/efivars/SecureBoot-*; do
  [ -r "$_f" ] && echo "secureboot $(od -An -t u1 "$_f" 2>/dev/null | awk '{print $NF}')"
done
_file /sys/kernel/security/ima/runtime_measurements_count /proc/cmdline
""")
def trusted_boot(section: Section) -> dict:
    """Root-of-trust evidence: TPM devices, UEFI Secure Boot state, the IMA measurement list.
    `ima_active` is true when IMA measures more than the boot aggregate or the kernel command line sets
    an IMA policy. Example: {"tpm": true, "tpm_devices": ["tpm0"], "secure_boot": true,
    "ima_measurements": 1532, "ima_active": true}"""
    plain = section.plain().split("\n")
    devices = sorted(line[4:] for line in plain if line.startswith("tpm "))
    sb = [line.split()[-1] for line in plain if line.startswith("secureboot ") and line.split()[-1].isdigit()]
    count_read = section.file("/sys/kernel/security/ima/runtime_measurements_count")
    cmdline = section.file("/proc/cmdline").content
    policy = re.findall(r"\b(ima_policy|ima_appraise|ima_tcb)\b(?:=(\S+))?", cmdline)
    count = to_int(count_read.content.strip()) if count_read.ok else None
    if count is not None:
        active: bool | None = count > 1 or bool(policy)
    elif policy:
        active = True
    elif count_read.status == "denied":
        if devices:
            raise FactUnavailable("permission denied reading the IMA measurement list (run as root or with sudo)")
        active = None
    else:
        active = False
    return {"tpm": bool(devices), "tpm_devices": devices, "efi": "efi" in plain,
            "secure_boot": (sb[0] == "1") if sb else None, "ima_measurements": count, "ima_active": active,
            "ima_cmdline": [f"{k}={v}" if v else k for k, v in policy]}


@fact("time_sync", """
_cmd timedatectl show
_cmd _t 3 chronyc -n tracking
_cmd _t 3 ntpq -pn
""")
def time_sync(section: Section) -> dict:
    """Whether the clock is synchronised, by whichever source answers: systemd (`timedatectl show`,
    which reads the kernel's sync flag whatever daemon disciplines the clock), chrony, or ntpd.
    Example: {"synchronized": true, "sources": {"timedatectl": true, "chrony": true}, "ntp_enabled": true}"""
    sources: dict[str, bool] = {}
    out: dict = {}
    td = section.command("timedatectl show")
    if td.found and td.rc == 0:
        kv = key_values(td.output, sep="=")
        if "NTPSynchronized" in kv:
            sources["timedatectl"] = kv["NTPSynchronized"] == "yes"
            out["ntp_enabled"] = kv.get("NTP") == "yes"
    chrony = section.command("_t 3 chronyc -n tracking")
    if chrony.found and chrony.rc == 0 and "Leap status" in chrony.output:
        status = re.search(r"Leap status\s*:\s*(.+)", chrony.output)
        sources["chrony"] = bool(status) and "not synchronised" not in status.group(1).lower()
        ref = re.search(r"Reference ID\s*:\s*(.+)", chrony.output)
        out["chrony_reference"] = ref.group(1).strip() if ref else ""
    ntpq = section.command("_t 3 ntpq -pn")
    if ntpq.found and ntpq.rc == 0 and "remote" in ntpq.output:
        peers = [line for line in ntpq.output.split("\n") if line[:1] in "*o"]
        sources["ntpd"] = bool(peers)
        out["ntp_peer"] = peers[0][1:].split()[0] if peers else ""
    out["sources"] = sources
    out["synchronized"] = any(sources.values())
    if not sources:
        out["reason"] = "no time synchronisation service answered (timedatectl, chronyc, ntpq)"
    return out
