"""Build real, signed APKs for the mobile-app tests and bench, with Debian's Android tools.

No d8/dx and no android.jar on Debian: the code is written as smali and assembled with `smali`, the
resources are compiled by `aapt` against `framework-res.apk`, then `zipalign` and `apksigner` (v1 only with a
1024-bit RSA key, or v2+v3 with a 3072-bit key). `verify()` proves a built APK real with `apksigner verify` and
`aapt dump badging`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

FRAMEWORK_RES = Path("/usr/share/android-framework-res/framework-res.apk")
TOOLS = ("aapt", "zipalign", "apksigner", "smali", "keytool")
NS = 'xmlns:android="http://schemas.android.com/apk/res/android"'


def missing_tools() -> list[str]:
    """The build tools (Debian packages in tests/apt-packages.txt) not installed here."""
    out = [t for t in TOOLS if shutil.which(t) is None]
    if not FRAMEWORK_RES.is_file():
        out.append(str(FRAMEWORK_RES))
    return out


@dataclass
class Spec:
    """What goes into one APK."""

    package: str
    manifest_application: str  # attributes of <application>
    components: str  # the <application> children
    permissions: list[str]
    smali: dict[str, str]  # class descriptor path (com/x/Y) → smali body after the .class/.super lines
    min_sdk: int = 24
    target_sdk: int = 33
    nsc: str | None = None  # res/xml/network_security_config.xml
    strings: dict[str, str] = field(default_factory=dict)
    assets: dict[str, bytes] = field(default_factory=dict)
    libs: dict[str, bytes] = field(default_factory=dict)  # lib/<abi>/<name>.so
    signing: str = "v2v3"  # v2v3 | v1
    key_bits: int = 3072
    dname: str = "CN=Example Mobility Release, O=Example Mobility Co Ltd, C=CN"


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def build(spec: Spec, workdir: Path, name: str) -> Path:
    """Build, align and sign `spec` into workdir/<name>.apk."""
    src = workdir / f"{name}.src"
    if src.exists():
        shutil.rmtree(src)
    (src / "res" / "values").mkdir(parents=True)
    perms = "\n".join(f'  <uses-permission android:name="{p}"/>' for p in spec.permissions)
    (src / "AndroidManifest.xml").write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n<manifest {NS} package="{spec.package}" '
        'android:versionCode="3" android:versionName="1.2.0">\n'
        f'  <uses-sdk android:minSdkVersion="{spec.min_sdk}" android:targetSdkVersion="{spec.target_sdk}"/>\n'
        f"{perms}\n  <application android:label=\"@string/app_name\" {spec.manifest_application}>\n"
        f"{spec.components}\n  </application>\n</manifest>\n", encoding="utf-8")
    strings = {"app_name": "Example", **spec.strings}
    (src / "res" / "values" / "strings.xml").write_text(
        "<resources>\n" + "".join(f'  <string name="{k}">{v}</string>\n' for k, v in strings.items())
        + "</resources>\n", encoding="utf-8")
    if spec.nsc is not None:
        (src / "res" / "xml").mkdir()
        (src / "res" / "xml" / "network_security_config.xml").write_text(spec.nsc, encoding="utf-8")
    assets = src / "assets"
    assets.mkdir()
    for rel, data in spec.assets.items():
        (assets / rel).parent.mkdir(parents=True, exist_ok=True)
        (assets / rel).write_bytes(data)
    for rel, body in spec.smali.items():
        path = src / "smali" / f"{rel}.smali"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    unsigned = src / "unsigned.apk"
    _run(["aapt", "package", "-f", "-M", str(src / "AndroidManifest.xml"), "-S", str(src / "res"),
          "-A", str(assets), "-I", str(FRAMEWORK_RES), "-F", str(unsigned)])
    _run(["smali", "assemble", "--api", str(max(spec.min_sdk, 15)), "-o", str(src / "classes.dex"),
          str(src / "smali")])
    _run(["aapt", "add", str(unsigned), "classes.dex"], cwd=src)
    for rel, data in spec.libs.items():
        (src / "lib" / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / "lib" / rel).write_bytes(data)
        _run(["aapt", "add", str(unsigned), f"lib/{rel}"], cwd=src)
    aligned = src / "aligned.apk"
    _run(["zipalign", "-f", "4", str(unsigned), str(aligned)])
    keystore = src / "release.p12"
    _run(["keytool", "-genkeypair", "-keystore", str(keystore), "-storetype", "PKCS12", "-storepass", "fixture",
          "-keypass", "fixture", "-alias", "app", "-keyalg", "RSA", "-keysize", str(spec.key_bits),
          "-sigalg", "SHA256withRSA", "-validity", "9000", "-dname", spec.dname])
    out = workdir / f"{name}.apk"
    v1 = spec.signing == "v1"
    _run(["apksigner", "sign", "--ks", str(keystore), "--ks-pass", "pass:fixture", "--ks-key-alias", "app",
          "--min-sdk-version", str(spec.min_sdk),
          "--v1-signing-enabled", "true" if v1 else "false", "--v2-signing-enabled", "false" if v1 else "true",
          "--v3-signing-enabled", "false" if v1 else "true", "--v4-signing-enabled", "false",
          "--out", str(out), str(aligned)])
    shutil.rmtree(src)
    return out


def verify(apk: Path) -> tuple[str, str]:
    """(`apksigner verify --verbose` output, `aapt dump badging` output); raises when either tool refuses."""
    return (_run(["apksigner", "verify", "--verbose", str(apk)]), _run(["aapt", "dump", "badging", str(apk)]))


def pad(apk: Path, out: Path, megabytes: int) -> Path:
    """A copy of `apk` grown to about `megabytes` MB with incompressible asset files, re-aligned and
    re-signed v1 (apksigner cannot keep the original signature once files are added)."""
    work = out.parent / f"{out.stem}.pad"
    if work.exists():
        shutil.rmtree(work)
    (work / "assets" / "pad").mkdir(parents=True)
    unsigned = work / "unsigned.apk"
    shutil.copy(apk, unsigned)
    with zipfile.ZipFile(unsigned) as zf:
        signed_v1 = any(n.startswith("META-INF/") for n in zf.namelist())
    if signed_v1:
        _run(["zip", "-q", "-d", str(unsigned), "META-INF/*"])
    chunk = 4 * 1024 * 1024
    for i in range(max(1, megabytes // 4)):
        (work / "assets" / "pad" / f"blob{i:03d}.bin").write_bytes(os.urandom(chunk))
    _run(["zip", "-q", "-0", "-r", str(unsigned), "assets/pad"], cwd=work)
    aligned = work / "aligned.apk"
    _run(["zipalign", "-f", "4", str(unsigned), str(aligned)])
    keystore = work / "pad.p12"
    _run(["keytool", "-genkeypair", "-keystore", str(keystore), "-storetype", "PKCS12", "-storepass", "fixture",
          "-keypass", "fixture", "-alias", "app", "-keyalg", "RSA", "-keysize", "2048", "-validity", "9000",
          "-dname", "CN=Padding"])
    _run(["apksigner", "sign", "--ks", str(keystore), "--ks-pass", "pass:fixture", "--ks-key-alias", "app",
          "--out", str(out), str(aligned)])
    shutil.rmtree(work)
    return out
