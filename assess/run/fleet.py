"""Fleet collection without SSH: the Linux collector as one sh script for fleet tooling, and its outputs
ingested and evaluated centrally.

`emit` writes the batched collector (assess.probes.script) with the facts a Linux object needs under a
profile. The script draws a fresh random section token on every run and first prints a header with it:

    <token> ASSESS-OUTPUT 1
    <token> META tool|catalog|profile|facts|host|started VALUE
    ... one section per fact, the `collector` fact first (who ran it, the host name) ...
    <token> DONE
    <token> META finished VALUE

`ingest` takes the token from the header, which must be the output's first line (every line a fact prints
is prefixed on the host, so no output can pose as a header or a marker), cuts the sections with the same code as a live scan
(assess.run.collect.parse_sections) and turns each output file into one `linux` object named after its host.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import shlex
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import assess
from assess.catalog.load import Catalog
from assess.catalog.profile import Profile
from assess.errors import InputError
from assess.inputs.answers import store_attachments
from assess.inventory import load as inventory
from assess.model import Target
from assess.probes import script
from assess.probes.facts import Fact
from assess.run import document as results
from assess.run import plan
from assess.run.collect import ObjectEvidence, now, parse_sections
from assess.run.scan import Inputs, ScanOutcome, judge_run

FORMAT = "1"
MAX_OUTPUT = 64 * 1024 * 1024  # as a live scan keeps at most (assess.probes.transport.local)
RUN_HINT = 'sh collect.sh > "$(hostname).assess.out"'
_HEADER = re.compile(r"(@@ASSESS-[0-9a-f]{8,64}) ASSESS-OUTPUT (\S+)(\r?)\n")
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DATE = "$(date -u +%Y-%m-%dT%H:%M:%SZ)"


def linux_facts(catalog: Catalog, profile: Profile) -> list[Fact]:
    """The shell facts a Linux object needs under `profile`, the `collector` fact (who, which host) first."""
    facts = [f for f in plan.facts_needed(catalog, profile, Target(id="fleet", type="linux")) if f.command]
    return sorted(facts, key=lambda f: f.name != "collector")


def _meta(key: str, value: str) -> str:
    return f"printf '%s META %s %s\\n' \"$B\" {key} {value}"


def emit(catalog: Catalog, profile: Profile) -> tuple[str, list[Fact]]:
    """(the collector script, its facts) for fleet tooling; read-only, self-contained POSIX sh."""
    facts = linux_facts(catalog, profile)
    names = " ".join(f.name for f in facts)
    header = "\n".join([
        f"printf '%s ASSESS-OUTPUT %s\\n' \"$B\" {FORMAT}",
        _meta("tool", shlex.quote(assess.__version__)),
        _meta("catalog", shlex.quote(catalog.sha256)),
        _meta("profile", shlex.quote(profile.id)),
        _meta("facts", shlex.quote(names)),
        _meta("host", '"$(uname -n)"'),
        _meta("started", f'"{_DATE}"'),
    ])
    body, _token = script.build(facts, setup=header, fresh=True)
    shebang, rest = body.split("\n", 1)
    root = [f.name for f in facts if f.needs_root]
    comment = [
        f"# assess {assess.__version__} collector for fleet tooling (Ansible, Salt, cron): emitted by",
        "# `assess collector emit`. Read-only: it reads files and runs read-only commands, writes nothing on",
        "# the host and changes nothing; everything it finds goes to standard output.",
        "#",
        "# Run it on each Linux host as root (as another user, facts that need root are reported as",
        "# errors, 无法判定), keeping standard output:",
        f"#   {RUN_HINT}",
        "# then evaluate all outputs centrally:",
        "#   assess collector ingest *.assess.out",
        "#",
        f"# catalog: {catalog.id} sha256 {catalog.sha256}",
        f"# profile: {profile.id}",
        f"# facts ({len(facts)}, {len(root)} need root):",
        *textwrap.wrap(names, 104, initial_indent="#   ", subsequent_indent="#   "),
    ]
    finished = _meta("finished", f'"{_DATE}"')
    return "\n".join([shebang, *comment, rest.rstrip("\n"), finished]) + "\n", facts


@dataclass
class Output:
    """One collector output file, read and cut into its header and sections."""

    path: Path
    sha256: str
    token: str
    meta: dict[str, str]
    collected: script.Collected
    done: bool
    last: str | None  # the last complete section


def read_output(path: Path, expected: list[str]) -> Output:
    """Read a collector output file; anything that is not one is an InputError naming the file."""
    try:
        if path.is_dir():
            raise InputError("is a directory, expected a collector output file", str(path))
        if path.stat().st_size > MAX_OUTPUT:
            raise InputError(f"larger than {MAX_OUTPUT // 2**20} MiB: not a collector output", str(path))
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    if not data.strip():
        raise InputError("empty file (did the collector run? capture its standard output: "
                         f"{RUN_HINT})", str(path))
    text = data.decode("utf-8", "replace")
    head = _HEADER.match(text)
    if head is None:
        raise InputError("not an assess collector output (its first line is not the ASSESS-OUTPUT header; "
                         "emit the script with `assess collector emit`)", str(path))
    token, version, cr = head.groups()
    if version != FORMAT:
        raise InputError(f"collector output format {version!r}; this assess reads format {FORMAT}", str(path))
    if cr:  # the whole output went through a CRLF conversion on its way here
        text = text.replace("\r\n", "\n")
    meta: dict[str, str] = {}
    inside = False
    last = None
    for line in text.split("\n"):
        if not line.startswith(token + " "):
            continue
        word, _, rest = line[len(token) + 1:].partition(" ")
        if word == "BEGIN":
            inside = True
        elif word == "END":
            inside, last = False, rest.split(" ", 1)[0]
        elif word == "META" and not inside:
            key, _, value = rest.partition(" ")
            meta.setdefault(key, value)
    done = re.search(f"^{re.escape(token)} DONE$", text, re.M) is not None
    collected = script.split(text, token, expected)
    return Output(path, hashlib.sha256(data).hexdigest(), token, meta, collected, done, last)


@dataclass
class Ingested:
    """One output file as an object of the run."""

    target: Target
    evidence: ObjectEvidence
    warnings: list[str] = field(default_factory=list)


def _stamp(value: str | None, path: Path) -> str:
    if value and _STAMP.match(value):
        return value
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(path.stat().st_mtime))


def _seconds(started: str, finished: str) -> float:
    def parse(stamp: str) -> int:
        return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))

    return float(max(0, parse(finished) - parse(started)))


def object_of(out: Output, facts: list[Fact], catalog: Catalog, profile: Profile, tags: list[str]) -> Ingested:
    """The `linux` object and evidence of one output, with the warnings it raises."""
    emitted = set(out.meta.get("facts", "").split())
    where = f"after section '{out.last}'" if out.last else "before its first section"
    stopped = (f"the collector output {out.path.name} ends {where} (script killed or output cut off); "
               "run the collector again on this host")
    parsed, raw = parse_sections(facts, out.collected, stopped)
    for name in out.collected.missing:
        if out.done or name not in emitted:
            parsed[name].reason = (f"not collected: the collector that wrote {out.path.name} was emitted without "
                                   f"this fact (profile {out.meta.get('profile', '?')}); emit it again with this "
                                   "profile and controls")
    who = parsed["collector"].value if parsed.get("collector") and parsed["collector"].status == "ok" else {}
    host = (who.get("hostname") or out.meta.get("host") or "").strip()
    if not host:
        raise InputError("the output names no host (neither `hostname` nor `uname -n` printed a name)",
                         str(out.path))
    object_id = results.safe_name(_UNSAFE.sub("-", host).strip("-._") or "host")
    started = _stamp(out.meta.get("started"), out.path)
    finished = _stamp(out.meta.get("finished"), out.path)
    info = {"transport": "ingest", "file": str(out.path.resolve()), "sha256": out.sha256, "hostname": host,
            "uid": who.get("uid"), "user": who.get("user"), "complete": out.done,
            "emitted": {k: out.meta.get(k) for k in ("tool", "catalog", "profile")}}
    ev = ObjectEvidence(object_id, started, finished, parsed, raw, info, seconds=_seconds(started, finished))
    if out.collected.missing and len(out.collected.missing) == len(facts):
        ev.error = stopped
    warnings = []
    if out.meta.get("catalog") != catalog.sha256:
        warnings.append(f"{out.path} ({object_id}): the collector was emitted for another catalog (sha256 "
                        f"{out.meta.get('catalog', 'unknown')}, profile {out.meta.get('profile', '?')}); evaluated "
                        f"against this one (sha256 {catalog.sha256}): facts it did not gather are errors")
    elif out.meta.get("profile") != profile.id:
        warnings.append(f"{out.path} ({object_id}): the collector was emitted for profile "
                        f"{out.meta.get('profile', '?')}, evaluated with {profile.id}")
    target = Target(id=object_id, type="linux", name=host, address=host, tags=list(tags))
    return Ingested(target, ev, warnings)


def load(paths: list[Path], catalog: Catalog, profile: Profile, tags: list[str]) -> list[Ingested]:
    """Every output as an object; two outputs of one host, or a host named like an interview object, refused."""
    facts = linux_facts(catalog, profile)
    names = [f.name for f in facts]
    reserved = {o.id for o in inventory.interview_objects()} | {"system"}
    seen: dict[str, Path] = {}
    out: list[Ingested] = []
    for path in paths:
        got = object_of(read_output(path, names), facts, catalog, profile, tags)
        oid = got.target.id
        if oid in reserved:
            raise InputError(f"host name '{oid}' is taken by an object every run has "
                             f"({', '.join(sorted(reserved))}); this host cannot be ingested under it", str(path))
        if oid in seen:
            raise InputError(f"host '{oid}' appears in two outputs: {seen[oid]} and {path} (give each host's "
                             "output once)")
        seen[oid] = path
        out.append(got)
    return out


def ingest(paths: list[Path], catalog: Catalog, profile: Profile, out_dir: Path,
           tags: list[str] | None = None, inputs_for: Callable[[list[Target]], Inputs] | None = None
           ) -> ScanOutcome:
    """A run from collector outputs: evidence per host, evaluated and written as `assess scan` writes it.
    `inputs_for` gives the interview answers and waivers once the objects are known."""
    if not paths:
        raise InputError("no collector output given")
    t0 = time.monotonic()
    started = now()
    objects = load(paths, catalog, profile, list(tags or []))
    targets = [got.target for got in objects] + inventory.interview_objects()
    inputs = inputs_for(targets) if inputs_for else Inputs()
    run_id = results.new_run_id()
    run_dir = results.create_run_dir(out_dir, run_id)
    evidence: dict[str, ObjectEvidence] = {}
    for got in objects:
        evidence[got.target.id] = got.evidence
        results.write_json(run_dir / "evidence" / f"{got.target.id}.json", got.evidence.as_dict())
    if inputs.answers:
        store_attachments(inputs.answers, run_dir)
    doc = judge_run(catalog, profile, targets, run_id, started, evidence, inputs)
    doc["run"]["warnings"] = doc["run"].get("warnings", []) + [w for got in objects for w in got.warnings]
    doc["run"]["ingest"] = {"files": len(objects)}
    doc["run"]["seconds"] = round(time.monotonic() - t0, 3)
    results.write_json(run_dir / "results.json", doc)
    errors = {oid: ev.error for oid, ev in evidence.items() if ev.error}
    return ScanOutcome(run_dir, doc, errors)
