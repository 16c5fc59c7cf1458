"""The test APKs are real: apksigner verifies their signatures and aapt reads their manifests."""

from __future__ import annotations

import re
import subprocess


def _certs(apk) -> str:
    return subprocess.run(["apksigner", "verify", "--print-certs", "--verbose", str(apk)], capture_output=True,
                          text=True, check=True).stdout


def test_every_built_apk_verifies_and_dumps(apks):
    from tests.mobile.apkbuild import verify

    for name, apk in apks.items():
        signed, badging = verify(apk)
        assert signed.startswith("Verifies"), name
        assert re.search(r"^package: name='com\.example\.", badging, re.M), name


def test_weak_apk_is_v1_only_with_a_1024_bit_debug_certificate(apks):
    out = _certs(apks["weak"])
    assert "Verified using v1 scheme (JAR signing): true" in out
    assert "Verified using v2 scheme (APK Signature Scheme v2): false" in out
    assert "Verified using v3 scheme (APK Signature Scheme v3): false" in out
    assert "key size (bits): 1024" in out and "CN=Android Debug" in out


def test_hardened_apk_is_v2_v3_with_a_3072_bit_release_certificate(apks):
    out = _certs(apks["hardened"])
    assert "Verified using v2 scheme (APK Signature Scheme v2): true" in out
    assert "Verified using v3 scheme (APK Signature Scheme v3): true" in out
    assert "key size (bits): 3072" in out and "CN=Example Mobility Release" in out


def test_badging_shows_the_manifest_settings(apks):
    weak = subprocess.run(["aapt", "dump", "xmltree", str(apks["weak"]), "AndroidManifest.xml"],
                          capture_output=True, text=True, check=True).stdout
    assert re.search(r"android:debuggable\(0x0101000f\)=\(type 0x12\)0xffffffff", weak)
    assert "uses-permission" in weak and "READ_SMS" in weak
    strong = subprocess.run(["aapt", "dump", "badging", str(apks["hardened"])], capture_output=True, text=True,
                            check=True).stdout
    assert "sdkVersion:'24'" in strong and "targetSdkVersion:'33'" in strong
