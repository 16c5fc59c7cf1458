"""Import re-evaluates a bundle's evidence offline; merge unites collectors' bundles into one run."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assess.bundle import archive, create, importer, merge, sshsig
from assess.bundle.verify import verify
from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.cli import main
from assess.probes.facts import facts_for
from assess.run import replay
from tests.bundle.conftest import OPERATOR, extract, scan

ITEM = "L3-CES1-01"  # fed by the login.defs checks on the local object


def verdicts(doc: dict) -> dict[tuple[str, str], str]:
    return {(r["item"], r["object"]): r["verdict"] for r in doc["results"]}


def check_status(doc: dict, check: str, obj: str = "local") -> str:
    for r in doc["results"]:
        for c in r["checks"]:
            if c["check"] == check and r["object"] == obj:
                return c["status"]
    raise AssertionError(f"no result for {check}")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def observed_max_days(run_dir: Path):
    return load(run_dir / "evidence" / "local.json")["facts"]["login_defs"]["value"].get("PASS_MAX_DAYS")


def test_import_reproduces_the_operators_verdicts(signed_zip, run_dir, keys, tmp_path):
    result = CliRunner().invoke(main, ["bundle", "import", str(signed_zip), "-o", str(tmp_path / "imp"),
                                       "--allowed-signers", str(keys["allowed"]), "--signer", OPERATOR])
    assert result.exit_code == 0, result.output
    doc = load(tmp_path / "imp" / "results.json")
    assert verdicts(doc) == verdicts(load(run_dir / "results.json"))
    assert doc["run"]["import"]["verified"] is True and doc["run"]["import"]["signer"]["principals"] == [OPERATOR]
    assert doc["run"]["import"]["authenticated"] is True and not doc["run"].get("warnings")
    assert doc["run"]["replay"]["of_run"] == run_dir.name
    assert (tmp_path / "imp" / "evidence" / "local.json").read_bytes() == \
        (run_dir / "evidence" / "local.json").read_bytes()
    from assess import reports

    for fmt in reports.FORMATS:  # every report format, the XLSX 测评记录 included
        assert (tmp_path / "imp" / reports.output_name(fmt)).stat().st_size > 0, fmt
    assert load(tmp_path / "imp" / "verification.json")["verified"] is True


def test_import_under_a_tailored_profile_changes_the_verdicts(signed_zip, run_dir, keys, tmp_path):
    original = load(run_dir / "results.json")
    assert verdicts(original)[(ITEM, "local")] != "na"
    tailored = tmp_path / "tailored.yaml"
    tailored.write_text(f"id: evaluator-x\ntitle: 测评机构 X 的裁剪\nlevel: 3\nextends: level3\n"
                        f"tailoring:\n  {ITEM}: 本系统不涉及本地登录（示例裁剪）\n", encoding="utf-8")
    done = importer.import_bundle(signed_zip, tmp_path / "a", profile=str(tailored), allowed_signers=keys["allowed"])
    row = next(r for r in done.document["results"] if r["item"] == ITEM and r["object"] == "local")
    assert row["verdict"] == "na" and "evaluator-x" in row["reason"]
    assert done.document["run"]["profile"]["id"] == "evaluator-x"

    days = observed_max_days(run_dir)
    if not isinstance(days, int):
        pytest.skip("this machine's login.defs sets no PASS_MAX_DAYS")
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text(f"id: lenient\ntitle: 宽松阈值\nlevel: 3\nextends: level3\n"
                       f"parameters:\n  password_max_days: {days}\n", encoding="utf-8")
    again = importer.import_bundle(signed_zip, tmp_path / "b", profile=str(lenient), allowed_signers=keys["allowed"])
    assert check_status(again.document, "linux.login_defs.pass_max_days") == "pass"
    if days > 90:
        assert check_status(original, "linux.login_defs.pass_max_days") == "fail"


def test_import_under_tailored_controls_and_the_bundles_own(signed_zip, run_dir, keys, tmp_path):
    days = observed_max_days(run_dir)
    controls = tmp_path / "controls"
    shutil.copytree(catalog_mod.default_root(), controls)
    params = controls / "parameters" / "linux.yaml"
    params.write_text(params.read_text().replace("default: 90", f"default: {max(int(days or 0), 90)}", 1))
    result = CliRunner().invoke(main, ["bundle", "import", str(signed_zip), "-o", str(tmp_path / "mine"),
                                       "--controls", str(controls), "--template", "2021", "--format", "json",
                                       "--allowed-signers", str(keys["allowed"])])
    assert result.exit_code == 0, result.output
    mine = load(tmp_path / "mine" / "results.json")
    assert mine["run"]["catalog"]["sha256"] == catalog_mod.load(controls).sha256
    assert check_status(mine, "linux.login_defs.pass_max_days") == "pass"
    assert mine["conclusion"]["template"] == "2021"
    own = importer.import_bundle(signed_zip, tmp_path / "own", bundle_controls=True, allowed_signers=keys["allowed"])
    assert verdicts(own.document) == verdicts(load(run_dir / "results.json"))
    assert own.document["run"]["catalog"]["sha256"] == load(run_dir / "results.json")["run"]["catalog"]["sha256"]


def tampered(bundle: Path, tmp_path: Path) -> Path:
    root = extract(bundle, tmp_path / "t")
    ev = sorted((root / "data" / "run" / "evidence").glob("*.json"))[0]
    ev.write_bytes(ev.read_bytes().replace(b"PASS_MAX_DAYS", b"PASS_MAX_DAYZ", 1))
    out = tmp_path / "tampered.zip"
    archive.write(root, out, root.name)
    return out


def test_a_failing_bundle_is_refused_unless_forced_and_then_says_so(signed_zip, keys, tmp_path):
    bad = tampered(signed_zip, tmp_path)
    runner = CliRunner()
    allowed = ["--allowed-signers", str(keys["allowed"])]
    refused = runner.invoke(main, ["bundle", "import", str(bad), "-o", str(tmp_path / "r"), *allowed])
    assert refused.exit_code == 1
    assert "does not verify, not imported" in refused.output and "local.json: changed" in refused.output
    assert not (tmp_path / "r").exists()
    forced = runner.invoke(main, ["bundle", "import", str(bad), "-o", str(tmp_path / "f"), "--force",
                                  "--format", "html,json", *allowed])
    assert forced.exit_code == 0, forced.output
    assert forced.output.splitlines()[0].startswith("WARNING: ") and "--force" in forced.output.splitlines()[0]
    doc = load(tmp_path / "f" / "results.json")
    assert doc["run"]["import"]["verified"] is False and doc["run"]["import"]["forced"] is True
    assert doc["run"]["warnings"][0] == importer.FAILED_BANNER
    assert "local.json: changed" in (tmp_path / "f" / "VERIFICATION-FAILED.txt").read_text()
    assert load(tmp_path / "f" / "report.json")["run"]["import"]["verified"] is False
    html = (tmp_path / "f" / "report.html").read_text(encoding="utf-8")
    assert html.index(importer.FAILED_BANNER) < html.index('id="charts"')  # in the first, summary section


def test_import_carries_interview_answers_and_attachments(answered_run, keys, tmp_path):
    bundle = tmp_path / "answered.tar.gz"
    create.create(answered_run, bundle, operator=OPERATOR, signer=sshsig.load_key_file(keys["ed25519"]))
    done = importer.import_bundle(bundle, tmp_path / "imp", allowed_signers=keys["allowed"])
    row = next(r for r in done.document["results"] if r["item"] == "L3-PSS1-01" and r["object"] == "organization")
    assert row["verdict"] == "pass" and row["source"] == "interview"
    att = row["answer"]["attachments"][0]
    copy = tmp_path / "imp" / att["path"]
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == att["sha256"]
    assert verdicts(done.document) == verdicts(load(answered_run / "results.json"))


def test_replay_reparses_raw_output_and_flags_what_it_cannot_use(run_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    ev_path = run / "evidence" / "local.json"
    stored = load(ev_path)
    section = stored["raw"]["login_defs"]
    section["output"] = "@@F /etc/login.defs\nPASS_MAX_DAYS 30\nPASS_MIN_LEN 12\n"
    section["id"] = hashlib.sha256(section["output"].encode()).hexdigest()
    stored["facts"]["login_defs"]["value"] = {"stale": True}  # the parsed value is not trusted: raw is re-parsed
    ev_path.write_text(json.dumps(stored))
    cat = catalog_mod.load()
    prof = profile_mod.load("level3", cat)
    doc = replay.replay(run, cat, prof)
    assert check_status(doc, "linux.login_defs.pass_max_days") == "pass"
    assert check_status(doc, "linux.login_defs.pass_min_len") == "pass"

    login_defs = facts_for("linux")["login_defs"]
    edited = dict(stored, raw={"login_defs": dict(section, output=section["output"] + "PASS_MAX_DAYS 1\n")})
    assert "does not match its evidence id" in replay.reparse(edited, [login_defs]).facts["login_defs"].reason
    missing = dict(stored, raw={}, facts={})
    fact = replay.reparse(missing, [login_defs]).facts["login_defs"]
    assert fact.status == "error" and fact.reason == replay.NOT_COLLECTED
    ev_path.write_text(json.dumps({k: v for k, v in stored.items() if k != "raw"}))
    with pytest.raises(replay.InputError, match="not an assess evidence file"):
        replay.replay(run, cat, prof)


def shard(run_dir: Path, dest: Path, new_id: str, edit=None, edit_doc=None) -> Path:
    """A copy of a real run in which the local object is called `new_id` (one collector of a fleet)."""
    shutil.copytree(run_dir, dest)
    doc = load(dest / "results.json")
    for o in doc["objects"]:
        if o["id"] == "local":
            o["id"], o["evidence"] = new_id, f"evidence/{new_id}.json"
    for r in doc["results"]:
        if r["object"] == "local":
            r["object"] = new_id
    if edit_doc:
        edit_doc(doc)
    (dest / "results.json").write_text(json.dumps(doc, ensure_ascii=False))
    ev = load(dest / "evidence" / "local.json")
    ev["object"] = new_id
    if edit:
        edit(ev)
    (dest / "evidence" / "local.json").unlink()
    (dest / "evidence" / f"{new_id}.json").write_text(json.dumps(ev, ensure_ascii=False))
    return dest


def shard_bundle(run_dir: Path, tmp_path: Path, new_id: str, name: str, edit=None, edit_doc=None,
                 key: Path | None = None) -> Path:
    out = tmp_path / f"{name}.zip"
    create.create(shard(run_dir, tmp_path / name, new_id, edit, edit_doc), out, operator=f"{name}@example.com",
                  signer=sshsig.load_key_file(key) if key else None)
    return out


def test_merge_unites_collectors_into_one_signed_run(run_dir, keys, tmp_path):
    a = shard_bundle(run_dir, tmp_path, "web-1", "site-a", key=keys["ecdsa"])
    b = shard_bundle(run_dir, tmp_path, "db-1", "site-b", key=keys["rsa"])
    out = tmp_path / "fleet.tar.gz"
    result = CliRunner().invoke(main, ["bundle", "merge", str(a), str(b), str(a), "-o", str(out),
                                       "--sign", str(keys["ed25519"]), "--operator", OPERATOR,
                                       "--allowed-signers", str(keys["allowed"])])
    assert result.exit_code == 0, result.output
    check = verify(out, keys["allowed"], OPERATOR)
    assert check.ok, check.problems
    root = extract(out, tmp_path / "x")
    doc = load(root / "data" / "run" / "results.json")
    ids = [o["id"] for o in doc["objects"]]
    assert "web-1" in ids and "db-1" in ids and ids.count("web-1") == 1
    assert verdicts(doc)[(ITEM, "web-1")] == verdicts(doc)[(ITEM, "db-1")] == \
        verdicts(load(run_dir / "results.json"))[(ITEM, "local")]
    assert {m["bundle"] for m in doc["run"]["merged_from"]} == {"site-a.zip", "site-b.zip"}
    assert {p.name for p in (root / "data" / "run" / "evidence").iterdir()} == {"web-1.json", "db-1.json"}
    assert len(load(root / "data" / "bundle.json")["merged_from"]) == 3
    assert all(m["authenticated"] for m in doc["run"]["merged_from"]) and not doc["run"].get("warnings")


def test_merge_conflict_same_object_different_evidence(run_dir, tmp_path):
    def edit(ev):
        sec = ev["raw"]["login_defs"]
        sec["output"] += "\nPASS_MAX_DAYS 1"
        sec["id"] = hashlib.sha256(sec["output"].encode()).hexdigest()

    a = shard_bundle(run_dir, tmp_path, "web-1", "site-a")
    b = shard_bundle(run_dir, tmp_path, "web-1", "site-b", edit)
    result = CliRunner().invoke(main, ["bundle", "merge", str(a), str(b), "-o", str(tmp_path / "m.zip"),
                                       "--accept-unsigned"])
    assert result.exit_code == 2
    assert "object 'web-1' has different evidence in" in result.output and "site-a.zip" in result.output \
        and "site-b.zip" in result.output and "login_defs" in result.output
    assert not (tmp_path / "m.zip").exists()


def test_merge_refuses_other_catalogs_and_failing_bundles(run_dir, signed_zip, tmp_path):
    controls = tmp_path / "controls"
    shutil.copytree(catalog_mod.default_root(), controls)
    params = controls / "parameters" / "linux.yaml"
    params.write_text(params.read_text().replace("default: 90", "default: 60", 1))
    other_run = scan(tmp_path / "other", controls)
    other = tmp_path / "other.zip"
    create.create(other_run, other, controls=controls, signer=None)
    with pytest.raises(merge.MergeConflict, match="another catalog"):
        merge.merge([signed_zip, other], tmp_path / "m.zip", accept_unsigned=True)
    bad = tampered(signed_zip, tmp_path)
    with pytest.raises(create.InputError, match="does not verify"):
        merge.merge([bad, other], tmp_path / "m.zip", accept_unsigned=True)
    with pytest.raises(create.InputError, match="at least two"):
        merge.merge([signed_zip], tmp_path / "m.zip")


def test_merge_carries_each_shards_answers_and_refuses_contradicting_ones(answered_run, run_dir, tmp_path):
    a = shard_bundle(answered_run, tmp_path, "web-1", "site-a")
    b = shard_bundle(run_dir, tmp_path, "db-1", "site-b")
    merged = merge.merge([b, a], tmp_path / "m.zip", accept_unsigned=True)
    doc = load(extract(merged.path, tmp_path / "x") / "data" / "run" / "results.json")
    assert verdicts(doc)[("L3-PSS1-01", "organization")] == "pass"
    assert verdicts(load(run_dir / "results.json"))[("L3-PSS1-01", "organization")] == "manual"
    assert list((tmp_path / "x").rglob("attachments/*/policy.txt"))

    def contradict(d):
        row = next(r for r in d["results"] if r.get("answer"))
        row["answer"]["verdict"] = "fail"

    c = shard_bundle(answered_run, tmp_path, "web-1", "site-c", edit_doc=contradict)
    with pytest.raises(merge.MergeConflict, match="answered differently"):
        merge.merge([a, c], tmp_path / "n.zip", accept_unsigned=True)


def test_replay_uses_recorded_values_of_http_facts_once_their_transcripts_check_out():
    """HTTP/TLS facts have no shell section to re-parse: their values stand if the transcripts are intact."""
    from assess.probes.http.gathered import Gathered
    from assess.run.collect import ObjectEvidence

    web = facts_for("webapp")
    names = list(web)[:3]
    g = Gathered(set(names))
    g.ok(names[0], {"offered": ["TLSv1.2", "TLSv1.3"]}, ["t1"])
    g.error(names[1], "no answer on port 443", ["t2"])
    g.skip(names[2], "state-changing test: not run")
    ev = ObjectEvidence("web-1", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z")
    ev.facts, ev.raw = g.results({"t1": {"url": "https://127.0.0.1/", "status": 200},
                                  "t2": {"url": "https://127.0.0.1:443/", "error": "refused"}})
    stored = json.loads(json.dumps(ev.as_dict()))
    chosen = [web[n] for n in names]
    again = replay.reparse(stored, chosen).facts
    assert again[names[0]].status == "ok" and again[names[0]].value == {"offered": ["TLSv1.2", "TLSv1.3"]}
    assert again[names[1]].status == "error" and "no answer" in again[names[1]].reason
    assert again[names[2]].status == "skipped"
    assert again[names[0]].evidence_id == ev.facts[names[0]].evidence_id
    stored["raw"][names[0]]["transcripts"][0]["status"] = 500
    assert "do not match their evidence id" in replay.reparse(stored, chosen).facts[names[0]].reason
    del stored["raw"][names[0]]
    assert "missing from the evidence" in replay.reparse(stored, chosen).facts[names[0]].reason
    assert replay.reparse(dict(stored, facts={}), chosen).facts[names[2]].reason == replay.NOT_COLLECTED


def all_text_of_xlsx(path: Path) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)


def test_unauthenticated_bundles_are_refused_unless_accepted_and_then_marked_in_every_report(run_dir, signed_zip,
                                                                                              keys, tmp_path):
    unsigned = tmp_path / "unsigned.zip"
    create.create(run_dir, unsigned, operator=OPERATOR)
    stranger = tmp_path / "allowed_stranger"
    stranger.write_text(f"{OPERATOR} {' '.join(Path(str(keys['stranger']) + '.pub').read_text().split()[:2])}\n")
    runner = CliRunner()
    for bundle, extra, reason in ((unsigned, ["--allowed-signers", str(keys["allowed"])], "not signed"),
                                  (unsigned, [], "not signed"),
                                  (signed_zip, [], "no --allowed-signers"),
                                  (signed_zip, ["--allowed-signers", str(stranger)], "is not allowed by")):
        refused = runner.invoke(main, ["bundle", "import", str(bundle), "-o", str(tmp_path / "r"), *extra])
        assert refused.exit_code == 1, refused.output
        assert "not authenticated, not imported" in refused.output and reason in refused.output
        assert "--accept-unsigned" in refused.output and not (tmp_path / "r").exists()
    done = runner.invoke(main, ["bundle", "import", str(unsigned), "-o", str(tmp_path / "a"), "--accept-unsigned",
                                "--format", "all"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[0] == f"WARNING: {importer.UNAUTHENTICATED_BANNER}"
    doc = load(tmp_path / "a" / "results.json")
    imported = doc["run"]["import"]
    assert imported["authenticated"] is False and imported["verified"] is False and imported["intact"] is True
    assert doc["run"]["warnings"][0] == importer.UNAUTHENTICATED_BANNER
    assert load(tmp_path / "a" / "verification.json")["verified"] is False
    assert load(tmp_path / "a" / "report.json")["run"]["warnings"][0] == importer.UNAUTHENTICATED_BANNER
    html = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert html.index(importer.UNAUTHENTICATED_BANNER) < html.index('id="charts"')
    md = (tmp_path / "a" / "report.md").read_text(encoding="utf-8")
    assert md.index(importer.UNAUTHENTICATED_BANNER) < md.index("## ")
    assert importer.UNAUTHENTICATED_BANNER in all_text_of_xlsx(tmp_path / "a" / "record.xlsx")


def test_merge_refuses_unauthenticated_inputs_and_never_signs_what_it_could_not_authenticate(run_dir, keys,
                                                                                          tmp_path):
    signed = shard_bundle(run_dir, tmp_path, "web-1", "site-a", key=keys["ed25519"])
    unsigned = shard_bundle(run_dir, tmp_path, "db-1", "site-b")
    key = sshsig.load_key_file(keys["ed25519"])
    allowed = keys["allowed"]
    with pytest.raises(importer.VerificationFailed, match="not authenticated, not merged"):
        merge.merge([signed, unsigned], tmp_path / "m.zip", allowed_signers=allowed)
    with pytest.raises(importer.VerificationFailed, match="not signing the merge: .*site-b.zip"):
        merge.merge([signed, unsigned], tmp_path / "m.zip", signer=key, accept_unsigned=True,
                    allowed_signers=allowed)
    bad = tampered(signed, tmp_path)
    with pytest.raises(importer.VerificationFailed, match="not signing the merge"):
        merge.merge([bad, signed], tmp_path / "m.zip", signer=key, force=True, allowed_signers=allowed)
    assert not (tmp_path / "m.zip").exists()
    made = merge.merge([signed, unsigned], tmp_path / "m.zip", accept_unsigned=True, allowed_signers=allowed)
    assert made.signer is None
    doc = load(extract(made.path, tmp_path / "x") / "data" / "run" / "results.json")
    assert doc["run"]["warnings"][0] == importer.UNAUTHENTICATED_BANNER
    assert any("site-b.zip" in w for w in doc["run"]["warnings"])
    assert {m["bundle"]: m["authenticated"] for m in doc["run"]["merged_from"]} == {"site-a.zip": True,
                                                                                   "site-b.zip": False}
    assert not verify(made.path, allowed).authenticated
