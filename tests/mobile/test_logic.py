"""Pure logic of the APK analysis: masking, packer and SDK recognition, cipher classification, cleartext and
user-CA defaults by targetSdk, policy disclosure."""

from __future__ import annotations

import pytest

from assess.probes.mobile import analyse


@pytest.mark.parametrize("value,shown", [
    ("LTAI5tQ9xYzAbCdEfGh1JkLm", "LTAI…Lm (24 chars)"),
    ("short", "*****"),
    ("-----BEGIN RSA PRIVATE KEY-----", "BEGIN RSA PRIVATE KEY block"),
])
def test_mask_never_shows_the_value(value, shown):
    assert analyse.mask(value) == shown


def test_packers_are_recognised_by_library_or_stub_class():
    assert analyse.packer_facts(["lib/arm64-v8a/libsecexe.so"], set())["packer"] == "梆梆加固"
    assert analyse.packer_facts([], {"com.tencent.StubShell.TxAppEntry"})["packer"] == "腾讯乐固"
    assert analyse.packer_facts(["lib/armeabi/libexecmain.so"], set())["packer"] == "爱加密"
    assert analyse.packer_facts(["lib/arm64-v8a/libexecutor.so"], set())["packed"] is False
    assert analyse.packer_facts(["lib/arm64-v8a/libapp.so", "classes.dex"], {"com.example.Main"})["packed"] is False


def test_sdks_match_whole_package_prefixes_only():
    found = {s["id"] for s in analyse.sdk_facts({"com.umeng.analytics.A", "com.amap.api.maps.B", "com.qq.eagle.X",
                                                   "cn.jpushx.Y"})}
    assert found == {"umeng", "amap"}


def test_every_sdk_entry_is_complete():
    for sdk in analyse.sdk_table():
        assert sdk["prefixes"] and sdk["aliases"] and sdk["personal_info"] and sdk["vendor"], sdk["id"]


def _scan(*transformations: str) -> analyse.CodeScan:
    scan = analyse.CodeScan()
    scan.ciphers = [{"transformation": t, "where": "a.B.c"} for t in transformations]
    return scan


@pytest.mark.parametrize("transformation,kind", [
    ("AES/ECB/PKCS5Padding", "ECB mode"), ("AES", "ECB mode"), ("DESede/CBC/PKCS5Padding", "weak cipher"),
    ("RC4", "weak cipher"), ("AES/GCM/NoPadding", None), ("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", None),
    ("SM4/CBC/PKCS5Padding", None), ("RSA/ECB/PKCS1Padding", None), ("RSA/NONE/NoPadding", "RSA without padding"),
])
def test_cipher_classification(transformation, kind):
    weak = analyse.crypto_facts(_scan(transformation))["weak"]
    assert [w["kind"] for w in weak] == ([kind] if kind else [])


def _manifest(target: int, cleartext: bool | None = None) -> dict:
    return {"target_sdk": target, "uses_cleartext_traffic": cleartext, "network_security_config": None}


@pytest.mark.parametrize("target,declared,cleartext,user_cas", [
    (27, None, True, False), (28, None, False, False), (23, None, True, True), (33, True, True, False),
    (22, False, False, True),
])
def test_cleartext_and_user_ca_defaults_follow_target_sdk(target, declared, cleartext, user_cas):
    facts = analyse.network_facts(None, _manifest(target, declared), pinner_in_code=False)
    assert (facts["cleartext_permitted"], facts["user_cas_trusted"]) == (cleartext, user_cas)


def test_disclosure_reads_the_vendor_aliases_in_the_policy():
    sdks = analyse.sdk_facts({"com.tencent.bugly.crashreport.X", "cn.jiguang.api.Y"})
    texts = {"assets/p.html": "第三方SDK：腾讯 Bugly，用于崩溃分析。"}
    out = analyse.disclosure_facts(sdks, texts, ["assets/p.html"])
    assert out["undisclosed"] == ["极光推送"] and out["disclosed"] == ["腾讯 Bugly"]


def test_secrets_in_resources_are_found_by_shape_or_name():
    out = analyse.secret_facts(None, {"api_secret": "Zx81mQp0LrT5vW2yB7nC", "app_name": "叫车"},
                               {"assets/config.json": '{"ak": "AKIAIOSFODNN7EXAMPLE"}'}, {})
    assert [s["kind"] for s in out["cloud_keys"]] == ["aws_access_key"]
    assert [s["where"] for s in out["other"]] == ["res/values string 'api_secret'"]
    assert "AKIAIOSFODNN7EXAMPLE" not in str(out) and "Zx81mQp0LrT5vW2yB7nC" not in str(out)
