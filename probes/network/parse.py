"""From a device's files to a `Config`: decode each file, find the configuration and the status outputs in
it, check that the text is in the declared vendor's dialect, interpret it, and count per file how many
statements were understood (the coverage figure)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from assess.probes.network import asa, comware, ios, redact, text, tree, vrp
from assess.probes.network.dialect import Dialect
from assess.probes.network.dialect import scores as dialect_scores
from assess.probes.network.model import Config, Setting

#: Vendor names accepted in the inventory, with their dialect module.
DIALECTS = {"huawei": vrp, "h3c": comware, "cisco": ios, "cisco-asa": asa}
VENDORS = tuple(DIALECTS)
#: How far another dialect must outscore the declared one before the file is refused as the wrong dialect.
WRONG_DIALECT_MARGIN = 3
MAX_UNRECOGNISED = 20


class DeviceInputError(Exception):
    """The device's files cannot be judged: one message, and the object's results are 无法判定."""


@dataclass
class FileReport:
    path: str
    sha256: str
    encoding: str
    session: bool
    lines: int
    statements: int = 0
    understood: int = 0
    relevant: int = 0
    outputs: list[str] = field(default_factory=list)
    ignored_outputs: list[str] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        coverage = round(100 * self.understood / self.statements, 1) if self.statements else None
        return {"file": self.path, "sha256": self.sha256, "encoding": self.encoding, "session_log": self.session,
                "lines": self.lines, "statements": self.statements, "understood": self.understood,
                "read_for_facts": self.relevant, "coverage_percent": coverage, "outputs": self.outputs,
                "ignored_outputs": self.ignored_outputs, "unrecognised": self.unrecognised}


@dataclass
class Parsed:
    config: Config
    files: list[FileReport]
    raw: dict[str, str]  # file → redacted text
    has_config: bool


def parse_files(vendor: str, files: list[tuple[str, bytes]]) -> Parsed:
    """Parse every file of one device; DeviceInputError for an unknown vendor, an unreadable or foreign file."""
    if vendor not in DIALECTS:
        raise DeviceInputError(f"unknown vendor '{vendor}' (known: {', '.join(VENDORS)})")
    module = DIALECTS[vendor]
    dialect: Dialect = module.DIALECT
    cfg = Config(vendor)
    reports: list[FileReport] = []
    raw: dict[str, str] = {}
    has_config = False
    for path, data in files:
        try:
            doc = text.read(path, data)
        except text.Unreadable as exc:
            raise DeviceInputError(f"{path}: cannot read it as a device configuration or session log: {exc}") \
                from None
        report = FileReport(path, hashlib.sha256(data).hexdigest(), doc.encoding, doc.session, doc.total_lines)
        raw[path] = redact.text("\n".join(doc.cleaned))
        for out in doc.outputs:
            if doc.session and not out.typed and not any(x.strip() for _n, x in out.lines):
                continue  # a bare prompt
            label = out.command or "(configuration)"
            is_config = not doc.session or (out.command in {" ".join(c) for c in text.CONFIG_COMMANDS}
                                            and not out.filtered)
            if is_config:
                _check_dialect(path, out.lines, dialect)
                t = tree.parse(path, out.lines, dialect.comment)
                before = set(cfg.understood)
                module.interpret(t, cfg)
                has_config = has_config or t.statements > 0
                report.statements += t.statements
                mine = {w for w in cfg.understood - before if w.startswith(path + ":")}
                report.understood += len(mine)
                report.relevant += len({w for w in cfg.relevant if w.startswith(path + ":")} & mine)
                report.unrecognised += [redact.line(f"{n.where} {n.text}") for n in t.walk()
                                        if n.where not in cfg.understood][:MAX_UNRECOGNISED - len(report.unrecognised)]
                report.outputs.append(label)
            elif _status(out, cfg, report):
                report.outputs.append(label)
            else:
                report.ignored_outputs.append(label)
        reports.append(report)
    return Parsed(cfg, reports, raw, has_config)


def _check_dialect(path: str, lines: list[tuple[int, str]], declared: Dialect) -> None:
    scores = dialect_scores([m.DIALECT for m in DIALECTS.values()], [x for _n, x in lines])
    best = max(scores, key=lambda k: scores[k])
    if best != declared.vendor and scores[best] - scores[declared.vendor] >= WRONG_DIALECT_MARGIN:
        raise DeviceInputError(
            f"{path}: this configuration is in the {DIALECTS[best].DIALECT.label} dialect, not "
            f"{declared.label} as the inventory's vendor '{declared.vendor}' says; fix `vendor:` or the file")


_STATUS = [
    (re.compile(r"^\s*telnet server(?: status)?\s*:\s*(enable|disable)", re.I), "telnet"),
    (re.compile(r"^\s*stelnet server\s*:\s*(enable|disable)", re.I), "ssh"),
    (re.compile(r"^\s*ssh version\s*:\s*([\d.]+)", re.I), "ssh_version"),
    (re.compile(r"^\s*ssh enabled - version ([\d.]+)", re.I), "ssh_version"),
    (re.compile(r"^\s*password control\s*:\s*(enabled|disabled)", re.I), "password_control"),
]


def _status(out: text.Output, cfg: Config, report: FileReport) -> bool:
    """Live state from status commands fills what the configuration leaves unstated."""
    if out.command not in {" ".join(c) for c in text.STATUS_COMMANDS}:
        return False
    path = report.path
    for no, line in out.lines:
        for pattern, what in _STATUS:
            m = pattern.match(line)
            if not m:
                continue
            value = m.group(1).lower()
            where = f"{path}:{no}"
            report.statements += 1
            report.understood += 1
            report.relevant += 1
            if what == "telnet":
                _fill(cfg.telnet, value == "enable", where)
            elif what == "ssh":
                _fill(cfg.ssh, value == "enable", where)
            elif what == "ssh_version":
                _fill(cfg.ssh_v1, not value.startswith("2"), where)
                _fill(cfg.ssh, True, where)
            elif what == "password_control":
                _fill(cfg.policy_enabled, value == "enabled", where)
    return True


def _fill(setting: Setting, on: bool, where: str) -> None:
    if setting.on is None:
        setting.on, setting.where = on, where
