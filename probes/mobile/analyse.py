"""Static analysis of one APK with androguard: manifest, signatures, resources and DEX bytecode → fact values.

No decompilation and no androguard `Analysis` (the cross-reference graph is what makes large apps take hours
and gigabytes): each DEX is parsed once and its methods' instructions are read in one pass, with a tiny
register tracker for constant arguments (`Cipher.getInstance("AES/ECB/…")`, `new IvParameterSpec("…".getBytes())`).
Secrets are masked here, before any value leaves this module. Run in a child process by collector.py
(`python -m assess.probes.mobile.analyse APK MEMORY_MB`), which bounds its time and memory.

`analyse(path)` returns {fact: {"status": "ok", "value": …} | {"status": "error", "reason": …}} and `info`.
A packed (加固) APK's code facts are errors naming the packer: what cannot be seen is 无法判定, not a pass.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import resource
import sys
import zipfile
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import yaml

ANDROID = "{http://schemas.android.com/apk/res/android}"
HERE = Path(__file__).resolve().parent

#: Dangerous permissions (Android's protectionLevel "dangerous", plus QUERY_ALL_PACKAGES which the 工信部
#: notices treat as app-list collection).
DANGEROUS = {
    "READ_CALENDAR", "WRITE_CALENDAR", "CAMERA", "READ_CONTACTS", "WRITE_CONTACTS", "GET_ACCOUNTS",
    "ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION", "ACCESS_BACKGROUND_LOCATION", "RECORD_AUDIO",
    "READ_PHONE_STATE", "READ_PHONE_NUMBERS", "CALL_PHONE", "ANSWER_PHONE_CALLS", "READ_CALL_LOG",
    "WRITE_CALL_LOG", "ADD_VOICEMAIL", "USE_SIP", "PROCESS_OUTGOING_CALLS", "BODY_SENSORS", "SEND_SMS",
    "RECEIVE_SMS", "READ_SMS", "RECEIVE_WAP_PUSH", "RECEIVE_MMS", "READ_EXTERNAL_STORAGE",
    "WRITE_EXTERNAL_STORAGE", "ACTIVITY_RECOGNITION", "READ_MEDIA_IMAGES", "READ_MEDIA_VIDEO", "READ_MEDIA_AUDIO",
    "BLUETOOTH_SCAN", "BLUETOOTH_CONNECT", "NEARBY_WIFI_DEVICES", "POST_NOTIFICATIONS", "QUERY_ALL_PACKAGES",
}
#: Dangerous permissions that RDFF 四.1 findings most often name as unrelated to an app's functions
#: (contacts, call log, SMS, accounts, the installed-app list): each must have a declared purpose.
SENSITIVE = {"READ_CONTACTS", "WRITE_CONTACTS", "GET_ACCOUNTS", "READ_CALL_LOG", "WRITE_CALL_LOG",
             "PROCESS_OUTGOING_CALLS", "READ_SMS", "RECEIVE_SMS", "SEND_SMS", "RECEIVE_MMS", "RECEIVE_WAP_PUSH",
             "QUERY_ALL_PACKAGES"}

CODE_FACTS = ("apk_endpoints", "apk_secrets", "apk_weak_crypto", "apk_trust_all", "apk_webview", "apk_sdks", "apk_sdk_disclosure")
#: RDFF scenarios a package cannot show (shown with the privacy facts; they need a device and a hook).
DYNAMIC_ONLY = [
    "三.1 同意隐私政策前即收集个人信息或打开权限：需动态测试（启动后、点击同意前挂钩个人信息接口）",
    "三.2 用户拒绝后仍收集或频繁征求：需动态测试",
    "四.4 收集频度超出业务需要：需动态测试",
    "一.2 首次运行未以弹窗等明显方式提示隐私政策：需界面核查",
    "六 更正、删除、注销与投诉渠道：需界面与流程核查",
]

_SECRET_PATTERNS = [
    ("aliyun_access_key", re.compile(r"\bLTAI[A-Za-z0-9]{12,30}\b"), True),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), True),
    ("tencent_secret_id", re.compile(r"\bAKID[A-Za-z0-9]{13,40}\b"), True),
    ("private_key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"), True),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), False),
]
_SECRET_NAME = re.compile(r"(secret|passw(or)?d|passwd|private_?key|app_?key_?secret|client_?secret|access_?token)",
                          re.I)
_HTTP_URL = re.compile(r"^http://(?!localhost|127\.|10\.|192\.168\.|schemas\.android\.com|www\.w3\.org|ns\.adobe)"
                       r"[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_HTTPS_HOST = re.compile(r"^https://([A-Za-z0-9.\-]+\.[A-Za-z]{2,})(?::\d+)?(?:/|$)")
_PRIVACY_URL = re.compile(r"^https?://\S*(privacy|yinsi|agreement|policy)\S*$", re.I)
_CONSENT = re.compile(r"隐私政策|隐私协议|个人信息保护指引|同意并继续|不同意")
_TEXT_SUFFIXES = (".html", ".htm", ".txt", ".xml", ".json", ".properties", ".js")
MAX_TEXT = 4 * 1024 * 1024


class NotAnApk(Exception):
    """The file is not a readable APK; the message says why, in one line."""


@cache
def sdk_table() -> list[dict[str, Any]]:
    return yaml.safe_load((HERE / "sdks.yaml").read_text(encoding="utf-8"))["sdks"]


@cache
def packer_table() -> list[dict[str, Any]]:
    return yaml.safe_load((HERE / "packers.yaml").read_text(encoding="utf-8"))["packers"]


def mask(value: str) -> str:
    """A secret as it may be shown: kind of shape, never the value (first 4 and last 2 characters)."""
    if value.startswith("-----BEGIN"):
        return value.split("-----")[1] + " block"
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}…{value[-2:]} ({len(value)} chars)"


def _entropy(text: str) -> float:
    counts = {c: text.count(c) for c in set(text)}
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _ok(value: Any) -> dict[str, Any]:
    return {"status": "ok", "value": value}


def _err(reason: str) -> dict[str, Any]:
    return {"status": "error", "reason": reason}


# -- manifest --------------------------------------------------------------------------------------------
def _bool(value: str | None) -> bool | None:
    return None if value is None else value.lower() == "true"


def manifest_facts(apk: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(apk_manifest, apk_exported_components, apk_permissions)."""
    xml = apk.get_android_manifest_xml()
    app = xml.find("application")
    attr = (lambda n: app.get(ANDROID + n)) if app is not None else (lambda n: None)
    min_sdk = int(apk.get_min_sdk_version() or 1)
    target_sdk = int(apk.get_target_sdk_version() or min_sdk)
    backup = _bool(attr("allowBackup"))
    manifest = {
        "package": apk.get_package(), "version_name": apk.get_androidversion_name(),
        "version_code": apk.get_androidversion_code(), "min_sdk": min_sdk, "target_sdk": target_sdk,
        "debuggable": _bool(attr("debuggable")) is True,
        "allow_backup": backup is not False, "allow_backup_declared": backup is not None,
        "uses_cleartext_traffic": _bool(attr("usesCleartextTraffic")),
        "network_security_config": attr("networkSecurityConfig"),
    }
    normal_perms = {p.get(ANDROID + "name") for p in xml.findall("permission")
                    if (p.get(ANDROID + "protectionLevel") or "0") in ("0", "normal", "0x0")}
    unprotected, protected = [], []
    for kind in ("activity", "activity-alias", "service", "receiver", "provider"):
        for node in (app.findall(kind) if app is not None else []):
            name = node.get(ANDROID + "name") or "?"
            filters = node.findall("intent-filter")
            declared = _bool(node.get(ANDROID + "exported"))
            if declared is None:
                exported = bool(filters) if target_sdk < 31 else False
                if kind == "provider" and target_sdk < 17:
                    exported = True
            else:
                exported = declared
            if not exported:
                continue
            launcher = any(c.get(ANDROID + "name") == "android.intent.category.LAUNCHER"
                           for f in filters for c in f.findall("category"))
            perms = {node.get(ANDROID + k) for k in ("permission", "readPermission", "writePermission")} - {None}
            label = f"{kind} {name}"
            if launcher and kind in ("activity", "activity-alias"):
                continue  # the launcher entry must be exported
            if perms and not perms & normal_perms:
                protected.append(label)
            else:
                unprotected.append(label)
    exported_facts = {"unprotected": unprotected, "protected": protected}
    requested = sorted(set(apk.get_permissions()))
    short = [p.rsplit(".", 1)[-1] for p in requested if p.startswith("android.permission.")]
    permissions = {"requested": requested, "dangerous": sorted(p for p in short if p in DANGEROUS),
                   "sensitive": sorted(p for p in short if p in SENSITIVE)}
    return manifest, exported_facts, permissions


def _resource_path(apk: Any, ref: str | None) -> str | None:
    """The file a manifest reference (`@7F020000` or `@xml/name`) names."""
    if not ref:
        return None
    res = apk.get_android_resources()
    if ref.startswith("@xml/"):
        return f"res/xml/{ref[5:]}.xml"
    try:
        configs = res.get_resolved_res_configs(int(ref.lstrip("@"), 16))
    except (ValueError, AttributeError, KeyError):
        return None
    return next((str(v) for _c, v in configs if str(v).startswith("res/")), None)


def _xml_file(apk: Any, path: str) -> ElementTree.Element:
    from androguard.core.axml import AXMLPrinter

    data = apk.get_file(path)
    return ElementTree.fromstring(AXMLPrinter(data).get_xml() if data[:2] == b"\x03\x00" else data)


def network_facts(apk: Any, manifest: dict[str, Any], pinner_in_code: bool | None) -> dict[str, Any]:
    """Effective cleartext policy, user-CA trust and pinning from the manifest and the network security
    config (the NSC wins over usesCleartextTraffic on Android 7+; without either, targetSdk < 28 allows
    cleartext and targetSdk < 24 trusts user-installed CAs)."""
    target = manifest["target_sdk"]
    ref = manifest["network_security_config"]
    path = _resource_path(apk, ref)
    cleartext = manifest["uses_cleartext_traffic"]
    source = "manifest usesCleartextTraffic" if cleartext is not None else f"default for targetSdk {target}"
    if cleartext is None:
        cleartext = target < 28
    user_cas, pins, cleartext_domains, pin_expiry = target < 24, [], [], []
    if ref and not path:
        raise ValueError(f"networkSecurityConfig {ref} does not resolve to a file")
    if path:
        root = _xml_file(apk, path)
        base = root.find("base-config")
        if base is not None and base.get("cleartextTrafficPermitted") is not None:
            cleartext, source = base.get("cleartextTrafficPermitted") == "true", f"{path} base-config"
        elif manifest["uses_cleartext_traffic"] is None:
            cleartext, source = target < 28, f"{path} (no base-config cleartext setting: default)"
        anchors = base.find("trust-anchors") if base is not None else None
        if anchors is not None:
            user_cas = any(c.get("src") == "user" for c in anchors.findall("certificates"))
        for dc in root.iter("domain-config"):
            domains = [d.text or "" for d in dc.findall("domain")]
            if dc.get("cleartextTrafficPermitted") == "true":
                cleartext_domains += domains
            ta = dc.find("trust-anchors")
            if ta is not None and any(c.get("src") == "user" for c in ta.findall("certificates")):
                user_cas = True
            for ps in dc.findall("pin-set"):
                if ps.findall("pin"):
                    pins += domains
                    if ps.get("expiration"):
                        pin_expiry.append(ps.get("expiration"))
    return {"cleartext_permitted": cleartext, "cleartext_source": source, "cleartext_domains": cleartext_domains,
            "user_cas_trusted": user_cas, "network_security_config": path,
            "pinning": bool(pins) or bool(pinner_in_code), "pinned_domains": pins, "pin_expiration": pin_expiry,
            "okhttp_certificate_pinner": pinner_in_code}


# -- signatures ------------------------------------------------------------------------------------------
def signature_facts(apk: Any, now: datetime) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    schemes = [s for s, f in (("v1", apk.is_signed_v1), ("v2", apk.is_signed_v2), ("v3", apk.is_signed_v3)) if f()]
    ders: list[bytes] = [c.dump() for c in apk.get_certificates_v1()] if "v1" in schemes else []
    ders += list(apk.get_certificates_der_v2()) + list(apk.get_certificates_der_v3())
    certs, seen, weak, debug, expired = [], set(), [], False, False
    for der in ders:
        cert = x509.load_der_x509_certificate(der)
        digest = cert.fingerprint(hashes.SHA256()).hex()
        if digest in seen:
            continue
        seen.add(digest)
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            algorithm, bits, strong = "RSA", key.key_size, key.key_size >= 2048
        elif isinstance(key, ec.EllipticCurvePublicKey):
            algorithm, bits, strong = f"EC {key.curve.name}", key.key_size, key.key_size >= 256
        elif isinstance(key, dsa.DSAPublicKey):
            algorithm, bits, strong = "DSA", key.key_size, key.key_size >= 2048
        else:
            algorithm, bits, strong = type(key).__name__, 0, True
        subject = cert.subject.rfc4514_string()
        is_debug = "CN=Android Debug" in subject
        not_after = cert.not_valid_after_utc
        info = {"subject": subject, "issuer": cert.issuer.rfc4514_string(), "sha256": digest,
                "algorithm": algorithm, "key_bits": bits, "signature_hash": cert.signature_hash_algorithm.name
                if cert.signature_hash_algorithm else None,
                "not_before": cert.not_valid_before_utc.isoformat(), "not_after": not_after.isoformat(),
                "debug": is_debug, "self_signed": cert.subject == cert.issuer}
        certs.append(info)
        if not strong:
            weak.append(f"{algorithm} {bits} bit ({subject})")
        debug |= is_debug
        expired |= not_after < now
    return {"schemes": schemes, "v1_only": schemes == ["v1"], "v2_or_v3": bool({"v2", "v3"} & set(schemes)),
            "certificates": certs, "weak_keys": weak, "debug_certificate": debug, "expired": expired,
            "signed": bool(schemes)}


# -- packer ----------------------------------------------------------------------------------------------
def packer_facts(names: list[str], classes: set[str]) -> dict[str, Any]:
    for p in packer_table():
        files = [n for n in names if any(re.search(rx, n) for rx in p["files"])]
        stubs = [c for c in classes if any(c.startswith(pref) for pref in p["classes"])]
        if files or stubs:
            return {"packed": True, "packer": p["name"], "packer_id": p["id"], "evidence": sorted(files + stubs)[:10]}
    return {"packed": False, "packer": None, "packer_id": None, "evidence": []}


# -- DEX -------------------------------------------------------------------------------------------------
def _dotted(descriptor: str) -> str:
    return descriptor[1:-1].replace("/", ".") if descriptor.startswith("L") else descriptor


_LOG = "Landroid/util/Log;->"


class CodeScan:
    """One pass over every method of every DEX: constant arguments at interesting call sites, trust-all TLS
    classes, WebView settings, class names (SDKs, packers) and the string pool (secrets, URLs)."""

    def __init__(self) -> None:
        self.classes: set[str] = set()
        self.strings: dict[str, str] = {}  # string → where first seen as a constant
        self.pool: set[str] = set()
        self.ciphers: list[dict[str, str]] = []
        self.digests: list[dict[str, str]] = []
        self.static_iv: list[str] = []
        self.trust_managers: list[str] = []
        self.hostname_verifiers: list[str] = []
        self.ssl_error_proceed: list[str] = []
        self.allow_all_verifier: list[str] = []
        self.js_interfaces: list[str] = []
        self.file_url_access: list[str] = []
        self.webview_debugging: list[str] = []
        self.certificate_pinner = False
        self.methods = 0

    def add_dex(self, raw: bytes) -> None:
        from androguard.core.dex import DEX

        dex = DEX(raw)
        self.pool.update(s for s in dex.get_strings() if isinstance(s, str))
        for cls in dex.get_classes():
            name = cls.get_name()
            self.classes.add(_dotted(name))
            interfaces = set(cls.get_interfaces() or [])
            for method in cls.get_methods():
                self.methods += 1
                code = method.get_code()
                if code is None:
                    continue
                where = f"{_dotted(name)}.{method.get_name()}"
                instructions = list(code.get_bc().get_instructions())
                self._scan(instructions, where)
                mname = method.get_name()
                if mname == "checkServerTrusted" and (interfaces & {"Ljavax/net/ssl/X509TrustManager;"}
                                                      or "TrustManager" in (cls.get_superclassname() or "")):
                    if _accepts_everything(instructions):
                        self.trust_managers.append(where)
                elif mname == "verify" and "Ljavax/net/ssl/HostnameVerifier;" in interfaces:
                    if _returns_true(instructions):
                        self.hostname_verifiers.append(where)

    def _scan(self, instructions: list[Any], where: str) -> None:
        consts: dict[int, str] = {}
        const_bytes: set[int] = set()
        ints: dict[int, int] = {}
        pending: str | None = None
        for ins in instructions:
            op = ins.get_name()
            operands = ins.get_operands()
            if op.startswith("const-string"):
                reg, text = operands[0][1], operands[-1][-1]
                consts[reg] = text
                self.strings.setdefault(text, where)
                continue
            if op.startswith("const/") or op == "const":
                ints[operands[0][1]] = operands[-1][-1]
                consts.pop(operands[0][1], None)
                continue
            if op == "fill-array-data":
                const_bytes.add(operands[0][1])
                continue
            if op.startswith("move-result"):
                if pending == "bytes":
                    const_bytes.add(operands[0][1])
                pending = None
                continue
            if op.startswith("sget-object") and "ALLOW_ALL_HOSTNAME_VERIFIER" in str(operands[-1][-1]):
                self.allow_all_verifier.append(where)
                continue
            if not op.startswith("invoke"):
                continue
            target = str(operands[-1][-1])
            regs = [o[1] for o in operands[:-1]]
            arg = consts.get(regs[0]) if regs else None
            pending = None
            if target.startswith("Ljavax/crypto/Cipher;->getInstance(") and arg is not None:
                self.ciphers.append({"transformation": arg, "where": where})
            elif target.startswith("Ljava/security/MessageDigest;->getInstance(") and arg is not None:
                self.digests.append({"algorithm": arg, "where": where})
            elif target == "Ljava/lang/String;->getBytes()[B" and arg is not None:
                pending = "bytes"
            elif target.startswith("Ljavax/crypto/spec/IvParameterSpec;-><init>(") and len(regs) > 1 \
                    and regs[1] in const_bytes:
                self.static_iv.append(where)
            elif target.startswith("Landroid/webkit/SslErrorHandler;->proceed("):
                self.ssl_error_proceed.append(where)
            elif target.startswith("Landroid/webkit/WebView;->addJavascriptInterface("):
                self.js_interfaces.append(where)
            elif target.startswith("Landroid/webkit/WebSettings;->setAllow") and "FromFileURLs" in target \
                    and len(regs) > 1 and ints.get(regs[1]) == 1:
                self.file_url_access.append(f"{where} ({target.split('->')[1].split('(')[0]})")
            elif target.startswith("Landroid/webkit/WebView;->setWebContentsDebuggingEnabled(") and regs \
                    and ints.get(regs[0]) == 1:
                self.webview_debugging.append(where)
            elif target.startswith("Lokhttp3/CertificatePinner$Builder;->add("):
                self.certificate_pinner = True


def _meaningful(instructions: list[Any]) -> list[Any]:
    """Instructions other than nops and logging (a logged-and-ignored check accepts everything too)."""
    out, skip_result = [], False
    for ins in instructions:
        name = ins.get_name()
        if name == "nop" or (skip_result and name.startswith("move-result")):
            skip_result = False
            continue
        skip_result = False
        if name.startswith("invoke") and str(ins.get_operands()[-1][-1]).startswith(_LOG):
            skip_result = True
            continue
        out.append(ins)
    return out


def _accepts_everything(instructions: list[Any]) -> bool:
    """checkServerTrusted that can neither throw nor delegate: it returns for any certificate chain."""
    names = [i.get_name() for i in _meaningful(instructions)]
    return not any(n == "throw" or n.startswith("invoke") for n in names)


def _returns_true(instructions: list[Any]) -> bool:
    """HostnameVerifier.verify that is `return true` whatever the host."""
    body = _meaningful(instructions)
    return (len(body) == 2 and body[0].get_name().startswith("const") and body[0].get_operands()[-1][-1] == 1
            and body[1].get_name() == "return")


def endpoint_facts(scan: CodeScan) -> dict[str, Any]:
    """Plain-http URLs of external hosts, and the https hosts the code names (back-end exposure input)."""
    http = sorted({s for s in scan.pool if _HTTP_URL.match(s)})
    hosts = sorted({m.group(1) for s in scan.pool for m in [_HTTPS_HOST.match(s)] if m})
    return {"http_urls": http[:50], "https_hosts": hosts[:100]}


def crypto_facts(scan: CodeScan) -> dict[str, Any]:
    weak = []
    for c in scan.ciphers:
        t = c["transformation"]
        algo, _, rest = t.partition("/")
        mode = rest.split("/")[0].upper() if rest else ""
        upper = algo.upper()
        if upper in ("DES", "DESEDE", "TRIPLEDES", "RC4", "ARCFOUR", "BLOWFISH", "RC2"):
            weak.append({"kind": "weak cipher", "value": t, "where": c["where"]})
        elif upper == "RSA":  # "RSA/ECB/…" is Java's name for plain RSA: only unpadded (textbook) RSA is weak
            if rest.upper().endswith("/NOPADDING"):
                weak.append({"kind": "RSA without padding", "value": t, "where": c["where"]})
        elif mode == "ECB" or (not rest and upper in ("AES", "SM4")):
            weak.append({"kind": "ECB mode", "value": t, "where": c["where"]})
    weak += [{"kind": "static IV", "value": "IvParameterSpec from a constant", "where": w} for w in scan.static_iv]
    digests = [d for d in scan.digests if d["algorithm"].upper().replace("-", "") in ("MD5", "SHA1", "MD4", "MD2")]
    return {"weak": weak, "weak_digests": digests, "ciphers": scan.ciphers[:50]}


def _text_entries(apk: Any, names: list[str]) -> dict[str, str]:
    """Readable text files of the package (assets, res/raw), each capped at MAX_TEXT."""
    out = {}
    for n in names:
        if (n.startswith("assets/") or n.startswith("res/raw/")) and n.lower().endswith(_TEXT_SUFFIXES):
            data = apk.get_file(n)[:MAX_TEXT]
            if data[:2] == b"\x03\x00":
                continue
            out[n] = data.decode("utf-8", "replace")
    return out


def _resource_strings(apk: Any) -> dict[str, str]:
    """name → value of the default-locale string resources."""
    res = apk.get_android_resources()
    if res is None:
        return {}
    out: dict[str, str] = {}
    try:
        xml = res.get_string_resources(apk.get_package())
    except Exception:  # an app without string resources, or an arsc androguard cannot read: none
        return {}
    for node in ElementTree.fromstring(xml).iter("string"):
        out.setdefault(node.get("name") or "", "".join(node.itertext()))
    return out


def secret_facts(scan: CodeScan | None, strings: dict[str, str], texts: dict[str, str],
                 binaries: dict[str, bytes]) -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    seen: set[str] = set()

    def hit(kind: str, value: str, where: str, cloud: bool) -> None:
        key = hashlib.sha256(value.encode()).hexdigest()
        if key in seen:
            return
        seen.add(key)
        found.append({"kind": kind, "masked": mask(value), "where": where, "cloud": cloud})

    sources: list[tuple[str, str]] = []
    if scan is not None:
        sources += [(s, f"DEX: {scan.strings.get(s, 'string pool')}") for s in scan.pool]
    sources += [(v, f"res/values string '{k}'") for k, v in strings.items()]
    sources += [(t, n) for n, t in texts.items()]
    sources += [(b.decode("latin-1"), n) for n, b in binaries.items()]
    for text, where in sources:
        for kind, rx, cloud in _SECRET_PATTERNS:
            for m in rx.finditer(text):
                hit(kind, m.group(0), where, cloud)
    for name, value in strings.items():
        v = value.strip()
        if _SECRET_NAME.search(name) and len(v) >= 12 and " " not in v and _entropy(v) >= 3.0:
            hit("named secret", v, f"res/values string '{name}'", False)
    return {"cloud_keys": [f for f in found if f["cloud"]], "other": [f for f in found if not f["cloud"]]}


def sdk_facts(classes: set[str]) -> list[dict[str, Any]]:
    found = []
    for sdk in sdk_table():
        hits = sorted({p for p in sdk["prefixes"] for c in classes if c == p or c.startswith(p + ".")})
        if hits:
            found.append({"id": sdk["id"], "name": sdk["name"], "vendor": sdk["vendor"],
                          "category": sdk["category"], "prefixes": hits, "personal_info": sdk["personal_info"]})
    return found


def privacy_facts(scan: CodeScan | None, strings: dict[str, str], texts: dict[str, str]) -> dict[str, Any]:
    values = list(strings.values()) + (list(scan.pool) if scan is not None else [])
    urls = sorted({v for v in values if _PRIVACY_URL.match(v.strip())})[:20]
    policy_files = sorted(n for n, t in texts.items() if "隐私政策" in t or "privacy policy" in t.lower())
    consent = sorted({v[:60] for v in values if _CONSENT.search(v)})[:20]
    return {"found": bool(urls or policy_files or consent), "urls": urls, "policy_files": policy_files,
            "consent_strings": consent, "needs_dynamic_test": DYNAMIC_ONLY}


def disclosure_facts(sdks: list[dict[str, Any]], texts: dict[str, str], policy_files: list[str]) -> dict[str, Any]:
    policy = "\n".join(texts[n] for n in policy_files).lower()
    aliases = {s["id"]: s["aliases"] for s in sdk_table()}
    undisclosed = [s["name"] for s in sdks if not any(a.lower() in policy for a in aliases[s["id"]])]
    return {"policy_files": policy_files, "undisclosed": undisclosed,
            "disclosed": [s["name"] for s in sdks if s["name"] not in undisclosed]}


# -- the whole APK ---------------------------------------------------------------------------------------
def open_apk(path: Path) -> Any:
    """androguard's APK, or NotAnApk with one line saying why."""
    from androguard.core.apk import APK

    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            head = fh.read(4)
        if head == b"PK\x03\x04":
            raise NotAnApk(f"{path.name} is a damaged or truncated APK (its ZIP central directory is missing)")
        raise NotAnApk(f"{path.name} is not an APK (not a ZIP archive)")
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise NotAnApk(f"{path.name} is a damaged ZIP archive ({exc})") from exc
    if bad is not None:
        raise NotAnApk(f"{path.name} is damaged: entry {bad} fails its CRC (truncated or corrupt download?)")
    if "AndroidManifest.xml" not in names:
        raise NotAnApk(f"{path.name} is not an APK (no AndroidManifest.xml)")
    try:
        apk = APK(str(path))
    except Exception as exc:
        raise NotAnApk(f"{path.name} cannot be read as an APK ({type(exc).__name__}: {exc})") from exc
    if not apk.is_valid_APK() or apk.get_android_manifest_xml() is None:
        raise NotAnApk(f"{path.name}: AndroidManifest.xml is not a readable binary manifest")
    return apk


def _guard(facts: dict[str, Any], name: str, fn: Any) -> Any:
    """Run one fact's derivation; a failure makes that fact an error, never the whole analysis."""
    try:
        value = fn()
    except Exception as exc:
        facts[name] = _err(f"analysis failed: {type(exc).__name__}: {exc}")
        return None
    facts[name] = _ok(value)
    return value


def analyse(path: Path, now: datetime | None = None) -> dict[str, Any]:
    """Every mobile-app fact of one APK (see the module docstring)."""
    from loguru import logger

    logger.remove()  # androguard logs every parsed structure at DEBUG to stderr
    now = now or datetime.now(timezone.utc)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    apk = open_apk(path)
    facts: dict[str, Any] = {}
    names = apk.get_files()
    manifest = _guard(facts, "apk_manifest", lambda: manifest_facts(apk))
    if manifest is not None:
        facts["apk_manifest"], facts["apk_exported_components"], facts["apk_permissions"] = map(_ok, manifest)
        manifest = manifest[0]
    else:
        facts["apk_exported_components"] = facts["apk_permissions"] = facts["apk_manifest"]
    _guard(facts, "apk_signature", lambda: signature_facts(apk, now))
    scan = CodeScan()
    sdks: list[dict[str, Any]] | None = None
    dex_error = None
    dex_names = [n for n in names if re.fullmatch(r"classes\d*\.dex", n)]
    for n in dex_names:
        try:
            scan.add_dex(apk.get_file(n))
        except Exception as exc:
            dex_error = f"{n} cannot be parsed ({type(exc).__name__}: {exc})"
            break
    packer = _guard(facts, "apk_packer", lambda: packer_facts(names, scan.classes))
    texts = _text_entries(apk, names)
    strings = _resource_strings(apk)
    binaries = {n: apk.get_file(n)[:MAX_TEXT] for n in names if n.startswith("lib/") and n.endswith(".so")}
    blind = None
    if packer and packer["packed"]:
        blind = f"the app is packed by {packer['packer']} ({', '.join(packer['evidence'][:3])}): its code is " \
                "encrypted, so this cannot be seen statically (无法判定; analyse the unpacked build)"
    elif dex_error or not dex_names:
        blind = dex_error or "the APK has no classes.dex"
    if manifest is not None:
        pinner = None if blind else scan.certificate_pinner
        _guard(facts, "apk_network_security", lambda: network_facts(apk, manifest, pinner))
    else:
        facts["apk_network_security"] = facts["apk_manifest"]
    if blind:
        for name in CODE_FACTS:
            facts[name] = _err(blind)
    else:
        _guard(facts, "apk_secrets", lambda: secret_facts(scan, strings, texts, binaries))
        _guard(facts, "apk_weak_crypto", lambda: crypto_facts(scan))
        _guard(facts, "apk_trust_all", lambda: {
            "trust_managers": scan.trust_managers, "hostname_verifiers": scan.hostname_verifiers,
            "allow_all_hostname_verifier": scan.allow_all_verifier, "ssl_error_proceed": scan.ssl_error_proceed,
            "found": scan.trust_managers + scan.hostname_verifiers + scan.allow_all_verifier
            + scan.ssl_error_proceed})
        _guard(facts, "apk_endpoints", lambda: endpoint_facts(scan))
        min_sdk = manifest["min_sdk"] if manifest else 1
        _guard(facts, "apk_webview", lambda: {
            "js_interfaces": scan.js_interfaces, "file_url_access": scan.file_url_access,
            "debugging_enabled": scan.webview_debugging, "min_sdk": min_sdk,
            "js_interface_rce": bool(scan.js_interfaces) and min_sdk < 17})
        sdks = _guard(facts, "apk_sdks", lambda: sdk_facts(scan.classes))
    privacy = _guard(facts, "apk_privacy_policy", lambda: privacy_facts(None if blind else scan, strings, texts))
    if blind and privacy is not None and not privacy["found"]:
        facts["apk_privacy_policy"] = _err(blind)
    if not blind and sdks is not None and privacy is not None:
        if privacy["policy_files"]:
            _guard(facts, "apk_sdk_disclosure", lambda: disclosure_facts(sdks, texts, privacy["policy_files"]))
        else:
            facts["apk_sdk_disclosure"] = {
                "status": "skipped",
                "reason": "no privacy-policy text is bundled in the APK: compare the SDK list (apk_sdks) with "
                          "the online policy's third-party list by review (待核查)"}
    info = {"sha256": digest, "size": path.stat().st_size, "entries": len(names), "dex_files": len(dex_names),
            "classes": len(scan.classes), "methods": scan.methods, "package": manifest and manifest["package"]}
    return {"facts": facts, "info": info}


def main(argv: list[str]) -> int:
    """Child-process entry: analyse argv[0] within argv[1] MB of address space (optional), print JSON on stdout;
    exit 3 with one line for a bad file."""
    if len(argv) > 1:
        limit = int(argv[1]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        out = analyse(Path(argv[0]))
    except NotAnApk as exc:
        print(str(exc), file=sys.stderr)
        return 3
    json.dump(out, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
