"""Import a bundle on the evaluator's side: verify it, then re-evaluate its evidence offline.

The evaluator's own controls (`--controls`, default the shipped ones), profile and template apply; with
`bundle_controls` the bundle's frozen controls and resolved profile reproduce the operator's evaluation.
A bundle that is not intact is refused unless forced (`--force`); one that is not signed by a key of the
evaluator's allowed_signers is refused unless `--accept-unsigned`. Either exception says so in the results
document (`run.import`, a banner first in `run.warnings`, which every report shows), and a forced import also
in a VERIFICATION-FAILED.txt next to the reports.

Output directory (itself a run directory, so `assess report DIR` works on it):
  results.json              the re-evaluation
  evidence/, attachments/   copied from the bundle's run
  verification.json         what `assess bundle verify` found
  bundle/                   the extracted bag, untouched
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess.bundle import archive
from assess.bundle.verify import Verification, verify_bag
from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.catalog.load import Catalog
from assess.catalog.profile import Profile
from assess.errors import InputError
from assess.run import document as results
from assess.run import replay

CARRIED = ("evidence", "attachments")
FAILED_BANNER = ("证据包核验未通过，按 --force 强制导入：以下结果所依据的证据可能已被篡改 / BUNDLE VERIFICATION "
                 "FAILED, imported with --force: the evidence behind these results may have been altered")
UNAUTHENTICATED_BANNER = ("证据包未经认证（无允许的签名者签名），按 --accept-unsigned 导入：无法证明证据由谁采集 / "
                          "BUNDLE NOT AUTHENTICATED (not signed by an allowed signer), imported with "
                          "--accept-unsigned: who collected this evidence is not proven")


def refusal(check: Verification, force: bool, accept_unsigned: bool, verb: str, done: str) -> str | None:
    """Why a bundle may not be used (`verb` import or merge) without the flag that accepts it; None if it may."""
    if not check.intact and not force:
        shown = "; ".join(check.problems[:5]) + (f"; … {len(check.problems) - 5} more"
                                                 if len(check.problems) > 5 else "")
        return f"bundle does not verify, not {done} (use --force to {verb} it anyway): {shown}"
    if not check.authenticated and not accept_unsigned:
        return (f"bundle is not authenticated, not {done}: {check.unauthenticated} (pass --allowed-signers FILE "
                f"with the operator's key, or --accept-unsigned to use it marked authenticated: false)")
    return None


def banners(check: Verification) -> list[str]:
    """The run warnings an accepted but unverified bundle carries into every report."""
    out = [FAILED_BANNER, *check.problems] if not check.intact else []
    if not check.authenticated:
        out += [UNAUTHENTICATED_BANNER, f"{check.source}: {check.unauthenticated}"]
    return out


class VerificationFailed(InputError):
    """The bundle does not verify and the import was not forced (exit 1)."""

    exit_code = 1


@dataclass
class Imported:
    out_dir: Path
    document: dict[str, Any]
    verification: Verification
    reports: list[Path] = field(default_factory=list)


def choose_profile(bag_data: Path, cat: Catalog, name: str | None, run_profile: str) -> Profile:
    """`name` (shipped name or path); else the run's profile id if this catalog ships it; else the bundle's."""
    if name:
        return profile_mod.load(name, cat)
    if run_profile in profile_mod.available(cat):
        return profile_mod.load(run_profile, cat)
    return profile_mod.load(str(bag_data / "profile.yaml"), cat)


def import_bundle(path: Path, out_dir: Path, *, controls: Path | None = None, profile: str | None = None,
                  template: str | None = None, bundle_controls: bool = False, force: bool = False,
                  accept_unsigned: bool = False, allowed_signers: Path | None = None,
                  signer_id: str | None = None) -> Imported:
    """Verify, extract into `out_dir/bundle`, re-evaluate, and write `out_dir/results.json`."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(f"output directory {out_dir} exists and is not empty")
    if not path.exists():
        raise InputError("bundle not found", str(path))
    try:
        with archive.io_errors("cannot import"):
            out_dir.mkdir(parents=True, exist_ok=True)
            return _import(path, out_dir, controls, profile, template, bundle_controls, force, accept_unsigned,
                           allowed_signers, signer_id)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _import(path: Path, out_dir: Path, controls: Path | None, profile: str | None, template: str | None,
            bundle_controls: bool, force: bool, accept_unsigned: bool, allowed_signers: Path | None,
            signer_id: str | None) -> Imported:
    if path.is_dir():
        root = archive.bag_root(path)
        shutil.copytree(root, out_dir / "bundle", symlinks=True)
    else:
        with tempfile.TemporaryDirectory(prefix="assess-import-", dir=out_dir) as tmp:
            extracted = archive.bag_root(archive.extract(path, Path(tmp) / "x"))
            extracted.rename(out_dir / "bundle")
    bag = out_dir / "bundle"
    check = verify_bag(bag, allowed_signers, signer_id, source=str(path))
    results.write_json(out_dir / "verification.json", check.as_dict())
    refused = refusal(check, force, accept_unsigned, "import", "imported")
    if refused:
        raise VerificationFailed(refused, str(path))
    run_dir = bag / "data" / "run"
    original = results.load_results(run_dir)
    if bundle_controls:
        if controls:
            raise InputError("--controls and --bundle-controls exclude each other")
        cat = catalog_mod.load(bag / "data" / "controls")
    else:
        cat = catalog_mod.load(controls)
    if bundle_controls and not profile:
        prof = profile_mod.load(str(bag / "data" / "profile.yaml"), cat)  # exactly what the run used
    else:
        prof = choose_profile(bag / "data", cat, profile, original["run"]["profile"]["id"])
    if template:
        prof.conclusion["template"] = template
    for name in CARRIED:
        if (run_dir / name).is_dir():
            shutil.copytree(run_dir / name, out_dir / name)
    doc = replay.replay(run_dir, cat, prof, doc=original)
    doc["run"]["import"] = {"bundle": path.name, "verified": check.ok, "intact": check.intact,
                            "authenticated": check.authenticated, "unauthenticated": check.unauthenticated,
                            "forced": not check.intact, "problems": check.problems, "signer": check.as_dict()["signer"],
                            "manifest_sha256": check.manifest_sha256, "operator": check.metadata.get("operator"),
                            "controls": "bundle" if bundle_controls else str(controls or "shipped")}
    if not check.ok:
        doc["run"]["warnings"] = [*banners(check), *doc["run"].get("warnings", [])]
    if not check.intact:
        (out_dir / "VERIFICATION-FAILED.txt").write_text(
            FAILED_BANNER + "\n\n" + "\n".join(check.problems) + "\n", encoding="utf-8")
    results.write_json(out_dir / "results.json", doc)
    return Imported(out_dir, doc, check)


def report_formats(text: str) -> list[str]:
    """`all` or a comma-separated list, checked before anything is imported."""
    from assess import reports

    return list(reports.FORMATS) if text == "all" else reports.parse_formats(text)


def render_reports(done: Imported, formats: list[str], lang: str) -> list[Path]:
    """The report files of the re-evaluation, written into the output directory."""
    from assess import reports

    done.reports = reports.render(done.document, done.out_dir, formats, lang)
    return done.reports
