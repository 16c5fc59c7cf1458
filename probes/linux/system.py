"""Identity of the host: distribution family and version, kernel, the collecting user."""

from __future__ import annotations

from assess.probes.facts import Section, fact
from assess.probes.linux.parsers import key_values, to_int

RHEL_LIKE = {"rhel", "centos", "fedora", "rocky", "almalinux", "ol", "kylin", "anolis", "openeuler",
             "euleros", "alinux", "tencentos", "uos", "neokylin"}
DEBIAN_LIKE = {"debian", "ubuntu", "linuxmint", "deepin", "uniontech", "kali", "raspbian"}


@fact("os_release", "_file /etc/os-release /etc/redhat-release /etc/debian_version; _cmd uname -sr")
def os_release(section: Section) -> dict:
    """Distribution and family. Example: {"id": "debian", "version_id": "12", "family": "debian",
    "pretty_name": "Debian GNU/Linux 12 (bookworm)", "kernel": "Linux 6.1.0"}"""
    info = key_values(section.file("/etc/os-release").content, sep="=")
    os_id = info.get("ID", "").lower()
    like = set(info.get("ID_LIKE", "").lower().split())
    if os_id in DEBIAN_LIKE or like & DEBIAN_LIKE or section.file("/etc/debian_version").ok:
        family = "debian"
    elif os_id in RHEL_LIKE or like & RHEL_LIKE or section.file("/etc/redhat-release").ok:
        family = "rhel"
    else:
        family = "other"
    if os_id in ("kylin", "neokylin") and (like & DEBIAN_LIKE or section.file("/etc/debian_version").ok):
        family = "debian"  # 银河麒麟 desktop/server V10 SP1 variants built on Ubuntu
    uname = section.command("uname")
    return {"id": os_id, "version_id": info.get("VERSION_ID", ""), "family": family,
            "pretty_name": info.get("PRETTY_NAME", ""), "major": to_int(info.get("VERSION_ID", "").split(".")[0]),
            "kernel": uname.output.strip() if uname.found else ""}


@fact("collector", "_cmd id -u; _cmd id -un; _cmd hostname")
def collector(section: Section) -> dict:
    """Who collected: {"uid": 0, "user": "root", "root": true, "hostname": "web01"}."""
    uid = to_int(section.command("id -u").output.strip()) if section.command("id -u").found else None
    user = section.command("id -un").output.strip()
    host = section.command("hostname")
    return {"uid": uid, "user": user, "root": uid == 0, "hostname": host.output.strip() if host.found else ""}
