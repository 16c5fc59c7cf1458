"""What evaluators carry away from a device: raw terminal session logs (SecureCRT/Xshell), UTF-16 or GB18030,
with prompts, abbreviated echoed commands, `---- More ----` residue and the ANSI moves that erase it. They
must give the same facts as the clean configuration, pointing at the log's own lines, with secrets redacted."""

from __future__ import annotations

import json

from assess.model import Target
from assess.probes.facts import facts_for
from assess.probes.network import collector, text
from tests.network.conftest import FIXTURES

HW_MORE = "  ---- More ----\x1b[42D                                          \x1b[42D"
CISCO_MORE = " --More-- " + "\b" * 9 + " " * 9 + "\b" * 9


def _session(config: str, prompt: str, command: str, more: str, every: int = 7, extra: str = "") -> str:
    """A session log: login banner, a status command, the configuration paged every `every` lines."""
    lines = config.rstrip("\n").split("\n")
    paged = []
    for i, line in enumerate(lines):
        paged.append((more + line) if i and i % every == 0 else line)
    return "\r\n".join(["Info: The max number of VTY users is 5.", "", f"{prompt}{extra}", f"{prompt}{command}",
                        *paged, prompt, ""])


def _collect(tmp_path, vendor: str, kind: str, files: list[str]):
    target = Target(id="d", type="network-device", connection={"transport": "files", "vendor": vendor,
                                                               "files": files}, tags=["boundary"])
    return collector.collect(target, list(facts_for("network-device").values()))


def _values(ev) -> dict:
    """Fact values with file:line references reduced to the text after them (to compare two sources)."""
    out = {}
    for name, f in ev.facts.items():
        if name == "net_parse":
            continue
        assert f.status == "ok", (name, f.reason)
        out[name] = json.loads(json.dumps(f.value).replace("\\u0000", ""))
    blob = json.dumps(out)
    import re

    return json.loads(re.sub(r"[^\"\s]*?\.(?:cfg|log):\d+( \(default\))?", "AT", blob))


def test_huawei_utf16_session_log_gives_the_configuration_facts(tmp_path):
    config = (FIXTURES / "huawei-hardened.cfg").read_text(encoding="utf-8")
    log = _session(config, "<HW-CORE-01>", "dis cu", HW_MORE, extra="display version\r\nHuawei Versatile "
                   "Routing Platform Software\r\nVRP (R) software, Version 5.170 (S5720 V200R019C10SPC500)")
    path = tmp_path / "HW-CORE-01_2026-03-20_10_28_34.log"
    path.write_bytes(log.encode("utf-16"))
    plain = _collect(tmp_path, "huawei", "plain", [str(FIXTURES / "huawei-hardened.cfg")])
    ev = _collect(tmp_path, "huawei", "log", [str(path)])
    assert ev.error is None, ev.error
    assert _values(ev) == _values(plain)
    report = ev.facts["net_parse"].value["files"][0]
    assert report["encoding"] == "utf-16" and report["session_log"] is True
    assert report["outputs"] == ["display current-configuration"]
    assert report["coverage_percent"] == 100.0
    # findings point at the log's own lines
    lines = log.split("\r\n")
    at = ev.facts["net_ntp"].value["servers"][0].split()[0]
    assert lines[int(at.rsplit(":", 1)[1]) - 1].endswith("ntp-service unicast-server 10.10.9.30")


def test_h3c_gb18030_session_log_and_abbreviated_command(tmp_path):
    config = (FIXTURES / "h3c-weak.cfg").read_text(encoding="utf-8").replace(
        "interface Vlan-interface1\n", "interface Vlan-interface1\n description 核心交换机管理地址\n")
    log = _session(config, "<H3C-CORE>", "dis current-configuration", HW_MORE, every=5)
    path = tmp_path / "内网核心172.16.4.254.log"
    path.write_bytes(log.encode("gb18030"))
    ev = _collect(tmp_path, "h3c", "log", [str(path)])
    assert ev.error is None, ev.error
    assert ev.facts["net_parse"].value["files"][0]["encoding"] == "gb18030"
    assert ev.facts["net_cleartext_mgmt"].value["cleartext"][0].endswith("telnet server enabled")
    assert len(ev.facts["net_policy"].value["any_any"]) == 1
    assert "核心交换机管理地址" in ev.raw["net_parse"]["transcripts"][0]["output"]


def test_cisco_more_prompt_keeps_the_line_structure(tmp_path):
    config = (FIXTURES / "cisco-weak.cfg").read_text(encoding="utf-8")
    log = _session(config, "R-BRANCH#", "sh run", CISCO_MORE, every=3, extra="terminal length 0")
    path = tmp_path / "r-branch.log"
    path.write_text(log, encoding="utf-8")
    plain = _collect(tmp_path, "cisco", "plain", [str(FIXTURES / "cisco-weak.cfg")])
    ev = _collect(tmp_path, "cisco", "log", [str(path)])
    assert _values(ev) == _values(plain)
    assert ev.facts["net_parse"].value["files"][0]["ignored_outputs"] == ["terminal length 0"]


def test_status_output_settles_what_the_configuration_leaves_open(tmp_path):
    config = (FIXTURES / "huawei-weak.cfg").read_text(encoding="utf-8")
    alone = _collect(tmp_path, "huawei", "plain", [str(FIXTURES / "huawei-weak.cfg")])
    assert alone.facts["net_ssh"].status == "error"
    assert "display ssh server status" in alone.facts["net_ssh"].reason
    status = "\r\n".join(["<HW-ACCESS-1F>display ssh server status", "SSH version                         :1.99",
                          "SSH connection timeout              :60 seconds", "Stelnet server                      "
                          ":Disable", "<HW-ACCESS-1F>dis cu"]) + "\r\n" + config.replace("\n", "\r\n")
    path = tmp_path / "access.log"
    path.write_bytes(status.encode("utf-16"))
    ev = _collect(tmp_path, "huawei", "log", [str(path)])
    assert ev.facts["net_ssh"].value == {"enabled": True, "v2_only": False, "at": f"{path}:2"}


def test_filtered_output_is_not_taken_for_the_configuration(tmp_path):
    path = tmp_path / "partial.log"
    path.write_text("<HW>display current-configuration | include snmp\n snmp-agent community read public\n<HW>\n",
                    encoding="utf-8")
    ev = _collect(tmp_path, "huawei", "log", [str(path)])
    assert ev.error and "no configuration" in ev.error


def test_secrets_never_reach_the_evidence(tmp_path):
    for name, vendor in (("huawei-weak", "huawei"), ("h3c-weak", "h3c"), ("cisco-weak", "cisco"),
                         ("asa-weak", "cisco-asa"), ("huawei-hardened", "huawei"), ("cisco-hardened", "cisco")):
        ev = _collect(tmp_path, vendor, "plain", [str(FIXTURES / f"{name}.cfg")])
        stored = json.dumps(ev.as_dict(), ensure_ascii=False)
        for secret in ("Admin@123", "K8m.2Ak", "public", "private", "cisco123", "0822455D0A16", "$9$2MJB",
                       "8Ry2YjIyt7RRXU24", "$c$3$Kx9", "$1a$Xk4o", "%^%#A1b2"):
            assert secret not in stored, (name, secret)
        assert "<redacted>" in stored


def test_decode_rejects_binary_and_reads_bom_less_utf16():
    assert text.decode("sysname X\n".encode("utf-16-le"))[1] == "utf-16-le"
    try:
        text.decode(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00")
    except text.Unreadable as exc:
        assert "binary" in str(exc)
    else:
        raise AssertionError("binary data accepted")


def test_every_device_fact_fits_its_declared_shape(tmp_path):
    """controls/facts/network-device.yaml: the rule-path lint trusts these shapes, so the parsers must keep to them."""
    from assess.catalog import factshapes
    from assess.catalog import load as catalog_mod
    from assess.catalog.schema import Problems

    shapes = catalog_mod._shapes(Problems(), strict=False)
    assert shapes["network-device"].keys() == shapes["security-device"].keys() == set(facts_for("network-device"))
    for fixture in sorted(FIXTURES.glob("*.cfg")):
        stem = fixture.stem.split("-")[0]
        vendor = {"huawei": "huawei", "h3c": "h3c", "cisco": "cisco", "asa": "cisco-asa"}[stem]
        ev = _collect(tmp_path, vendor, "plain", [str(fixture)])
        misfits = [f"{fixture.name} {n}: {m}" for n, r in ev.facts.items() if r.status == "ok"
                   for m in factshapes.mismatches(shapes["network-device"][n], r.value)]
        assert misfits == []
