"""Create an evidence bundle: a BagIt (RFC 8493) bag of one run, signed over its manifest, zipped or tarred.

Layout (inside one top-level folder `dengbao-evidence_<system>_<run-id>/`):

  bagit.txt, bag-info.txt          bag declaration; system, level, run, tool, catalog, operator, time window,
                                   Payload-Oxum, previous bundle's manifest hash (chaining), signer fingerprint
  manifest-sha256.txt              every payload file
  VERIFY.md                        how to check the bag with stock OpenSSH and sha256sum (no code in the bag)
  tagmanifest-sha256.txt           every tag file above
  tagmanifest-sha256.txt.sig       SSHSIG (namespace assess-bundle) over tagmanifest-sha256.txt, when signed:
                                   it lists the payload manifest, so the signature covers every file of the bag
  data/bundle.json                 the bundle's metadata (covered by the manifest, hence by the signature)
  data/run/                        the run directory as written: results.json, evidence/, attachments, reports
  data/controls/                   the controls tree the run was evaluated with (catalog, checks, parameters,
                                   profiles); its catalog sha256 equals the one in results.json
  data/profile.yaml                the resolved profile the run used (parameters, tailoring, conclusion)

Order: payload, manifest, bag-info and the other tag files, tag manifest, signature.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import re
import shutil
import socket
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

import assess
from assess.bundle import archive, bagcheck, secrets, sshsig
from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.errors import InputError, LintErrors
from assess.run import document as results
from assess.run.collect import now

SCHEMA = "assess/bundle@1"


@dataclass
class Created:
    path: Path
    manifest_sha256: str
    payload_oxum: str
    signer: str | None
    secrets_allowed: list[str] = field(default_factory=list)
    binary_unscanned: list[str] = field(default_factory=list)


def default_operator() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-")[:48] or "system"


def run_files(run_dir: Path) -> list[Path]:
    """The files of a run directory to carry: everything regular, minus temporary and hidden files."""
    out = []
    for path in sorted(run_dir.rglob("*")):
        rel = path.relative_to(run_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink():
            raise InputError("symlinks are not carried into bundles; copy the file instead", str(path))
        if path.is_file():
            out.append(path)
    return out


def control_files(root: Path) -> list[Path]:
    """Every YAML file of a controls tree (catalog, checks, parameters, profiles, high-risk rules …)."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def controls_for(doc: dict[str, Any], controls: Path | None) -> catalog_mod.Catalog:
    """The controls the run was evaluated with: `controls` or the shipped ones, checked by sha256."""
    try:
        cat = catalog_mod.load(controls)
    except LintErrors as exc:
        raise InputError(f"the controls tree does not load ({len(exc.problems)} problems; run "
                         f"`assess controls lint`): {exc.problems[0]}") from None
    want = doc["run"]["catalog"]["sha256"]
    if cat.sha256 != want:
        where = controls or cat.root
        raise InputError(f"the controls at {where} (catalog sha256 {cat.sha256[:12]}…) are not the ones the run "
                         f"used ({want[:12]}…); pass --controls DIR with the controls of that run")
    return cat


def profile_yaml(doc: dict[str, Any], cat: catalog_mod.Catalog) -> str:
    """The run's resolved profile as a self-contained profile file (no `extends`)."""
    used = doc["run"]["profile"]
    data: dict[str, Any] = {"id": used["id"], "title": used["title"], "level": used["level"],
                            "description": f"Resolved profile of run {doc['run']['id']} (frozen by assess bundle).",
                            "parameters": used.get("parameters") or {}, "tailoring": used.get("tailoring") or {},
                            "conclusion": used.get("conclusion") or {}}
    if used.get("extensions"):
        data.update(extensions=used["extensions"], cloud=used.get("cloud") or {})
    try:
        shipped = profile_mod.load(used["id"], cat)
    except (InputError, LintErrors):
        shipped = None
    cat.enable(list(used.get("extensions") or []))  # loading the shipped profile must not change the run's items
    if shipped is not None and shipped.public() == used and shipped.context:
        data["context"] = shipped.context
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def manifest_of_archive(path: Path) -> tuple[str, dict[str, Any]]:
    """(sha256 of manifest-sha256.txt, bundle.json) of an existing bundle whose hashes check out."""
    with tempfile.TemporaryDirectory(prefix="assess-prev-") as tmp:
        root = archive.bag_root(archive.extract(path, Path(tmp) / "x"))
        report = bagcheck.check(root)
        if not report.ok:
            raise InputError(f"the previous bundle does not verify: {report.problems[0]}", str(path))
        meta = results.read_json_object(root / "data" / "bundle.json", "bundle metadata")
        return hashlib.sha256((root / bagcheck.MANIFEST).read_bytes()).hexdigest(), meta




def _source_of(rel: str, run_dir: Path, controls: Path) -> str:
    """Where a payload file came from, so a secret can be fixed at its source."""
    for prefix, base in (("run/", run_dir), ("controls/", controls)):
        if rel.startswith(prefix):
            return str(base / rel[len(prefix):])
    return f"data/{rel}"


def write_manifest(root: Path, files: list[str], name: str) -> None:
    lines = [f"{bagcheck.sha256_file(root / f)}  {bagcheck.encode_path(f)}\n" for f in sorted(files)]
    (root / name).write_text("".join(lines), encoding="utf-8")


def _info_value(value: str) -> str:
    return " ".join(str(value).split())


def create(run_dir: Path, out: Path, *, signer: sshsig.Signer | None = None, previous: Path | None = None,
           operator: str | None = None, system: str | None = None, controls: Path | None = None,
           allow_secrets: bool = False, extra: dict[str, Any] | None = None) -> Created:
    """Bag, check for secrets, sign and pack the run in `run_dir` as `out` (.zip or .tar.gz)."""
    archive.kind_of(out)
    if not run_dir.is_dir():
        raise InputError("run directory not found", str(run_dir))
    doc = results.load_results(run_dir)
    cat = controls_for(doc, controls)
    prev = manifest_of_archive(previous) if previous else None
    run = doc["run"]
    system = system or run.get("system") or run.get("operator_host") or "system"
    operator = operator or default_operator()
    with archive.io_errors("cannot write the bundle"):
        return _create(run_dir, out, doc, cat, signer, previous, prev, operator, system, allow_secrets, extra)


def _create(run_dir: Path, out: Path, doc: dict[str, Any], cat: catalog_mod.Catalog, signer: sshsig.Signer | None,
            previous: Path | None, prev: tuple[str, dict[str, Any]] | None, operator: str, system: str,
            allow_secrets: bool, extra: dict[str, Any] | None) -> Created:
    run = doc["run"]
    top = f"dengbao-evidence_{_slug(system)}_{_slug(run['id'])}"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".assess-bundle-", dir=out.parent) as tmp:
        root = Path(tmp) / top
        data = root / "data"
        for src in run_files(run_dir):
            dst = data / "run" / src.relative_to(run_dir)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        for src in control_files(cat.root):
            dst = data / "controls" / src.relative_to(cat.root)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        (data / "profile.yaml").write_text(profile_yaml(doc, cat), encoding="utf-8")
        hits, binary = secrets.scan_tree(data)
        hits = [replace(h, path=_source_of(h.path, run_dir, cat.root)) for h in hits]
        if hits and not allow_secrets:
            shown = "\n  ".join(str(h) for h in hits[:50])
            more = f"\n  … and {len(hits) - 50} more" if len(hits) > 50 else ""
            raise InputError(f"refusing to bundle: {len(hits)} secret(s) found in the payload (fix the probe or "
                             f"attachment, or pass --allow-secrets):\n  {shown}{more}")
        meta = {
            "schema": SCHEMA,
            "created": now(),
            "system": system,
            "level": run["profile"].get("level", 3),
            "run": {"id": run["id"], "started": run["started"], "finished": run["finished"]},
            "tool": {"name": "assess", "version": assess.__version__, "run_tool": run.get("tool")},
            "catalog": {"id": run["catalog"]["id"], "sha256": run["catalog"]["sha256"]},
            "profile": run["profile"]["id"],
            "operator": operator,
            "objects": [o["id"] for o in doc["objects"]],
            "previous": {"manifest_sha256": prev[0], "run": prev[1].get("run", {}).get("id"),
                         "file": previous.name} if prev and previous else None,
            "signer": {"fingerprint": signer.fingerprint, "key_type": signer.key_type} if signer else None,
            "secrets_allowed": [str(h) for h in hits] if hits else [],
            **(extra or {}),
        }
        (data / "bundle.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        payload = sorted(p.relative_to(root).as_posix() for p in data.rglob("*") if p.is_file())
        write_manifest(root, payload, bagcheck.MANIFEST)
        manifest_bytes = (root / bagcheck.MANIFEST).read_bytes()
        size = sum((root / p).stat().st_size for p in payload)
        oxum = f"{size}.{len(payload)}"
        (root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8")
        info = [("Bag-Software-Agent", f"assess {assess.__version__}"), ("Bagging-Date", meta["created"][:10]),
                ("External-Identifier", run["id"]), ("Contact-Name", operator), ("Payload-Oxum", oxum),
                ("X-System-Name", system), ("X-Dengbao-Level", str(meta["level"])), ("X-Run-Id", run["id"]),
                ("X-Tool-Version", assess.__version__), ("X-Catalog-Id", meta["catalog"]["id"]),
                ("X-Catalog-SHA256", meta["catalog"]["sha256"]), ("X-Profile", meta["profile"]),
                ("X-Operator", operator), ("X-Collection-Start", run["started"]),
                ("X-Collection-End", run["finished"])]
        if prev:
            info.append(("X-Previous-Manifest-SHA256", prev[0]))
        if signer:
            info += [("X-Signer", operator), ("X-Signer-Fingerprint", signer.fingerprint)]
        (root / "bag-info.txt").write_text("".join(f"{k}: {_info_value(v)}\n" for k, v in info), encoding="utf-8")
        (root / "VERIFY.md").write_text(verify_text(operator, signer), encoding="utf-8")
        tags = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                      if p.is_file() and not p.relative_to(root).as_posix().startswith("data/"))
        write_manifest(root, tags, bagcheck.TAGMANIFEST)
        if signer:
            signature = sshsig.sign((root / bagcheck.TAGMANIFEST).read_bytes(), signer)
            (root / bagcheck.SIGNATURE).write_text(signature, encoding="utf-8")
        archive.write(root, out, top)
    return Created(out, hashlib.sha256(manifest_bytes).hexdigest(), oxum,
                   signer.fingerprint if signer else None, [str(h) for h in hits], binary)


def verify_text(operator: str, signer: sshsig.Signer | None) -> str:
    fp = signer.fingerprint if signer else "（未签名 / not signed）"
    return f"""# 如何核验本证据包 / How to verify this evidence bundle

Nothing in this bag is meant to be run. With stock OpenSSH (ssh-keygen ≥ 8.1) and coreutils, in this folder:

1. Put the operator's public key, received out of band (e.g. on the sealed 测评委托 letter), in a file
   `allowed_signers` outside this folder, as one line:
   `{operator} namespaces="assess-bundle" ssh-ed25519 AAAA…`

2. Check the signature over the tag manifest, then the tag manifest (it lists manifest-sha256.txt,
   bag-info.txt, bagit.txt and this file), then every payload file:

       ssh-keygen -Y verify -f ../allowed_signers -I '{operator}' -n assess-bundle \\
           -s tagmanifest-sha256.txt.sig < tagmanifest-sha256.txt &&
       sha256sum --strict -c tagmanifest-sha256.txt && sha256sum --strict -c manifest-sha256.txt

   Expected signer key fingerprint / 签名密钥指纹: {fp}
   The signature covers the tag manifest, hence every file of the bag but the signature itself.
   sha256sum checks the files that are listed; `assess bundle verify` also refuses files listed nowhere.

3. With assess: `assess bundle verify BUNDLE --allowed-signers allowed_signers --signer '{operator}'`
   does all of the above, and `assess bundle import BUNDLE --allowed-signers allowed_signers` re-evaluates
   the evidence offline.
"""
