"""Interview and document answers (访谈/文档核查): load and validate them, then apply them to item results.

An answers file is the questionnaire (assess.inputs.questionnaire) filled in, as YAML or as the xlsx form. Each
answered entry names an item and an object and gives `answer` (pass / partial / fail / na, or 符合 /
部分符合 / 不符合 / 不适用), `explanation`, `attachments`, `respondent`, `answered_at` and optionally
`valid_until` (default: answered_at + 365 days; the answer counts through that day).

Applying answers is a pure step after evaluation (`apply(results, catalog, answers, today)`):

* a result judged by interview alone (manual, including the `system` pseudo-object and items with a
  convention that an answer overrides) takes the answer's verdict, with source `interview`;
* a `partial`-automation item whose checks ran is combined: the answer decides only what the checks left
  open. Failing checks cap the verdict, because an interview cannot turn a failed check into a pass:
  checks all passed or not applicable → the answer; checks partial → at most partial; checks failed →
  fail; a check error stays error (the automated part is unknown, so no answer can complete it);
* an answer past valid_until no longer applies: the result stays as evaluated (待核查 for interview items)
  and the run warns;
* the results document gets `questionnaire: {answered, total, expired, pending, by_class}`.

Attachments are hashed when the file is loaded; their sha256 are the answer's evidence ids, and the scan
copies them into `<run_dir>/attachments/<sha256[:16]>/<name>` so bundles carry them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from assess.catalog.load import Catalog
from assess.catalog.schema import Field, Problems, check_mapping
from assess.errors import InputError, LintErrors
from assess.inputs import questionnaire
from assess.inputs.questionnaire import ANSWER_VALUES, DEFAULT_VALIDITY_DAYS, Pair
from assess.model import VERDICT_ZH, ItemResult
from assess.yamlio import Node, NodeList, load_file

_DATE_TYPES = (date, str, int, float, bool)
_ROW_SPEC: dict[str, Field] = {
    "item": Field(str), "object": Field(str, required=False), "objects": Field((str, list, dict), required=False),
    **{k: Field((str, list), required=False) for k in questionnaire.INFO_KEYS},
    "answer": Field(str, required=False), "explanation": Field(str, required=False),
    "attachments": Field(list, required=False), "respondent": Field(str, required=False),
    "answered_at": Field(_DATE_TYPES, required=False), "valid_until": Field(_DATE_TYPES, required=False),
}
_FILE_SPEC = {"questionnaire": Field(dict, required=False), "answers": Field(list)}
_RANK = {"fail": 0, "partial": 1, "pass": 2}


@dataclass(frozen=True)
class Attachment:
    """A file given as proof; its sha256 is the evidence id."""

    source: Path
    name: str
    sha256: str
    size: int

    @property
    def stored(self) -> str:
        """Where the scan keeps its copy, relative to the run directory."""
        return f"attachments/{self.sha256[:16]}/{self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size, "path": self.stored}


@dataclass(frozen=True)
class Answer:
    item: str
    object: str
    verdict: str
    explanation: str
    respondent: str
    answered_at: date
    valid_until: date
    attachments: tuple[Attachment, ...]
    where: str  # file:line

    def expired(self, today: date) -> bool:
        """An answer counts through its valid_until day."""
        return today > self.valid_until

    def as_dict(self, status: str) -> dict[str, Any]:
        return {"verdict": self.verdict, "verdict_zh": VERDICT_ZH[self.verdict], "status": status,
                "explanation": self.explanation, "respondent": self.respondent,
                "answered_at": self.answered_at.isoformat(), "valid_until": self.valid_until.isoformat(),
                "attachments": [a.as_dict() for a in self.attachments],
                "evidence": [a.sha256 for a in self.attachments], "from": self.where}


@dataclass
class AnswerSet:
    """The validated answers of one file, keyed by (item id, object id)."""

    file: str
    sha256: str
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    entries: int = 0
    warnings: list[str] = field(default_factory=list)

    def attachments(self) -> list[Attachment]:
        unique: dict[str, Attachment] = {}
        for a in self.answers.values():
            for att in a.attachments:
                unique.setdefault(att.stored, att)
        return list(unique.values())


def parse_date(value: Any) -> date | None:
    """A date from YAML (date, datetime or 'YYYY-MM-DD') or from an xlsx cell; None when it is not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            y, m, d = (int(x) for x in text.split("-"))
            try:
                return date(y, m, d)
            except ValueError:
                return None
        if re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}", text):
            return parse_date(text.replace("/", "-"))
    return None


class _NotRegular(OSError):
    """An attachment that is a directory, FIFO, device or socket."""


def _open_regular(path: Path) -> int:
    """A read descriptor on the regular file `path`: the last component is not followed if it is (now) a
    symlink, and a FIFO does not block the open."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _NotRegular(f"not a regular file: {path}")
    return fd


def _sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def _hash_regular(path: Path, copy_to: Path | None = None) -> tuple[str, int]:
    """sha256 and size of a regular file (and the very bytes hashed copied to `copy_to`, a new file)."""
    h = hashlib.sha256()
    size = 0
    with open(_open_regular(path), "rb") as fh, \
            (open(copy_to, "xb") if copy_to else contextlib.nullcontext()) as out:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            size += len(block)
            if out:
                out.write(block)
    return h.hexdigest(), size


# --- reading the two formats -------------------------------------------------------------------------

def read_entries(path: Path) -> tuple[list[Any], dict[str, Any]]:
    """The entries (Nodes with line numbers) and the header of a YAML or xlsx answers file."""
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    data = load_file(path)
    problems = Problems()
    if not check_mapping(data, _FILE_SPEC, "answers file", problems, str(path)) or problems:
        raise LintErrors(list(problems))
    meta = data.get("questionnaire") or {}
    if meta.get("format", questionnaire.FORMAT) != questionnaire.FORMAT:
        raise InputError(f"unsupported questionnaire format {meta.get('format')!r} (this assess reads "
                         f"{questionnaire.FORMAT})", str(path), data["questionnaire"].line_of("format"))
    entries = data["answers"]
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            line = entries.item_lines[i] if isinstance(entries, NodeList) else None
            raise InputError("each entry of 'answers' must be a mapping (item, object, answer, ...)", str(path),
                             line)
    return list(entries), meta


def _column_key(header: Any) -> str | None:
    """`结论\\nanswer` → `answer`; a header that is just the key works too."""
    if header is None:
        return None
    tokens = str(header).split()
    if not tokens:
        return None
    key = tokens[-1].strip().lower()
    return key if key in _ROW_SPEC else None


def _cell(key: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if key in ("answered_at", "valid_until"):
        return value
    if key == "attachments":
        return [p.strip() for p in re.split(r"[\n;；]", str(value)) if p.strip()]
    if key == "objects":
        ids = [p.strip() for p in re.split(r"[\n,，、;；]", str(value)) if p.strip()]
        return ids[0] if ids == ["all"] else ids
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_xlsx(path: Path) -> tuple[list[Any], dict[str, Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise InputError("no such file", str(path))
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise InputError(f"not a readable xlsx workbook: {exc}", str(path)) from None
    try:
        ws = wb[questionnaire.SHEET] if questionnaire.SHEET in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        head = next(rows, None) or ()
        columns = {i: k for i, k in enumerate(_column_key(h) for h in head) if k}
        for needed in ("item", "answer"):
            if needed not in columns.values():
                raise InputError(f"sheet '{ws.title}' has no '{needed}' column in its first row", str(path), 1)
        entries = []
        for number, values in enumerate(rows, start=2):
            node = Node()
            node.line, node.key_lines, node.file = number, {}, str(path)
            for i, key in columns.items():
                value = _cell(key, values[i] if i < len(values) else None)
                if value is not None:
                    node[key] = value
                    node.key_lines[key] = number
            if node:
                entries.append(node)
        meta: dict[str, Any] = {}
        if questionnaire.META_SHEET in wb.sheetnames:
            for values in wb[questionnaire.META_SHEET].iter_rows(values_only=True):
                if len(values) >= 2 and values[0]:
                    meta[str(values[0])] = values[1]
    finally:
        wb.close()
    if meta.get("format", questionnaire.FORMAT) != questionnaire.FORMAT:
        raise InputError(f"unsupported questionnaire format {meta.get('format')!r} (this assess reads "
                         f"{questionnaire.FORMAT})", str(path))
    return entries, meta


# --- validation --------------------------------------------------------------------------------------

def in_line_order(problems: Problems, file: str) -> list[str]:
    """Problems of one file sorted by line (several fields of one entry are checked in field order)."""
    def line(p: str) -> int:
        head = p[len(file) + 1:].split(":", 1)[0] if p.startswith(file + ":") else ""
        return int(head) if head.isdigit() else 0
    return sorted(problems, key=line)


def _present(node: Node) -> Node:
    """The entry without empty values (an empty cell or `key:` means "not filled in")."""
    out = Node()
    out.line, out.file = node.line, node.file
    out.key_lines = dict(node.key_lines)
    for k, v in node.items():
        if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, list) and not v):
            continue
        out[k] = v
    return out


def load(path: Path, catalog: Catalog, pairs: dict[tuple[str, str], Pair], today: date) -> AnswerSet:
    """Read and validate an answers file against the scan's items and objects; raise LintErrors.

    A group entry (`objects`) is validated for each object it names or selects; an entry for one object
    (`object`) overrides a group's answer for that object.
    """
    path = Path(path)
    entries, _meta = read_entries(path)
    f = str(path)
    problems = Problems()
    objects = {oid: p.target for (_i, oid), p in pairs.items()}
    result = AnswerSet(file=f, sha256=_sha256(path)[0], entries=len(entries))
    layers: dict[bool, dict[tuple[str, str], Answer]] = {True: {}, False: {}}  # single?, answers
    seen: dict[tuple[bool, str, str], int] = {}
    hashed: dict[Path, Attachment] = {}
    for raw in entries:
        node = _present(raw)
        before = len(problems)
        if not check_mapping(node, _ROW_SPEC, "answer entry", problems, f) or len(problems) > before:
            continue
        item_id = node["item"].strip()
        if item_id not in catalog.items:
            problems.at(node, "item", f"unknown item '{item_id}'", f)
            continue
        if ("object" in node) == ("objects" in node):
            problems.at(node, None, "an entry names its objects with 'object' (one id) or 'objects' (ids, 'all' or "
                        "{type: ..., tags: [...]}), not both" if "object" in node else
                        "an entry needs 'object' or 'objects'", f)
            continue
        if "answer" not in node:
            continue
        single = "object" in node
        chosen = [node["object"].strip()] if single else _select(node, item_id, pairs, objects, problems, f)
        valid = []
        for object_id in chosen:
            key = "object" if single else "objects"
            if object_id not in objects:
                known = ", ".join(sorted(objects))
                problems.at(node, key, f"unknown object '{object_id}' (objects in this scan: {known})", f)
                continue
            pair = pairs.get((item_id, object_id))
            if pair is None:
                problems.at(node, key, _not_applicable(catalog, pairs, item_id, object_id), f)
                continue
            if pair.kind == "automated":
                problems.at(node, "item", f"{item_id} on '{object_id}' is fully automated (checks: "
                            f"{', '.join(pair.checks)}): its verdict comes from the checks, not from an answer", f)
                continue
            if (single, item_id, object_id) in seen:
                problems.at(node, "item", f"duplicate answer for {item_id} on '{object_id}' (first at line "
                            f"{seen[(single, item_id, object_id)]})", f)
                continue
            seen[(single, item_id, object_id)] = node.line
            if pair.kind == "tailored":
                result.warnings.append(f"{f}:{node.line}: {item_id} is tailored out by the profile (不适用); "
                                       "the answer is not used")
                continue
            valid.append(object_id)
        if not valid:
            continue
        answer = _answer(node, item_id, valid[0], path.parent, today, hashed, problems, f)
        if answer is not None:
            for object_id in valid:
                layers[single][(item_id, object_id)] = replace(answer, object=object_id)
    if problems:
        raise LintErrors(in_line_order(problems, f))
    result.answers = {**layers[False], **layers[True]}
    return result


_SELECTOR_KEYS = {"type", "tags"}


def _select(node: Node, item_id: str, pairs: dict[tuple[str, str], Pair], objects: dict[str, Any],
            problems: Problems, f: str) -> list[str]:
    """The object ids a group entry's `objects` names: a list of ids as given; `all` and a selector
    `{type, tags}` pick the matching objects on which the item needs an answer."""
    spec = node["objects"]
    if isinstance(spec, list):
        if not all(isinstance(x, str) and x.strip() for x in spec):
            problems.at(node, "objects", "'objects' lists object ids (strings)", f)
            return []
        return list(dict.fromkeys(x.strip() for x in spec))
    if isinstance(spec, str):
        if spec.strip() != "all":
            problems.at(node, "objects", f"'objects' is a list of ids, 'all' or {{type: ..., tags: [...]}}, "
                        f"not {spec!r}", f)
            return []
        types: set[str] | None = None
        tags: set[str] = set()
    else:
        unknown = set(spec) - _SELECTOR_KEYS
        if unknown or not spec:
            problems.at(node, "objects", f"a selector takes type and tags (got {', '.join(sorted(unknown)) or 'none'})",
                        f)
            return []
        raw_types, raw_tags = spec.get("type"), spec.get("tags") or []
        types = None if raw_types is None else set([raw_types] if isinstance(raw_types, str) else raw_types)
        tags = set([raw_tags] if isinstance(raw_tags, str) else raw_tags)
    picked = [oid for oid, t in objects.items()
              if (types is None or t.type in types) and tags <= set(t.tags)
              and (pair := pairs.get((item_id, oid))) is not None and pair.kind in questionnaire.ASKED]
    if not picked:
        problems.at(node, "objects", f"'objects' selects no object on which {item_id} needs an answer", f)
    return picked


def _not_applicable(catalog: Catalog, pairs: dict[tuple[str, str], Pair], item_id: str, object_id: str) -> str:
    item = catalog.items[item_id]
    on = sorted(oid for (i, oid) in pairs if i == item_id)
    if object_id == "system":
        return (f"{item_id} is not answered on 'system': the inventory has objects of its types "
                f"({', '.join(item.objects)}); answer it on {', '.join(on)}")
    where = f"; answer it on {', '.join(on)}" if on else ""
    return f"{item_id} does not apply to object '{object_id}' (it covers {', '.join(item.objects)}){where}"


def _answer(node: Node, item_id: str, object_id: str, base: Path, today: date, hashed: dict[Path, Attachment],
            problems: Problems, f: str) -> Answer | None:
    before = len(problems)
    value = node["answer"].strip()
    verdict = ANSWER_VALUES.get(value.lower(), ANSWER_VALUES.get(value))
    if verdict is None:
        problems.at(node, "answer", f"unknown answer '{value}' (expected pass, partial, fail or na; or 符合, "
                    "部分符合, 不符合, 不适用)", f)
    for key, why in (("explanation", "what was seen and where; it becomes the 结果记录"),
                     ("respondent", "who gave the answer")):
        if key not in node:
            problems.at(node, None, f"an answer needs '{key}' ({why})", f)
    answered_at = valid_until = None
    if "answered_at" not in node:
        problems.at(node, None, "an answer needs 'answered_at' (YYYY-MM-DD)", f)
    else:
        answered_at = parse_date(node["answered_at"])
        if answered_at is None:
            problems.at(node, "answered_at", f"'answered_at' is not a date: {node['answered_at']!r} "
                        "(expected YYYY-MM-DD)", f)
        elif answered_at > today:
            problems.at(node, "answered_at", f"'answered_at' {answered_at} is in the future (today is {today})", f)
    if "valid_until" in node:
        valid_until = parse_date(node["valid_until"])
        if valid_until is None:
            problems.at(node, "valid_until", f"'valid_until' is not a date: {node['valid_until']!r} "
                        "(expected YYYY-MM-DD)", f)
        elif answered_at is not None and valid_until < answered_at:
            problems.at(node, "valid_until", f"'valid_until' {valid_until} is before 'answered_at' {answered_at}", f)
    elif answered_at is not None:
        valid_until = answered_at + timedelta(days=DEFAULT_VALIDITY_DAYS)
    attachments = []
    for i, ref in enumerate(node.get("attachments") or []):
        line = node.get("attachments").item_lines[i] if isinstance(node.get("attachments"), NodeList) else \
            node.line_of("attachments")
        if not isinstance(ref, str) or not ref.strip():
            problems.add(f, line, "each attachment must be a file path")
            continue
        att = _attachment(base, ref.strip(), hashed)
        if isinstance(att, str):
            problems.add(f, line, att)
        else:
            attachments.append(att)
    if len(problems) > before or verdict is None or answered_at is None or valid_until is None:
        return None
    return Answer(item_id, object_id, verdict, node["explanation"].strip(), node["respondent"].strip(),
                  answered_at, valid_until, tuple(attachments), f"{f}:{node.line}")


_DEVICE_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))


def _attachment(base: Path, ref: str, hashed: dict[Path, Attachment]) -> Attachment | str:
    """The hashed attachment, or what is wrong with it.

    Answers files are filled in by other people: an attachment must resolve (symlinks followed) to a regular
    file below the answers file's directory, and never to anything under /proc, /sys or /dev.
    """
    root = base.resolve()
    shown = f"'{ref}'"
    try:
        resolved = (base / ref).resolve(strict=True)
    except FileNotFoundError:
        return f"attachment not found: {shown} (looked in {root})"
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        return f"cannot read attachment {shown}: {getattr(exc, 'strerror', None) or exc}"
    if any(resolved == d or d in resolved.parents for d in _DEVICE_TREES):
        return f"attachment {shown} is under /proc, /sys or /dev: not a document"
    if root not in resolved.parents:
        return (f"attachment {shown} resolves to {resolved}, outside the answers file's directory {root}: "
                "copy the document next to the answers file")
    if resolved not in hashed:
        try:
            digest, size = _hash_regular(resolved)
        except _NotRegular:
            return f"attachment {shown} is not a regular file"
        except OSError as exc:
            return f"cannot read attachment {shown}: {exc.strerror or exc}"
        hashed[resolved] = Attachment(resolved, resolved.name, digest, size)
    return hashed[resolved]


# --- applying ----------------------------------------------------------------------------------------

def needs_answer(result: ItemResult, catalog: Catalog) -> bool:
    """Whether a result belongs to the questionnaire (before answers are applied): interview items, and
    checked items the checks cannot decide alone (a `partial` item, a check that decides only part of it or
    proves only presence, or a check not run, e.g. a state-changing web test without --active)."""
    if result.source in ("interview", "uncovered"):
        return True
    if result.source not in ("checks", "collection"):
        return False
    if catalog.items[result.item].automation == "partial":
        return True
    return any(c.status == "manual" or (c.check in catalog.checks and (catalog.checks[c.check].partial or
                                                                     catalog.checks[c.check].absent_is_unproven))
               for c in result.checks)


def combine(evaluated: ItemResult, answer: Answer) -> ItemResult:
    """One result with its (unexpired) answer applied; see the module docstring for the rule."""
    said = f"interview: {answer.verdict} ({answer.respondent}, {answer.answered_at}): {answer.explanation}"
    record = answer.as_dict("applied")
    checked = evaluated.source in ("checks", "collection")
    if not checked:
        return replace(evaluated, verdict=answer.verdict, reason=said, source="interview", answer=record)
    v = evaluated.verdict
    if v == "error":
        return replace(evaluated, reason=f"{evaluated.reason}; {said}; the automated part could not be "
                       "decided, so the verdict stays 无法判定", answer=record)
    if v in ("manual", "na"):
        verdict, rule = answer.verdict, "checks conform or do not apply; the answer decides"
    elif answer.verdict == "na":
        verdict, rule = v, "the checks show the item applies; the answer 'na' is not used"
    else:
        verdict = min(v, answer.verdict, key=_RANK.__getitem__)
        rule = f"failing checks cap the verdict at {VERDICT_ZH[v]} ({v})"
    return replace(evaluated, verdict=verdict, reason=f"{evaluated.reason}; {said}; {rule}", source="interview",
                   answer=record)


def apply(results: list[ItemResult], catalog: Catalog, answers: AnswerSet | None, today: date
          ) -> tuple[list[ItemResult], dict[str, Any], list[str]]:
    """Results with answers applied, the questionnaire coverage, and warnings (expired answers)."""
    out: list[ItemResult] = []
    warnings: list[str] = []
    total = answered = expired = 0
    by_class: dict[str, dict[str, int]] = defaultdict(lambda: {"answered": 0, "total": 0})
    given = answers.answers if answers else {}
    for r in results:
        item = catalog.items[r.item]
        needed = needs_answer(r, catalog)
        if needed:
            total += 1
            by_class[item.class_code]["total"] += 1
        answer = given.get((r.item, r.object))
        if answer is None:
            out.append(r)
            continue
        if r.source == "profile" or (r.source in ("checks", "collection") and not needed):
            warnings.append(f"{answer.where}: the answer for {r.item} on '{r.object}' is not used: "
                            + ("the profile tailors the item out" if r.source == "profile" else
                               "the checks alone decide it"))
            out.append(r)
            continue
        if answer.expired(today):
            expired += int(needed)
            warnings.append(f"{answer.where}: the answer for {r.item} on '{r.object}' expired on "
                            f"{answer.valid_until} (valid_until); it no longer counts, re-confirm it")
            out.append(replace(r, reason=f"{r.reason}; the answer by {answer.respondent} of {answer.answered_at} "
                               f"expired on {answer.valid_until}", answer=answer.as_dict("expired")))
            continue
        if needed:
            answered += 1
            by_class[item.class_code]["answered"] += 1
        out.append(combine(r, answer))
    coverage: dict[str, Any] = {"answered": answered, "total": total, "expired": expired,
                                "pending": total - answered, "by_class": dict(by_class)}
    if answers is not None:
        coverage.update(file=answers.file, sha256=answers.sha256, entries=answers.entries)
        warnings = answers.warnings + warnings
    return out, coverage, warnings


def store_attachments(answers: AnswerSet, run_dir: Path) -> None:
    """Copy every attachment into the run directory, checking it did not change since it was hashed."""
    for att in answers.attachments():
        dest = run_dir / att.stored
        if dest.exists():
            continue  # the same document attached twice
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            digest, _size = _hash_regular(att.source, copy_to=dest)
        except OSError as exc:
            raise InputError(f"cannot copy attachment into the run: {exc.strerror or exc}", str(att.source)) \
                from None
        if digest != att.sha256:
            dest.unlink(missing_ok=True)
            raise InputError("attachment changed while the scan was starting; run it again", str(att.source))
