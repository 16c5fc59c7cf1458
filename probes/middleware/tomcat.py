"""Tomcat facts (domain notes §3.5, T01–T09): conf/server.xml, tomcat-users.xml, web.xml, logging.properties,
the deployed applications, version.sh, the running process and the log files.

The object's `catalina_base` (conf/, webapps/, logs/) and `catalina_home` (bin/, lib/) say which Tomcat;
without them the usual Debian and tarball locations are tried. Every password-like XML attribute
(`password`, `keystorePass`, `connectionPassword` …) is judged on the host and replaced: tomcat-users.xml
passwords become `[redacted:len=N,default=yes|no,hashed=yes|no]`, other secrets `[redacted]` (the
files stay well-formed XML).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from assess.probes.database.common import is_loopback, log_files, loose_text, number
from assess.probes.facts import FactUnavailable, FileRead, Section, fact
from assess.probes.service import quote, register_setup

#: Passwords of the sample tomcat-users.xml and other well-known ones, judged on the host.
DEFAULT_PASSWORDS = ("tomcat", "s3cret", "role1", "&lt;must-be-changed&gt;", "<must-be-changed>", "admin",
                     "password", "changeit", "123456", "manager", "robot", "both", "tomcat123", "admin123")
DEFAULT_USERS = ("admin", "robot", "tomcat", "role1", "both", "manager")
LEVELS = ("ALL", "FINEST", "FINER", "FINE", "CONFIG", "INFO", "WARNING", "SEVERE", "OFF")

_USERS_AWK = r"""
function verdict(v,   d, h) {
  d = (index(DEFAULTS, "|" v "|") > 0) ? "yes" : "no"
  h = (v ~ /^[0-9a-fA-F]+\$[0-9]+\$[0-9a-fA-F]+$/ || (length(v) >= 32 && v ~ /^[0-9a-fA-F]+$/) || v ~ /^\{[A-Za-z0-9-]+\}/) ? "yes" : "no"
  return "[redacted:len=" length(v) ",default=" d ",hashed=" h "]"
}
{
  out = ""; rest = $0
  while (match(rest, /[Pp]assword[ \t]*=[ \t]*("[^"]*"|\047[^\047]*\047)/)) {
    piece = substr(rest, RSTART, RLENGTH); eq = index(piece, "=")
    value = substr(piece, eq + 1); sub(/^[ \t]*/, "", value); value = substr(value, 2, length(value) - 2)
    out = out substr(rest, 1, RSTART - 1) substr(piece, 1, eq) "\"" verdict(value) "\""
    rest = substr(rest, RSTART + RLENGTH)
  }
  print out rest
}
"""


_SECRET_ATTRS = r"""s/([A-Za-z]*([Pp]ass(word|phrase)?|[Ss]ecret|[Tt]oken)[[:space:]]*=[[:space:]]*)("[^"]*"|'[^']*')/\1"[redacted]"/g"""


def _setup(settings: Mapping[str, Any]) -> str:
    defaults = "|" + "|".join(DEFAULT_PASSWORDS) + "|"
    awk = _USERS_AWK.replace("DEFAULTS", '"' + defaults + '"').strip()
    return f"""
_tb=$A_BASE; _th=$A_HOME
[ -n "$_tb" ] || _tb=$_th
if [ -z "$_tb" ]; then
  for _d in /var/lib/tomcat10 /var/lib/tomcat9 /opt/tomcat /usr/local/tomcat /usr/share/tomcat; do
    [ -f "$R$_d/conf/server.xml" ] && {{ _tb=$_d; break; }}
  done
fi
if [ -z "$_th" ]; then
  for _d in "$_tb" /usr/share/tomcat10 /usr/share/tomcat9; do [ -f "$R$_d/bin/catalina.sh" ] && {{ _th=$_d; break; }}; done
fi
# _xmlfile PATH: a file like _file, with every password-like attribute value replaced.
_xmlfile() {{
  if [ ! -e "$R$1" ] || [ -d "$R$1" ]; then echo "$B M $1"
  elif [ ! -r "$R$1" ]; then echo "$B D $1"
  else echo "$B F $1"; sed -E {quote(_SECRET_ATTRS)} "$R$1" | _redact; echo; fi
}}
# _usersfile PATH: tomcat-users.xml with each password judged here (length, a known default, hashed).
_usersfile() {{
  if [ ! -e "$R$1" ]; then echo "$B M $1"
  elif [ ! -r "$R$1" ]; then echo "$B D $1"
  else echo "$B F $1"; awk {quote(awk)} "$R$1"; fi
}}
"""


register_setup(("tomcat",), _setup)


def _xml(read: FileRead, what: str) -> ET.Element:
    if read.status == "denied":
        raise FactUnavailable(f"permission denied reading {read.path} (run as root or the tomcat user)")
    if not read.ok:
        raise FactUnavailable(f"{what} not found at {read.path} (set catalina_base in the inventory)")
    try:
        return ET.fromstring(read.content.strip())
    except ET.ParseError as exc:
        raise FactUnavailable(f"{read.path} is not well-formed XML: {exc}") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _one(section: Section, what: str) -> FileRead:
    reads = list(section.files().values())
    if not reads:
        raise FactUnavailable(f"no Tomcat found (no conf/{what}; set catalina_base in the inventory)")
    return reads[0]


def _tls(connector: ET.Element) -> bool:
    a = connector.attrib
    return a.get("SSLEnabled", "").lower() == "true" or any(_local(c.tag) == "SSLHostConfig" for c in connector)


def _ajp_open_without_secret(a: Mapping[str, str]) -> bool:
    """An AJP connector that other hosts can reach without a secret (Ghostcat, CVE-2020-1938).

    Since 7.0.100 / 8.5.51 / 9.0.31 an AJP connector without `address` listens on the loopback address only
    and requires a secret unless `secretRequired="false"`; before, it listened on every address and took no
    secret. `secretRequired` exists only in the fixed versions, so a connector naming it follows the new
    defaults; one naming neither it nor a secret is read as the old default (open on every address)."""
    has_secret = bool(a.get("secret") or a.get("requiredSecret"))
    required = a.get("secretRequired")
    address = a.get("address", "")
    if required is None:
        return not has_secret and not (address and is_loopback(address))
    if required.lower() != "false":
        return False
    return bool(address) and not is_loopback(address)


def _marked_https(a: Mapping[str, str]) -> bool:
    """A plain connector told that clients reach it through HTTPS (TLS ends at a proxy in front)."""
    return a.get("scheme", "").lower() == "https" or a.get("secure", "").lower() == "true" \
        or a.get("proxyPort", "") == "443"


def summarise_server(root: ET.Element) -> dict[str, Any]:
    """What the checks read from server.xml (comments are not configuration: a commented-out LockOutRealm
    counts as absent). A plain HTTP connector bound to loopback behind an HTTPS proxy (RemoteIpValve, or
    scheme="https" / secure="true" / proxyPort="443") is `behind_https_proxy`, not `plain_http`: nothing
    crosses the network in clear there, and the proxy is judged as its own object."""
    connectors, plain, tls, ajp_open, proxied = [], [], [], [], []
    remote_ip = any(_local(v.tag) == "Valve" and v.attrib.get("className", "").endswith(".RemoteIpValve")
                    for v in root.iter())
    for c in root.iter():
        if _local(c.tag) != "Connector":
            continue
        a = c.attrib
        protocol = a.get("protocol", "HTTP/1.1")
        entry = {"port": a.get("port", ""), "protocol": protocol, "tls": _tls(c), "address": a.get("address", ""),
                 "server": a.get("server", "")}
        connectors.append(entry)
        label = f"{a.get('port', '?')} {protocol}"
        if "AJP" in protocol.upper():
            if _ajp_open_without_secret(a):
                ajp_open.append(label)
        elif entry["tls"]:
            tls.append(label)
        elif is_loopback(a.get("address", "") or "x") and (remote_ip or _marked_https(a)):
            proxied.append(label)
        else:
            plain.append(label)
    realms = [r for r in root.iter() if _local(r.tag) == "Realm"]
    lockout = [r for r in realms if r.attrib.get("className", "").endswith(".LockOutRealm")]
    valves = [v.attrib for v in root.iter() if _local(v.tag) == "Valve"]
    access = [v for v in valves if v.get("className", "").endswith("AccessLogValve")]
    errors = [v for v in valves if v.get("className", "").endswith(".ErrorReportValve")]
    handlers = [h for h in root.iter() if _local(h.tag) == "CredentialHandler"]
    lock = lockout[0].attrib if lockout else {}
    return {
        "connectors": connectors, "plain_http": plain, "tls_connectors": tls, "ajp_without_secret": ajp_open,
        "behind_https_proxy": proxied,
        "lockout_realm": bool(lockout),
        "lockout_failure_count": number(lock.get("failureCount", "5")) if lockout else None,
        "lockout_time": number(lock.get("lockOutTime", "300")) if lockout else None,
        "realms": [r.attrib.get("className", "") for r in realms],
        "access_log": bool(access),
        "server_info_hidden": any(v.get("showServerInfo", "true").lower() == "false" for v in errors),
        "credential_handler": [h.attrib.get("className", "") + (f" {h.attrib['algorithm']}"
                                                               if "algorithm" in h.attrib else "")
                               for h in handlers],
        "server_header": [c["server"] for c in connectors if c["server"]],
    }


@fact("tomcat_server", '_xmlfile "$_tb/conf/server.xml"', object_type="middleware")
def tomcat_server(section: Section) -> dict[str, Any]:
    """server.xml: connectors (TLS, plain HTTP, AJP without a secret), realms (LockOutRealm with its
    failureCount/lockOutTime), AccessLogValve, ErrorReportValve showServerInfo, CredentialHandler."""
    return summarise_server(_xml(_one(section, "server.xml"), "server.xml"))


_PW = re.compile(r"\[redacted:len=(\d+),default=(yes|no),hashed=(yes|no)\]")


def summarise_users(root: ET.Element) -> dict[str, Any]:
    """Users of tomcat-users.xml (passwords judged on the host) and the lists the checks read."""
    users = []
    for u in root.iter():
        if _local(u.tag) != "user":
            continue
        a = u.attrib
        name = a.get("username", a.get("name", ""))
        m = _PW.fullmatch(a.get("password", ""))
        length, default, hashed = (int(m[1]), m[2] == "yes", m[3] == "yes") if m else (0, False, False)
        roles = [r.strip() for r in a.get("roles", "").split(",") if r.strip()]
        users.append({"user": name, "roles": roles, "password_length": length, "default_password": default,
                      "hashed": hashed, "default_name": name in DEFAULT_USERS})
    admin = ("manager-gui", "manager-script", "manager-jmx", "manager-status", "admin-gui", "admin-script")
    return {
        "users": users,
        "count": len(users),
        "empty_password": [u["user"] for u in users if u["password_length"] == 0],
        "default_password": [u["user"] for u in users if u["default_password"]],
        "default_names": [u["user"] for u in users if u["default_name"]],
        "default_name_and_password": [u["user"] for u in users if u["default_name"] and u["default_password"]],
        "plain_passwords": [u["user"] for u in users if not u["hashed"]],
        "admins": [u["user"] for u in users if set(u["roles"]) & set(admin)],
        "mixed_manager_roles": [u["user"] for u in users if "manager-gui" in u["roles"]
                                and ({"manager-script", "manager-jmx"} & set(u["roles"]))],
        "users_min_length": [{"user": u["user"], "length": u["password_length"]} for u in users
                             if not u["hashed"]],
    }


@fact("tomcat_users", '_usersfile "$_tb/conf/tomcat-users.xml"', object_type="middleware")
def tomcat_users(section: Section) -> dict[str, Any]:
    """tomcat-users.xml without passwords: per user the roles and the password's length, whether it is a
    known default and whether it is stored hashed (comments are not users)."""
    read = _one(section, "tomcat-users.xml")
    if read.status == "missing":
        return summarise_users(ET.Element("tomcat-users"))
    return summarise_users(_xml(read, "tomcat-users.xml"))


@fact("tomcat_web_xml", '_file "$_tb/conf/web.xml"', object_type="middleware")
def tomcat_web_xml(section: Section) -> dict[str, Any]:
    """conf/web.xml (defaults for every application): session timeout in minutes (0 or less: never) and
    whether the DefaultServlet lists directories."""
    root = _xml(_one(section, "web.xml"), "web.xml")
    timeout = None
    listings = False
    for el in root.iter():
        tag = _local(el.tag)
        if tag == "session-timeout" and el.text and el.text.strip().lstrip("-").isdigit():
            timeout = int(el.text.strip())
        if tag == "init-param":
            name = next((c.text for c in el if _local(c.tag) == "param-name"), "")
            value = next((c.text for c in el if _local(c.tag) == "param-value"), "")
            if (name or "").strip() == "listings" and (value or "").strip().lower() == "true":
                listings = True
    return {"session_timeout_minutes": timeout if timeout is not None else 30,
            "session_timeout_set": timeout is not None, "listings": listings,
            "session_expires": timeout is None or timeout > 0}


def parse_logging(text: str) -> dict[str, Any]:
    """logging.properties → the level of each file/console handler and the handlers coarser than FINE."""
    props: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if sep:
            props[key.strip()] = value.strip()
    declared = [h.strip() for h in props.get("handlers", "").split(",") if h.strip()]
    levels = {h: props.get(f"{h}.level", "ALL").upper() for h in declared}
    fine = LEVELS.index("FINE")
    coarse = [h for h, lv in levels.items() if lv not in LEVELS or LEVELS.index(lv) > fine]
    return {"handlers": declared, "levels": levels, "coarser_than_fine": coarse}


@fact("tomcat_logging", '_file "$_tb/conf/logging.properties"', object_type="middleware")
def tomcat_logging(section: Section) -> dict[str, Any]:
    """conf/logging.properties: the handlers and their levels (T06 wants FINE)."""
    read = _one(section, "logging.properties")
    if read.status == "denied":
        raise FactUnavailable(f"permission denied reading {read.path}")
    if not read.ok:
        raise FactUnavailable(f"{read.path} not found (set catalina_base in the inventory)")
    return parse_logging(read.content)


_APPS_SNIPPET = r"""
echo "base: $_tb"
[ -d "$R$_tb/webapps" ] && for _a in "$R$_tb"/webapps/*; do [ -e "$_a" ] && echo "app: ${_a##*/}"; done
for _x in "$R$_tb"/conf/Catalina/localhost/*.xml; do [ -f "$_x" ] && _xmlfile "${_x#"$R"}"; done
for _m in manager host-manager; do
  [ -f "$R$_tb/webapps/$_m/META-INF/context.xml" ] && _xmlfile "$_tb/webapps/$_m/META-INF/context.xml"
done
"""
SAMPLE_APPS = ("examples", "docs", "sample", "host-manager")


@fact("tomcat_apps", _APPS_SNIPPET, object_type="middleware")
def tomcat_apps(section: Section) -> dict[str, Any]:
    """Deployed applications (webapps/ and context descriptors in conf/Catalina/localhost): samples and
    documentation left installed, and whether the manager applications admit only some addresses."""
    text = loose_text(section)
    apps = [line[5:].strip() for line in text.splitlines() if line.startswith("app: ")]
    descriptors = {}
    for path, read in section.files().items():
        if read.ok:
            name = path.rsplit("/", 1)[-1].removesuffix(".xml")
            if path.endswith("/META-INF/context.xml"):
                name = path.split("/webapps/", 1)[-1].split("/", 1)[0]
            descriptors[name] = read.content
            if name not in apps and path.endswith(".xml") and "/conf/" in path:
                apps.append(name)
    managers = [a for a in apps if a in ("manager", "host-manager")]
    unrestricted = []
    for app in managers:
        content = descriptors.get(app, "")
        try:
            root = ET.fromstring(content.strip()) if content.strip() else None
        except ET.ParseError:
            root = None
        valves = [v.attrib for v in root.iter() if _local(v.tag) == "Valve"] if root is not None else []
        if not any(v.get("className", "").endswith(("RemoteAddrValve", "RemoteCIDRValve", "RemoteHostValve"))
                   for v in valves):
            unrestricted.append(app)
    return {"apps": sorted(apps), "samples": sorted(a for a in apps if a in SAMPLE_APPS),
            "default_root": "ROOT" in apps, "managers": managers, "managers_unrestricted": unrestricted}


@fact("tomcat_version", """
if [ -n "$_th" ] && [ -f "$R$_th/bin/version.sh" ]; then
  echo "$B C version.sh"; CATALINA_BASE="$_tb" _t 30 sh "$R$_th/bin/version.sh" 2>&1 </dev/null; echo "$B RC $?"
else echo "$B X version.sh"; fi
""", object_type="middleware")
def tomcat_version(section: Section) -> dict[str, Any]:
    """`bin/version.sh`: server version and number, JVM: {"server_number": "10.1.34.0", "major": 10}."""
    run = section.command("version.sh")
    if not run.found:
        raise FactUnavailable("bin/version.sh not found (set catalina_home in the inventory)")
    fields = {}
    for line in run.output.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower().replace(" ", "_")] = value.strip()
    if "server_number" not in fields:
        raise FactUnavailable("version.sh printed no version: " + " ".join(run.output.strip().splitlines()[-2:]))
    major = re.match(r"(\d+)", fields["server_number"])
    return {"server_version": fields.get("server_version", ""), "server_number": fields["server_number"],
            "major": int(major.group(1)) if major else 0, "jvm": fields.get("jvm_version", "")}


@fact("tomcat_process", r"""
for _p in /proc/[0-9]*; do
  _cl=$(tr '\000' ' ' < "$_p/cmdline" 2>/dev/null) || continue
  case "$_cl" in *org.apache.catalina.startup.Bootstrap*)
    case "$_cl" in *"catalina.base=$_tb "*|*"catalina.base=$_tb/ "*) _m=yes ;; *) _m=no ;; esac
    echo "process ${_p#/proc/} $(stat -c %U "$_p") $_m" ;;
  esac
done
""", object_type="middleware")
def tomcat_process(section: Section) -> dict[str, Any]:
    """Tomcat JVMs running on the host and their users; `users` are those of this CATALINA_BASE (or of
    every Tomcat when none matches): {"running": true, "users": ["tomcat"], "as_root": false}."""
    procs = []
    for line in loose_text(section).splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "process":
            procs.append({"pid": int(parts[1]), "user": parts[2], "this_base": parts[3] == "yes"})
    mine = [p for p in procs if p["this_base"]] or procs
    users = sorted({p["user"] for p in mine})
    return {"running": bool(mine), "users": users, "as_root": "root" in users, "processes": procs}


@fact("tomcat_log_files", r"""
[ -d "$R$_tb/logs" ] || { echo "no logs directory: $_tb/logs"; exit 0; }
ls -1t "$R$_tb/logs" 2>/dev/null | head -n 50 | while read -r _n; do
  [ -f "$R$_tb/logs/$_n" ] && stat -c '%a %U %G %n' "$R$_tb/logs/$_n"
done
""", object_type="middleware")
def tomcat_log_files(section: Section) -> dict[str, Any]:
    """Modes of the newest files (up to 50) in CATALINA_BASE/logs."""
    return log_files(section)
