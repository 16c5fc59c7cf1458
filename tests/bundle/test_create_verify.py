"""Bundles against real peers: the `bagit` validator, stock `ssh-keygen -Y verify`, and our own verify."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner

from assess.bundle import bagcheck, create, sshsig
from assess.bundle.verify import verify, verify_bag
from assess.cli import main
from tests.bundle.conftest import OPERATOR, extract, need_ssh_keygen, zip_names


def ssh_verify(root: Path, allowed: Path, principal: str = OPERATOR) -> subprocess.CompletedProcess:
    with open(root / bagcheck.TAGMANIFEST, "rb") as manifest:
        return subprocess.run([need_ssh_keygen(), "-Y", "verify", "-f", str(allowed), "-I", principal,
                               "-n", "assess-bundle", "-s", str(root / bagcheck.SIGNATURE)],
                              stdin=manifest, capture_output=True, text=True, timeout=30)


def why(result) -> str:
    """Everything that keeps a verification from passing: problems and the authentication failure."""
    return "\n".join([*result.problems, result.unauthenticated or ""])


def retag(root: Path) -> None:
    """Rewrite the tag manifest over the tag files as they are now (what a forger would do)."""
    create.write_manifest(root, [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                                 and not p.relative_to(root).as_posix().startswith("data/")
                                 and p.name not in (bagcheck.TAGMANIFEST, bagcheck.SIGNATURE)], bagcheck.TAGMANIFEST)


@pytest.mark.parametrize("suffix", [".zip", ".tar.gz"])
def test_bagit_validates_our_bag(run_dir, keys, tmp_path, suffix):
    out = tmp_path / f"b{suffix}"
    made = create.create(run_dir, out, signer=sshsig.load_key_file(keys["ed25519"]), operator=OPERATOR)
    root = extract(out, tmp_path / "x")
    bag = bagit.Bag(str(root))
    bag.validate()  # raises BagValidationError on any problem
    assert bag.info["Payload-Oxum"] == made.payload_oxum
    assert bag.info["X-Run-Id"] == run_dir.name
    assert set(bag.payload_files()) >= {"data/run/results.json", "data/run/evidence/local.json",
                                        "data/bundle.json", "data/profile.yaml"}
    assert any(p.startswith("data/controls/catalog/") for p in bag.payload_files())
    assert set(bag.tagfile_entries()) == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "VERIFY.md"}
    assert (root / bagcheck.SIGNATURE).is_file()
    (root / "data" / "run" / "results.json").write_text("{}")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(root)).validate()


def test_bag_info_names_run_system_catalog_operator_and_window(signed_zip, run_dir, tmp_path):
    root = extract(signed_zip, tmp_path / "x")
    info = bagit.Bag(str(root)).info
    doc = json.loads((run_dir / "results.json").read_text())
    assert info["X-Catalog-SHA256"] == doc["run"]["catalog"]["sha256"]
    assert info["X-Operator"] == OPERATOR and info["X-Dengbao-Level"] == "3"
    assert info["X-Collection-Start"] == doc["run"]["started"]
    assert info["X-Signer-Fingerprint"].startswith("SHA256:")
    assert all(n.startswith("dengbao-evidence_") for n in zip_names(signed_zip))


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_ssh_keygen_accepts_our_signature_and_rejects_a_changed_tag_manifest(run_dir, keys, tmp_path, kind):
    out = tmp_path / "b.zip"
    create.create(run_dir, out, signer=sshsig.load_key_file(keys[kind]), operator=OPERATOR)
    root = extract(out, tmp_path / "x")
    good = ssh_verify(root, keys["allowed"])
    assert good.returncode == 0, good.stderr
    assert f'Good "assess-bundle" signature for {OPERATOR}' in good.stdout
    assert ssh_verify(root, keys["allowed"], "someone@else").returncode != 0
    manifest = root / bagcheck.TAGMANIFEST
    manifest.write_bytes(manifest.read_bytes().replace(b"  bag-info.txt", b"  bag-info.txT"))
    assert ssh_verify(root, keys["allowed"]).returncode != 0


def test_ssh_keygen_made_signature_verifies_with_our_code(keys, tmp_path):
    message = tmp_path / "m"
    message.write_bytes(b"manifest text\n")
    subprocess.run([need_ssh_keygen(), "-q", "-Y", "sign", "-f", str(keys["ecdsa"]), "-n", "assess-bundle",
                    str(message)], check=True, capture_output=True, timeout=30)
    sig = sshsig.verify(message.read_bytes(), (tmp_path / "m.sig").read_text())
    assert sig.fingerprint == sshsig.load_key_file(keys["ecdsa"]).fingerprint
    with pytest.raises(sshsig.SignatureError):
        sshsig.verify(b"other text\n", (tmp_path / "m.sig").read_text())
    with pytest.raises(sshsig.SignatureError, match="namespace"):
        sshsig.verify(message.read_bytes(), (tmp_path / "m.sig").read_text(), namespace="git")


def test_flipping_one_byte_in_any_file_is_detected(signed_zip, keys, tmp_path):
    pristine = extract(signed_zip, tmp_path / "pristine")
    assert verify_bag(pristine, keys["allowed"], OPERATOR).ok
    files = sorted(p.relative_to(pristine).as_posix() for p in pristine.rglob("*") if p.is_file())
    assert len(files) > 15
    for i, rel in enumerate(files):
        copy = tmp_path / f"c{i}"
        shutil.copytree(pristine, copy)
        target = copy / rel
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        result = verify_bag(copy, keys["allowed"], OPERATOR)
        assert not result.ok, f"flipping a byte in {rel} went unnoticed"
        if rel.startswith("data/"):
            assert f"{rel}: changed" in "\n".join(result.problems)
        shutil.rmtree(copy)


def test_added_and_removed_files_are_named(signed_zip, keys, tmp_path):
    root = extract(signed_zip, tmp_path / "x")
    (root / "data" / "run" / "evidence" / "planted.json").write_text("{}")
    (root / "notes.txt").write_text("hi")
    (root / "data" / "run" / "results.json").unlink()
    problems = "\n".join(verify_bag(root, keys["allowed"], OPERATOR).problems)
    assert "data/run/evidence/planted.json: extra payload file" in problems
    assert "notes.txt: extra tag file" in problems
    assert "data/run/results.json: missing" in problems
    assert "Payload-Oxum" in problems


def test_cli_verify_exit_status_and_signer_checks(signed_zip, keys, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["bundle", "verify", str(signed_zip), "--allowed-signers", str(keys["allowed"]),
                              "--signer", OPERATOR])
    assert ok.exit_code == 0, ok.output
    assert "OK   bundle verified" in ok.output and f"as {OPERATOR}" in ok.output
    wrong = runner.invoke(main, ["bundle", "verify", str(signed_zip), "--allowed-signers", str(keys["allowed"]),
                                 "--signer", "mallory@example.com"])
    assert wrong.exit_code == 1 and "not 'mallory@example.com'" in wrong.output
    only_stranger = tmp_path / "allowed_stranger"
    only_stranger.write_text(f"{OPERATOR} {' '.join(Path(str(keys['stranger']) + '.pub').read_text().split()[:2])}\n")
    unknown = runner.invoke(main, ["bundle", "verify", str(signed_zip), "--allowed-signers", str(only_stranger)])
    assert unknown.exit_code == 1 and "is not allowed by" in unknown.output


def test_signing_with_a_key_not_in_allowed_signers_is_detected(run_dir, keys, tmp_path):
    out = tmp_path / "stranger.zip"
    create.create(run_dir, out, signer=sshsig.load_key_file(keys["stranger"]), operator=OPERATOR)
    result = verify(out, keys["allowed"], OPERATOR)
    assert not result.ok and result.intact and "is not allowed by" in why(result)
    assert ssh_verify(extract(out, tmp_path / "x"), keys["allowed"]).returncode != 0


def test_allowed_signers_namespaces_and_validity_window(signed_zip, keys, tmp_path):
    key = " ".join(Path(str(keys["ed25519"]) + ".pub").read_text().split()[:2])
    cases = {'namespaces="git,file"': "namespace", 'valid-before="20200101"': "expired",
             'valid-after="29990101"': "not valid before", 'namespaces="assess-*",valid-after="20200101Z"': None}
    for options, problem in cases.items():
        allowed = tmp_path / "allowed"
        allowed.write_text(f"# comment\n*@example.com {options} {key}\n")
        result = verify(signed_zip, allowed, OPERATOR)
        if problem is None:
            assert result.ok, result.problems
        else:
            assert not result.ok and problem in why(result)
    allowed.write_text(f"!{OPERATOR},*@example.com {key}\n")
    assert not verify(signed_zip, allowed, OPERATOR).ok


def test_unsigned_or_unchecked_bundles_are_never_called_verified(run_dir, signed_zip, keys, tmp_path):
    out = tmp_path / "unsigned.tar.gz"
    create.create(run_dir, out, operator=OPERATOR)
    plain = verify(out)
    assert plain.intact and not plain.authenticated and not plain.ok and "not signed" in why(plain)
    assert plain.as_dict()["verified"] is False and plain.as_dict()["authenticated"] is False
    required = verify(out, keys["allowed"])
    assert not required.ok and "not signed" in why(required)
    runner = CliRunner()
    for bundle, extra in ((out, []), (signed_zip, [])):  # no --allowed-signers: nobody vouches for the key
        result = runner.invoke(main, ["bundle", "verify", str(bundle), *extra])
        assert result.exit_code == 1 and "NOT AUTHENTICATED" in result.output
        assert "OK   bundle verified" not in result.output
        accepted = runner.invoke(main, ["bundle", "verify", str(bundle), "--accept-unsigned"])
        assert accepted.exit_code == 0 and "not authenticated (not verified)" in accepted.output


def test_bag_info_cannot_be_changed_without_failing(signed_zip, keys, tmp_path):
    """bag-info.txt is not signed; its key fields must agree with the signed data/bundle.json."""
    root = extract(signed_zip, tmp_path / "x")
    info = root / "bag-info.txt"
    info.write_text(info.read_text().replace(f"X-Operator: {OPERATOR}", "X-Operator: someone-else"))
    retag(root)
    problems = verify_bag(root, keys["allowed"], OPERATOR).problems
    assert any("x-operator" in p for p in problems)
    assert any("tagmanifest-sha256.txt.sig" in p for p in problems)  # the signature covers bag-info.txt too


def test_agent_signing(run_dir, keys, tmp_path, monkeypatch):
    agent_bin, add_bin = shutil.which("ssh-agent"), shutil.which("ssh-add")
    if not agent_bin or not add_bin:
        from tests.conftest import lab_unavailable

        lab_unavailable("ssh-agent/ssh-add (Debian openssh-client) not installed")
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen([agent_bin, "-D", "-a", str(sock)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            subprocess.run(["sleep", "0.05"], check=True)
        env = dict(os.environ, SSH_AUTH_SOCK=str(sock))
        subprocess.run([add_bin, "-q", str(keys["rsa"])], env=env, check=True, capture_output=True, timeout=30)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        out = tmp_path / "agent.zip"
        result = CliRunner().invoke(main, ["bundle", "create", str(run_dir), "-o", str(out), "--sign-agent",
                                           "--operator", OPERATOR])
        assert result.exit_code == 0, result.output
        root = extract(out, tmp_path / "x")
        assert ssh_verify(root, keys["allowed"]).returncode == 0
        assert verify_bag(root, keys["allowed"], OPERATOR).signer_key_type == "ssh-rsa"
        subprocess.run([add_bin, "-q", str(keys["ed25519"])], env=env, check=True, capture_output=True, timeout=30)
        several = CliRunner().invoke(main, ["bundle", "create", str(run_dir), "-o", str(tmp_path / "2.zip"),
                                            "--sign-agent"])
        assert several.exit_code == 2 and "holds 2 keys" in several.output
        chosen = CliRunner().invoke(main, ["bundle", "create", str(run_dir), "-o", str(tmp_path / "3.zip"),
                                           "--sign-agent", "--sign", str(keys["ed25519"]) + ".pub"])
        assert chosen.exit_code == 0, chosen.output
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def test_encrypted_key_takes_the_passphrase_from_the_environment(run_dir, tmp_path, monkeypatch):
    key = tmp_path / "enc"
    subprocess.run([need_ssh_keygen(), "-q", "-t", "ed25519", "-N", "s3cret pass", "-f", str(key)], check=True,
                   timeout=30)
    monkeypatch.delenv(sshsig.PASSPHRASE_ENV, raising=False)
    runner = CliRunner()
    refused = runner.invoke(main, ["bundle", "create", str(run_dir), "-o", str(tmp_path / "a.zip"), "--sign", str(key)])
    assert refused.exit_code == 2 and "encrypted" in refused.output
    monkeypatch.setenv(sshsig.PASSPHRASE_ENV, "wrong")
    wrong = runner.invoke(main, ["bundle", "create", str(run_dir), "-o", str(tmp_path / "a.zip"), "--sign", str(key)])
    assert wrong.exit_code == 2 and "wrong passphrase" in wrong.output
    monkeypatch.setenv(sshsig.PASSPHRASE_ENV, "s3cret pass")
    ok = runner.invoke(main, ["bundle", "create", str(run_dir), "-o", str(tmp_path / "a.zip"), "--sign", str(key)])
    assert ok.exit_code == 0, ok.output
    assert not (tmp_path / ".a.zip.partial").exists()


def test_chaining_to_the_previous_bundle(run_dir, signed_zip, keys, tmp_path):
    out = tmp_path / "next.zip"
    create.create(run_dir, out, signer=sshsig.load_key_file(keys["ed25519"]), operator=OPERATOR, previous=signed_zip)
    prev_root = extract(signed_zip, tmp_path / "prev")
    prev_hash = hashlib.sha256((prev_root / bagcheck.MANIFEST).read_bytes()).hexdigest()
    root = extract(out, tmp_path / "x")
    assert bagit.Bag(str(root)).info["X-Previous-Manifest-SHA256"] == prev_hash
    assert json.loads((root / "data" / "bundle.json").read_text())["previous"]["manifest_sha256"] == prev_hash
    runner = CliRunner()
    chained = runner.invoke(main, ["bundle", "verify", str(out), "--previous", str(signed_zip), "--allowed-signers",
                                   str(keys["allowed"])])
    assert chained.exit_code == 0, chained.output
    broken = runner.invoke(main, ["bundle", "verify", str(signed_zip), "--previous", str(out)])
    assert broken.exit_code == 1 and "chain:" in broken.output


def verify_md_command(root: Path) -> str:
    """The shell command VERIFY.md tells the evaluator to run (nothing from the bag is executed by it)."""
    text = (root / "VERIFY.md").read_text(encoding="utf-8")
    block = text.split("then every payload file:", 1)[1].split("Expected signer", 1)[0]
    return " ".join(line.strip().rstrip("\\") for line in block.strip().splitlines())


def one_liner(root: Path, allowed: Path, command: str) -> subprocess.CompletedProcess:
    shutil.copyfile(allowed, root.parent / "allowed_signers")
    return subprocess.run(["sh", "-c", command], cwd=root, capture_output=True, text=True, timeout=60)


def test_the_bag_carries_no_code_and_the_documented_one_liner_checks_every_file(signed_zip, keys, tmp_path):
    need_ssh_keygen()
    if not shutil.which("sha256sum"):
        pytest.skip("sha256sum (coreutils) not installed")
    pristine = extract(signed_zip, tmp_path / "p")
    tags = {p.name for p in pristine.iterdir() if p.is_file()}
    assert tags == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "VERIFY.md", bagcheck.TAGMANIFEST,
                    bagcheck.SIGNATURE}
    assert not [p for p in pristine.rglob("*.py")]
    assert "python" not in (pristine / "VERIFY.md").read_text(encoding="utf-8")
    command = verify_md_command(pristine)  # as documented, not as a swapped VERIFY.md would say
    assert command.startswith("ssh-keygen -Y verify") and "sha256sum --strict -c manifest-sha256.txt" in command
    good = one_liner(pristine, keys["allowed"], command)
    assert good.returncode == 0, good.stdout + good.stderr
    assert f'Good "assess-bundle" signature for {OPERATOR}' in good.stdout

    def swapped(name: str, edit) -> None:
        copy = tmp_path / name.replace("/", "_") / pristine.name
        shutil.copytree(pristine, copy)
        edit(copy)
        retag(copy)  # the forger keeps the tag manifest consistent; only the signature can catch it
        assert one_liner(copy, keys["allowed"], command).returncode != 0, f"the one-liner accepted a swapped {name}"
        result = verify_bag(copy, keys["allowed"], OPERATOR)
        assert not result.ok and any(bagcheck.SIGNATURE in p for p in result.problems), (name, result.problems)

    swapped("VERIFY.md", lambda r: (r / "VERIFY.md").write_text("Run: python3 verify.py\n", encoding="utf-8"))
    swapped("verify.py", lambda r: (r / "verify.py").write_text("print('OK')\n", encoding="utf-8"))
    swapped("bag-info.txt", lambda r: (r / "bag-info.txt").write_text(
        (r / "bag-info.txt").read_text(encoding="utf-8").replace("Bag-Software-Agent", "Bag-Software-AgenT"),
        encoding="utf-8"))

    def payload(r: Path) -> None:
        ev = r / "data" / "run" / "evidence" / "local.json"
        ev.write_bytes(ev.read_bytes().replace(b"login", b"logon", 1))
        create.write_manifest(r, sorted(p.relative_to(r).as_posix() for p in (r / "data").rglob("*")
                                        if p.is_file()), bagcheck.MANIFEST)

    swapped("manifest-sha256.txt", payload)
    unlisted = tmp_path / "unlisted" / pristine.name  # a file listed nowhere: verify names it
    shutil.copytree(pristine, unlisted)
    (unlisted / "verify.py").write_text("print('OK')\n", encoding="utf-8")
    assert "verify.py: extra tag file" in why(verify_bag(unlisted, keys["allowed"], OPERATOR))


def test_old_format_bundles_signed_over_the_manifest_only_are_not_authenticated(signed_zip, keys, tmp_path):
    """Before, the signature covered manifest-sha256.txt only: its verify.py and bag-info.txt could be swapped."""
    root = extract(signed_zip, tmp_path / "x")
    signature = sshsig.sign((root / bagcheck.MANIFEST).read_bytes(), sshsig.load_key_file(keys["ed25519"]))
    (root / bagcheck.LEGACY_SIGNATURE).write_text(signature, encoding="utf-8")
    (root / bagcheck.SIGNATURE).unlink()
    (root / "verify.py").write_text("print('OK   every SHA-256 matches')\n", encoding="utf-8")
    retag(root)
    result = verify_bag(root, keys["allowed"], OPERATOR)
    assert result.intact and not result.ok and "old-format signature" in why(result)
    refused = CliRunner().invoke(main, ["bundle", "import", str(root), "-o", str(tmp_path / "imp"),
                                        "--allowed-signers", str(keys["allowed"])])
    assert refused.exit_code == 1 and "not authenticated" in refused.output


def test_create_bad_input(run_dir, tmp_path):
    runner = CliRunner()
    wrong_suffix = runner.invoke(main, ["bundle", "create", str(run_dir), "-o", str(tmp_path / "b.rar")])
    assert wrong_suffix.exit_code == 2 and "unsupported archive type" in wrong_suffix.output
    not_a_run = runner.invoke(main, ["bundle", "create", str(tmp_path), "-o", str(tmp_path / "b.zip")])
    assert not_a_run.exit_code == 2 and "results.json" in not_a_run.output
    other = tmp_path / "controls"
    shutil.copytree(Path(create.catalog_mod.default_root()), other)
    params = other / "parameters" / "linux.yaml"
    params.write_text(params.read_text().replace("default: 90", "default: 91", 1))
    mismatch = runner.invoke(main, ["bundle", "create", str(run_dir), "-o", str(tmp_path / "b.zip"),
                                    "--controls", str(other)])
    assert mismatch.exit_code == 2 and "not the ones the run used" in mismatch.output
    (tmp_path / "file").write_text("x")
    blocked = runner.invoke(main, ["bundle", "create", str(run_dir), "-o", str(tmp_path / "file" / "b.zip")])
    assert blocked.exit_code == 2 and "cannot write the bundle" in blocked.output
    missing = runner.invoke(main, ["bundle", "verify", str(tmp_path / "nope.zip")])
    assert missing.exit_code == 2 and "bundle not found" in missing.output
    unknown = runner.invoke(main, ["bundle", "import", str(tmp_path / "nope.zip"), "--format", "pdf,html"])
    assert unknown.exit_code == 2 and "unknown report format pdf" in unknown.output
    occupied = runner.invoke(main, ["bundle", "import", str(tmp_path / "nope.zip"), "-o", str(tmp_path / "file")])
    assert occupied.exit_code == 2 and "not empty" in occupied.output
    outputs = mismatch.output + not_a_run.output + wrong_suffix.output + blocked.output + missing.output
    assert "Traceback" not in outputs + occupied.output
    assert not list(tmp_path.glob("*.zip"))
