"""Bad device input: an unknown vendor, a configuration in another vendor's dialect, a file that cannot be
read (missing, binary) — each is one clear message on that object, all its checked results 无法判定 (never
a pass, never a high-risk finding made up from nothing), and the other objects are judged."""

from __future__ import annotations

import pytest

from assess.errors import LintErrors
from assess.inventory import load as inventory
from tests.network.conftest import FIXTURES, scan

GOOD = {"id": "good", "type": "network-device", "vendor": "h3c", "files": [str(FIXTURES / "h3c-hardened.cfg")]}


def _rows(document, oid):
    return [r for r in document["results"] if r["object"] == oid]


@pytest.mark.parametrize("bad,message", [
    ({"vendor": "juniper", "files": [str(FIXTURES / "h3c-weak.cfg")]},
     "unknown vendor 'juniper' (known: huawei, h3c, cisco, cisco-asa)"),
    ({"vendor": "huawei", "files": [str(FIXTURES / "cisco-weak.cfg")]},
     "this configuration is in the Cisco IOS dialect, not Huawei VRP as the inventory's vendor 'huawei' says"),
    ({"vendor": "cisco-asa", "files": [str(FIXTURES / "h3c-weak.cfg")]},
     "this configuration is in the H3C Comware dialect, not Cisco ASA"),
    ({"vendor": "cisco", "files": ["/nonexistent/core.cfg"]}, "/nonexistent/core.cfg: cannot read the file"),
])
def test_bad_device_is_an_object_error_and_the_scan_goes_on(tmp_path, bad, message):
    outcome = scan(tmp_path, [GOOD, {"id": "bad", "type": "network-device", **bad}])
    assert message in outcome.collection_errors["bad"]
    assert "good" not in outcome.collection_errors
    decided = [r for r in _rows(outcome.document, "bad") if r["source"] in ("checks", "collection")]
    assert decided and {r["verdict"] for r in decided} == {"error"}
    assert "pass" in {r["verdict"] for r in _rows(outcome.document, "good")}
    assert not [f for f in outcome.document["highrisk"] if f["object"] == "bad" and f["status"] == "triggered"]


def test_binary_file_is_refused(tmp_path):
    blob = tmp_path / "backup.zip"
    blob.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    outcome = scan(tmp_path, [{"id": "bad", "type": "security-device", "vendor": "cisco-asa",
                               "files": [str(blob)]}])
    assert "binary data" in outcome.collection_errors["bad"]


def test_inventory_needs_files(tmp_path):
    path = tmp_path / "inv.yaml"
    path.write_text("objects:\n  - {id: sw, type: network-device, vendor: huawei}\n", encoding="utf-8")
    with pytest.raises(LintErrors) as exc:
        inventory.load(path, ssh_config=False)
    assert "needs files" in str(exc.value.problems[0])


def test_relative_files_resolve_against_the_inventory(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "fw.cfg").write_bytes((FIXTURES / "asa-hardened.cfg").read_bytes())
    path = tmp_path / "inv.yaml"
    path.write_text("objects:\n  - {id: fw, type: security-device, vendor: cisco-asa, files: exports/fw.cfg}\n",
                    encoding="utf-8")
    target = inventory.load(path, ssh_config=False)[0]
    assert target.connection == {"transport": "files", "vendor": "cisco-asa",
                                 "files": [str(tmp_path / "exports" / "fw.cfg")]}


@pytest.mark.parametrize("vendor,fixture,found", [
    ("h3c", "huawei-weak", "Huawei VRP"), ("huawei", "h3c-hardened", "H3C Comware"),
    ("cisco", "asa-weak", "Cisco ASA"), ("cisco-asa", "cisco-hardened", "Cisco IOS"),
])
def test_close_dialects_are_told_apart(vendor, fixture, found):
    """VRP and Comware, IOS and ASA look alike; each is still refused under the other's name."""
    from assess.probes.network import parse

    with pytest.raises(parse.DeviceInputError, match=f"in the {found} dialect"):
        parse.parse_files(vendor, [(fixture, (FIXTURES / f"{fixture}.cfg").read_bytes())])


def test_comware_telnet_default_is_only_assumed_on_comware_7():
    """Comware 7 ships with the Telnet server off; for Comware 5 or no version line the state stays open."""
    from assess.probes.network import facts, parse

    v7 = "#\n version 7.1.064, Release 0427P22\n#\nline vty 0 15\n authentication-mode scheme\n#\nreturn\n"
    v5 = v7.replace("7.1.064, Release 0427P22", "5.20, Release 2222P01")
    cfg7 = parse.parse_files("h3c", [("sw7.cfg", v7.encode())]).config
    cfg7.http.on = False
    assert facts.cleartext_mgmt(cfg7, {}) == {"cleartext": []}
    cfg5 = parse.parse_files("h3c", [("sw5.cfg", v5.encode())]).config
    cfg5.http.on = False
    with pytest.raises(facts.Unsettled, match="display telnet server status"):
        facts.cleartext_mgmt(cfg5, {})


def test_unstated_login_settings_are_not_guessed():
    """A vty line without authentication-mode is open (无法判定), and `transport input none` is no remote path."""
    from assess.probes.network import facts, parse

    cfg = parse.parse_files("huawei", [("a.cfg", b"#\nuser-interface vty 0 4\n idle-timeout 5 0\n#\nreturn\n")]).config
    with pytest.raises(facts.Unsettled, match="does not state authentication-mode on a.cfg:2 vty 0 4"):
        facts.vty_auth(cfg, {})
    ios = b"hostname R\n!\nline vty 0 4\n transport input none\n!\nend\n"
    cfg = parse.parse_files("cisco", [("r.cfg", ios)]).config
    assert facts.mgmt_acl(cfg, {})["unrestricted"] == []
