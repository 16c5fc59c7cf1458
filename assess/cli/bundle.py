"""`assess bundle`: create, verify, import and merge signed evidence bundles."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from assess.bundle import sshsig
from assess.errors import InputError

_PATH = click.Path(path_type=Path)
_EXISTING = click.Path(path_type=Path, exists=True)


def _passphrase() -> str | None:
    if not sys.stdin.isatty():
        return None
    return click.prompt("passphrase for the signing key", hide_input=True, default="", show_default=False,
                        err=True) or None


def signer_from(sign: Path | None, sign_agent: bool) -> sshsig.Signer | None:
    """--sign KEY (private key file, or KEY.pub with --sign-agent) / --sign-agent."""
    if sign_agent:
        return sshsig.agent_signer(sign)
    if sign is not None:
        if sign.suffix == ".pub":
            return sshsig.agent_signer(sign)
        return sshsig.load_key_file(sign, _passphrase)
    return None


def _signing_options(f):
    f = click.option("--sign", "sign", type=_PATH, metavar="KEY",
                     help="Sign with this SSH private key (ed25519, ECDSA or RSA); a KEY.pub signs with the "
                          f"matching ssh-agent key. Passphrase from ${sshsig.PASSPHRASE_ENV} or a prompt.")(f)
    f = click.option("--sign-agent", is_flag=True, help="Sign with the key held by ssh-agent.")(f)
    f = click.option("--operator", help="Who made the bundle (default user@host); also the signer identity "
                                        "suggested to the evaluator.")(f)
    f = click.option("--system", "system_name", help="Name of the assessed system (被测系统).")(f)
    f = click.option("--allow-secrets", is_flag=True,
                     help="Bundle even when the payload looks like it holds secrets (recorded in the bundle).")(f)
    return f


def _verify_options(f):
    f = click.option("--allowed-signers", type=_EXISTING, metavar="FILE",
                     help="OpenSSH allowed_signers file the signer's key must be in.")(f)
    f = click.option("--signer", "signer_id", metavar="ID", help="The identity (principal) that must have signed.")(f)
    f = click.option("--accept-unsigned", is_flag=True,
                     help="Accept a bundle that is not signed by a key of --allowed-signers (recorded as "
                          "authenticated: false, with a warning in every report).")(f)
    return f


@click.group()
def bundle() -> None:
    """Signed evidence bundles (BagIt + OpenSSH signature) for evaluators."""


@bundle.command("create")
@click.argument("run_dir", type=_PATH)
@click.option("-o", "--out", "out", type=_PATH, required=True, help="FILE.zip or FILE.tar.gz")
@_signing_options
@click.option("--previous", type=_EXISTING, metavar="BUNDLE", help="The previous bundle, to chain runs.")
@click.option("--controls", "controls_dir", type=click.Path(path_type=Path, file_okay=False),
              help="The controls directory the run used (default: the shipped one).")
def create_cmd(run_dir: Path, out: Path, sign: Path | None, sign_agent: bool, operator: str | None,
               system_name: str | None, allow_secrets: bool, previous: Path | None, controls_dir: Path | None) -> None:
    """Bundle the run in RUN_DIR as a BagIt bag, optionally signed."""
    from assess.bundle import create

    if out.exists():
        raise InputError("output file already exists", str(out))
    signer = signer_from(sign, sign_agent)
    made = create.create(run_dir, out, signer=signer, previous=previous, operator=operator, system=system_name,
                         controls=controls_dir, allow_secrets=allow_secrets)
    for hit in made.secrets_allowed:
        click.echo(f"assess: warning: secret bundled (--allow-secrets): {hit}", err=True)
    if made.binary_unscanned:
        click.echo(f"assess: note: {len(made.binary_unscanned)} binary file(s) not scanned for secrets: "
                   + ", ".join(made.binary_unscanned[:5]), err=True)
    click.echo(f"bundle: {made.path}")
    click.echo(f"payload-oxum: {made.payload_oxum}")
    click.echo(f"manifest sha256: {made.manifest_sha256}")
    click.echo(f"signed by: {made.signer}" if made.signer else "not signed (use --sign KEY or --sign-agent)")


@bundle.command("verify")
@click.argument("path", type=_PATH)
@_verify_options
@click.option("--previous", type=_EXISTING, metavar="BUNDLE",
              help="Also check that this bundle chains to BUNDLE (its manifest hash).")
def verify_cmd(path: Path, allowed_signers: Path | None, signer_id: str | None, accept_unsigned: bool,
               previous: Path | None) -> None:
    """Check every hash, the Payload-Oxum, the signature and the signer; exit 1 unless verified.

    Verified means intact and signed by a key of --allowed-signers; with --accept-unsigned an intact but
    unauthenticated bundle exits 0 (it is still reported as not authenticated).
    """
    from assess.bundle import verify

    result = verify.verify(path, allowed_signers, signer_id, previous)
    for line in result.lines():
        click.echo(line)
    if not (result.ok or (accept_unsigned and result.intact)):
        sys.exit(1)


@bundle.command("import")
@click.argument("path", type=_PATH)
@click.option("-o", "--out", "out_dir", type=_PATH, help="Output directory (default ./assess-import/<name>).")
@click.option("--controls", "controls_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Your (tailored) controls directory (default: the shipped one).")
@click.option("--bundle-controls", is_flag=True, help="Use the controls and profile frozen in the bundle.")
@click.option("--profile", "profile_name", help="Profile name or YAML path (default: the run's profile).")
@click.option("--template", type=click.Choice(["2025", "2021"]), help="Conclusion template.")
@click.option("--format", "formats", default="all", show_default=True,
              help="Report formats, comma-separated, or 'all'.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--force", is_flag=True, help="Import a bundle whose hashes or signature fail (the report says so).")
@_verify_options
def import_cmd(path: Path, out_dir: Path | None, controls_dir: Path | None, bundle_controls: bool,
               profile_name: str | None, template: str | None, formats: str, lang: str, force: bool,
               allowed_signers: Path | None, signer_id: str | None, accept_unsigned: bool) -> None:
    """Verify a bundle and re-evaluate its evidence offline under your catalog, profile and template."""
    from assess.bundle import importer
    from assess.judge import summary

    chosen = importer.report_formats(formats)
    name = path.name.removesuffix(".zip").removesuffix(".tar.gz").removesuffix(".tgz")
    out_dir = out_dir or Path("assess-import") / name
    done = importer.import_bundle(path, out_dir, controls=controls_dir, profile=profile_name, template=template,
                                  bundle_controls=bundle_controls, force=force, accept_unsigned=accept_unsigned,
                                  allowed_signers=allowed_signers, signer_id=signer_id)
    check = done.verification
    if not check.intact:
        click.echo(f"WARNING: {importer.FAILED_BANNER}", err=True)
        for problem in check.problems:
            click.echo(f"  FAIL {problem}", err=True)
    if not check.authenticated:
        click.echo(f"WARNING: {importer.UNAUTHENTICATED_BANNER}", err=True)
        click.echo(f"  {check.unauthenticated}", err=True)
    for warning in check.warnings:
        click.echo(f"assess: warning: {warning}", err=True)
    reports = importer.render_reports(done, chosen, lang)
    click.echo(summary.render_text(done.document))
    click.echo(f"results: {out_dir / 'results.json'}")
    for report in reports:
        click.echo(f"report: {report}")


@bundle.command("merge")
@click.argument("bundles", type=_PATH, nargs=-1, required=True)
@click.option("-o", "--out", "out", type=_PATH, required=True, help="FILE.zip or FILE.tar.gz")
@_signing_options
@click.option("--force", is_flag=True, help="Merge bundles whose hashes or signature fail (never signed then).")
@_verify_options
def merge_cmd(bundles: tuple[Path, ...], out: Path, sign: Path | None, sign_agent: bool, operator: str | None,
              system_name: str | None, allow_secrets: bool, force: bool, allowed_signers: Path | None,
              signer_id: str | None, accept_unsigned: bool) -> None:
    """Merge bundles from several collectors into one run and one bundle."""
    from assess.bundle import merge

    if out.exists():
        raise InputError("output file already exists", str(out))
    signer = signer_from(sign, sign_agent)
    made = merge.merge(list(bundles), out, signer=signer, operator=operator, system=system_name, force=force,
                       accept_unsigned=accept_unsigned, allowed_signers=allowed_signers, signer_id=signer_id,
                       allow_secrets=allow_secrets)
    click.echo(f"bundle: {made.path}")
    click.echo(f"manifest sha256: {made.manifest_sha256}")
    click.echo(f"signed by: {made.signer}" if made.signer else "not signed")
