"""Merge bundles from several collectors (fleet shards, sites) into one run and one new bundle.

Each input is verified first: one that is not intact is refused unless forced, one not signed by an allowed
signer unless --accept-unsigned; either is then named in the merged run's warnings, and the merged bundle
is never signed (a signature would vouch for evidence nobody authenticated). All inputs must have been evaluated with the same
catalog (sha256) and the same resolved profile, so the merged verdicts mean the same thing. Objects are
united by id: the same id twice is accepted only when the object and its evidence are identical (the
same shard bundled twice); otherwise it is a conflict naming both bundles. Attachments are united by
path the same way. The merged run is re-evaluated from the evidence with the inputs' frozen controls,
and bundled (and signed) like any run; reports of the inputs are not carried (they describe one shard).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assess.bundle import archive, create, importer, sshsig
from assess.bundle.verify import Verification, verify_bag
from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.errors import InputError
from assess.run import document as results
from assess.run import replay


class MergeConflict(InputError):
    """Two bundles disagree about the same object or file."""


@dataclass
class _Input:
    source: Path
    root: Path
    doc: dict[str, Any]
    meta: dict[str, Any]
    check: Verification


def _evidence_key(path: Path | None) -> Any:
    """What makes two collections of one object the same: the raw outputs' hashes and the error."""
    if path is None:
        return None
    stored = replay.load_evidence_file(path)
    return {"error": stored.get("error"),
            "raw": {name: sec.get("id") for name, sec in sorted(stored["raw"].items()) if isinstance(sec, dict)}}


def _describe(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: obj.get(k) for k in ("id", "type", "name", "address", "engine", "tags")}


def _load(path: Path, tmp: Path, index: int, force: bool, accept_unsigned: bool, allowed: Path | None,
          signer_id: str | None) -> _Input:
    if path.is_dir():
        root = archive.bag_root(path)
    else:
        if not path.is_file():
            raise InputError("bundle not found", str(path))
        root = archive.bag_root(archive.extract(path, tmp / f"in{index}"))
    check = verify_bag(root, allowed, signer_id, source=str(path))
    refused = importer.refusal(check, force, accept_unsigned, "merge", "merged")
    if refused:
        raise importer.VerificationFailed(refused, str(path))
    doc = results.load_results(root / "data" / "run")
    return _Input(path, root, doc, check.metadata, check)


def merge(paths: list[Path], out: Path, *, signer: sshsig.Signer | None = None, operator: str | None = None,
          system: str | None = None, force: bool = False, accept_unsigned: bool = False,
          allowed_signers: Path | None = None, signer_id: str | None = None,
          allow_secrets: bool = False) -> create.Created:
    """One bundle at `out` holding the union of the inputs' objects, evidence and attachments."""
    if len(paths) < 2:
        raise InputError("merge needs at least two bundles")
    archive.kind_of(out)
    with archive.io_errors("cannot merge"):
        out.parent.mkdir(parents=True, exist_ok=True)
        return _merge(paths, out, signer, operator, system, force, accept_unsigned, allowed_signers, signer_id,
                      allow_secrets)


def _merge(paths: list[Path], out: Path, signer: sshsig.Signer | None, operator: str | None, system: str | None,
           force: bool, accept_unsigned: bool, allowed_signers: Path | None, signer_id: str | None,
           allow_secrets: bool) -> create.Created:
    with tempfile.TemporaryDirectory(prefix=".assess-merge-", dir=out.parent) as tmp_name:
        tmp = Path(tmp_name)
        inputs = [_load(p, tmp, i, force, accept_unsigned, allowed_signers, signer_id) for i, p in enumerate(paths)]
        unverified = [i for i in inputs if not i.check.ok]
        if signer is not None and unverified:
            raise importer.VerificationFailed(
                f"not signing the merge: {unverified[0].source} is not verified "
                f"({unverified[0].check.unauthenticated or unverified[0].check.problems[0]}); a signature would "
                "vouch for evidence nobody authenticated (merge without --sign, or verify every input with "
                "--allowed-signers)")
        first = inputs[0]
        for other in inputs[1:]:
            for key, what in (("catalog", "catalog"), ("profile", "profile")):
                a, b = first.doc["run"][key], other.doc["run"][key]
                if a != b:
                    shown = (a.get("sha256", "")[:12], b.get("sha256", "")[:12]) if key == "catalog" else \
                        (a.get("id"), b.get("id"))
                    raise MergeConflict(f"{other.source} was evaluated with another {what} ({shown[1]}) than "
                                        f"{first.source} ({shown[0]}); merge runs of one {what} only")
        run_dir = tmp / "merged"
        (run_dir / "evidence").mkdir(parents=True)
        objects = _unite_objects(inputs, run_dir)
        _unite_files(inputs, run_dir, "attachments")
        started = min(i.doc["run"]["started"] for i in inputs)
        finished = max(i.doc["run"]["finished"] for i in inputs)
        base = dict(first.doc)
        base["objects"] = objects
        base["results"], base["waivers"] = _unite_inputs(inputs)
        base["run"] = dict(first.doc["run"], id=results.new_run_id(), started=started, finished=finished)
        cat = catalog_mod.load(first.root / "data" / "controls")
        prof = profile_mod.load(str(first.root / "data" / "profile.yaml"), cat)
        doc = replay.replay(run_dir, cat, prof, doc=base)
        doc["run"].pop("replay", None)
        doc["run"]["merged_from"] = [
            {"bundle": i.source.name, "run": i.doc["run"]["id"], "manifest_sha256": i.check.manifest_sha256 or "",
             "operator": i.meta.get("operator"), "signer": (i.meta.get("signer") or {}).get("fingerprint"),
             "verified": i.check.ok, "authenticated": i.check.authenticated,
             "objects": [o["id"] for o in i.doc["objects"] if o.get("type") != "system"]} for i in inputs]
        warned = [w for i in unverified for w in importer.banners(i.check)]
        if warned:
            doc["run"]["warnings"] = [*dict.fromkeys(warned), *doc["run"].get("warnings", [])]
        results.write_json(run_dir / "results.json", doc)
        return create.create(run_dir, out, signer=signer, operator=operator,
                             system=system or first.meta.get("system"), controls=first.root / "data" / "controls",
                             allow_secrets=allow_secrets,
                             extra={"merged_from": doc["run"]["merged_from"]})


def _unite_objects(inputs: list[_Input], run_dir: Path) -> list[dict[str, Any]]:
    seen: dict[str, tuple[_Input, dict[str, Any], Any]] = {}
    objects: list[dict[str, Any]] = []
    for inp in inputs:
        src_run = inp.root / "data" / "run"
        for obj in inp.doc["objects"]:
            if obj.get("type") == "system":
                continue
            ev_path = replay.evidence_path(src_run, obj)
            key = _evidence_key(ev_path)
            if obj["id"] in seen:
                prev, prev_obj, prev_key = seen[obj["id"]]
                if _describe(prev_obj) != _describe(obj):
                    raise MergeConflict(f"object '{obj['id']}' is described differently in {prev.source} and "
                                        f"{inp.source} ({_diff(_describe(prev_obj), _describe(obj))})")
                if prev_key != key:
                    raise MergeConflict(f"object '{obj['id']}' has different evidence in {prev.source} and "
                                        f"{inp.source} ({_evidence_diff(prev_key, key)}); give each collector "
                                        "distinct object ids or merge one of them only")
                continue
            seen[obj["id"]] = (inp, obj, key)
            entry = dict(obj)
            if ev_path is not None:
                dest = run_dir / "evidence" / f"{results.safe_name(obj['id'])}.json"
                shutil.copyfile(ev_path, dest)
                entry["evidence"] = f"evidence/{dest.name}"
            objects.append(entry)
    return objects


def _unite_inputs(inputs: list[_Input]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Result rows carrying interview answers, and the waiver listing, of all inputs (for replay to re-apply).

    The same item × object answered differently, or one waiver id with two contents, is a conflict.
    """
    answered: dict[tuple[str, str], tuple[_Input, dict[str, Any]]] = {}
    waived: dict[str, tuple[_Input, dict[str, Any]]] = {}
    rows: list[dict[str, Any]] = []
    listing: list[dict[str, Any]] = []
    for inp in inputs:
        for row in inp.doc.get("results", []):
            if not isinstance(row.get("answer"), dict) and not isinstance(row.get("waived"), dict):
                continue
            key = (row["item"], row["object"])
            if isinstance(row.get("answer"), dict):
                mine = {k: v for k, v in row["answer"].items() if k != "status"}
                if key in answered:
                    first, theirs = answered[key]
                    if {k: v for k, v in theirs.items() if k != "status"} != mine:
                        raise MergeConflict(f"{key[0]} on '{key[1]}' is answered differently in {first.source} "
                                            f"and {inp.source}")
                    continue
                answered[key] = (inp, row["answer"])
            rows.append(row)
        for w in (inp.doc.get("waivers") or {}).get("list") or []:
            if w["id"] in waived:
                first, theirs = waived[w["id"]]
                if {k: theirs.get(k) for k in ("item", "objects", "expires", "approver")} != \
                        {k: w.get(k) for k in ("item", "objects", "expires", "approver")}:
                    raise MergeConflict(f"waiver '{w['id']}' differs between {first.source} and {inp.source}")
                continue
            waived[w["id"]] = (inp, w)
            listing.append(w)
    return rows, {"list": listing}


def _diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {a[k]!r} vs {b[k]!r}" for k in a if a[k] != b[k])


def _evidence_diff(a: Any, b: Any) -> str:
    if a is None or b is None:
        return "collected in one bundle only"
    if a["error"] != b["error"]:
        return f"collection error {a['error']!r} vs {b['error']!r}"
    names = sorted(n for n in set(a["raw"]) | set(b["raw"]) if a["raw"].get(n) != b["raw"].get(n))
    return "raw output differs for fact(s) " + ", ".join(names[:8]) + (" …" if len(names) > 8 else "")


def _unite_files(inputs: list[_Input], run_dir: Path, sub: str) -> None:
    owners: dict[str, tuple[Path, str]] = {}
    for inp in inputs:
        base = inp.root / "data" / "run" / sub
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            rel = path.relative_to(base).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if rel in owners:
                if owners[rel][1] != digest:
                    raise MergeConflict(f"{sub}/{rel} differs between {owners[rel][0]} and {inp.source}")
                continue
            owners[rel] = (inp.source, digest)
            dest = run_dir / sub / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)

