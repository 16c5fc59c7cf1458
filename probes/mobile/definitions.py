"""The mobile-app facts: name and what the value holds. Gathered together by collector.py from one APK."""

from __future__ import annotations

from assess.probes.facts import declare

OBJECT_TYPE = "mobile-app"

FACTS: dict[str, str] = {
    "apk_manifest": "Package, version, minSdk/targetSdk, debuggable, allowBackup (absent = true), "
                    "usesCleartextTraffic, networkSecurityConfig reference",
    "apk_signature": "Signing schemes (v1/v2/v3), v1_only, each certificate (subject, issuer, algorithm, key bits, "
                     "validity, debug certificate), weak_keys (RSA/DSA < 2048, EC < 256), expired",
    "apk_network_security": "Effective cleartext policy and where it comes from, cleartext domains, user CAs "
                            "trusted, certificate pinning (NSC pin-set or OkHttp CertificatePinner)",
    "apk_exported_components": "Exported activities/services/receivers/providers without a permission (the "
                               "launcher activity excepted), and those protected by one",
    "apk_permissions": "Requested permissions, the dangerous ones, and the sensitive ones (contacts, call log, "
                       "SMS, accounts, app list) that need a declared purpose",
    "apk_packer": "Packer (加固) detected by its stub libraries or classes; a packed app's code facts are 无法判定",
    "apk_secrets": "Hard-coded secrets in DEX strings, string resources, assets and native libraries: cloud "
                   "AccessKeys and private keys (cloud_keys) and others, masked, with where they were seen",
    "apk_weak_crypto": "ECB mode, DES/3DES/RC4, static IVs at their call sites; MD5/SHA-1 digests listed",
    "apk_trust_all": "TrustManagers that accept any certificate, HostnameVerifiers that return true, "
                     "ALLOW_ALL_HOSTNAME_VERIFIER, WebView onReceivedSslError → proceed()",
    "apk_endpoints": "Plain http:// URLs of external hosts in the code (localhost and private ranges excepted) and "
                     "the https hosts it names: back-end endpoints for the exposure scan",
    "apk_webview": "addJavascriptInterface call sites (remote code execution when minSdk < 17), file-URL access "
                   "enabled, WebView debugging enabled",
    "apk_sdks": "Third-party SDKs recognised by package prefix (probes/mobile/sdks.yaml) with the personal "
                "information each collects",
    "apk_privacy_policy": "Privacy-policy URLs, bundled policy files and consent wording; the RDFF scenarios that "
                          "need a dynamic test",
    "apk_sdk_disclosure": "SDKs found in the code that the bundled privacy policy does not name (skipped when no "
                          "policy text is bundled)",
}

for _name, _description in FACTS.items():
    declare(_name, _description, object_type=OBJECT_TYPE)
