"""Loading and validating answers: every bad input is one `file:line: message`."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assess.catalog import profile as profile_mod
from assess.errors import InputError, LintErrors
from assess.inputs import answers
from tests.answers.common import TODAY, mini, scope, write

GOOD = """
    answers:
      - item: L3-CES1-03
        object: system
        answer: 符合
        explanation: 远程管理仅经 SSH 与 HTTPS，Telnet 已禁用
        attachments: [evidence/ssh.png]
        respondent: 王工（运维）
        answered_at: 2026-06-01
"""


def load(tmp_path, text: str, profile=None, today=TODAY):
    cat, pairs = scope(profile)
    return answers.load(write(tmp_path / "answers.yaml", text), cat, pairs, today)


def problems(tmp_path, text: str, **kw) -> list[str]:
    with pytest.raises(LintErrors) as info:
        load(tmp_path, text, **kw)
    return info.value.problems


@pytest.fixture
def evidence(tmp_path):
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "ssh.png").write_bytes(b"png bytes")
    return tmp_path / "evidence" / "ssh.png"


def test_a_good_answer(tmp_path, evidence):
    loaded = load(tmp_path, GOOD)
    a = loaded.answers[("L3-CES1-03", "system")]
    assert a.verdict == "pass" and a.respondent == "王工（运维）"
    assert a.answered_at == date(2026, 6, 1)
    assert a.valid_until == date(2026, 6, 1) + timedelta(days=answers.DEFAULT_VALIDITY_DAYS)
    (att,) = a.attachments
    assert att.name == "ssh.png" and att.size == 9
    assert att.stored == f"attachments/{att.sha256[:16]}/ssh.png"
    assert a.where.endswith("answers.yaml:2")
    assert loaded.entries == 1 and len(loaded.sha256) == 64


def test_attachment_hash_is_the_file_sha256(tmp_path, evidence):
    import hashlib

    a = load(tmp_path, GOOD).answers[("L3-CES1-03", "system")]
    assert a.attachments[0].sha256 == hashlib.sha256(b"png bytes").hexdigest()


@pytest.mark.parametrize("value, verdict", [("pass", "pass"), ("PARTIAL", "partial"), ("不符合", "fail"),
                                            ("不适用", "na"), (" na ", "na")])
def test_answer_values_in_english_or_chinese(tmp_path, evidence, value, verdict):
    a = load(tmp_path, GOOD.replace("answer: 符合", f"answer: '{value}'")).answers[("L3-CES1-03", "system")]
    assert a.verdict == verdict


def test_unanswered_entries_are_skipped_but_item_ids_still_checked(tmp_path):
    loaded = load(tmp_path, """
        answers:
          - {item: L3-CES1-03, object: system, answer: , explanation: ''}
          - {item: L3-CES1-02, object: host-that-left-the-inventory}
    """)
    assert loaded.answers == {} and loaded.entries == 2
    found = problems(tmp_path, """
        answers:
          - {item: L3-XYZ1-01, object: system}
    """)
    assert found == [f"{tmp_path / 'answers.yaml'}:2: unknown item 'L3-XYZ1-01'"]


BASE = "    answers:\n      - item: {item}\n        object: {obj}\n        answer: pass\n        explanation: ok\n" \
       "        respondent: r\n        answered_at: 2026-06-01\n"


@pytest.mark.parametrize("item, obj, line, message", [
    ("L3-CES1-03", "web-9", 3, "unknown object 'web-9' (objects in this scan: db-1, system, web-1)"),
    ("L3-CES1-02", "db-1", 3, "L3-CES1-02 does not apply to object 'db-1' (it covers linux); answer it on web-1"),
    ("L3-CES1-01", "system", 3, "L3-CES1-01 is not answered on 'system': the inventory has objects of its types"),
    ("L3-CES1-01", "web-1", 2, "L3-CES1-01 on 'web-1' is fully automated (checks: t.max_days, t.min_len): its "
                               "verdict comes from the checks, not from an answer"),
])
def test_wrong_item_or_object(tmp_path, item, obj, line, message):
    (found,) = problems(tmp_path, BASE.format(item=item, obj=obj))
    assert found.startswith(f"{tmp_path / 'answers.yaml'}:{line}: {message}")


def test_partial_and_convention_pairs_may_be_answered(tmp_path):
    text = BASE.format(item="L3-CES1-02", obj="web-1") + BASE.format(item="L3-CES1-01", obj="db-1").replace(
        "    answers:\n", "")
    loaded = load(tmp_path, text)
    assert set(loaded.answers) == {("L3-CES1-02", "web-1"), ("L3-CES1-01", "db-1")}


@pytest.mark.parametrize("change, line, message", [
    ("answer: pass/answer: yes-ish", 4, "unknown answer 'yes-ish' (expected pass, partial, fail or na"),
    ("        explanation: ok\n/", 2, "an answer needs 'explanation'"),
    ("        respondent: r\n/", 2, "an answer needs 'respondent'"),
    ("        answered_at: 2026-06-01\n/", 2, "an answer needs 'answered_at' (YYYY-MM-DD)"),
    ("answered_at: 2026-06-01/answered_at: '2026-02-30'", 7, "'answered_at' is not a date: '2026-02-30'"),
    ("answered_at: 2026-06-01/answered_at: 2026-02-30", 7, "YAML syntax error: invalid date '2026-02-30'"),
    ("answered_at: 2026-06-01/answered_at: last week", 7, "'answered_at' is not a date: 'last week'"),
    ("answered_at: 2026-06-01/answered_at: 2026-06-16", 7, "'answered_at' 2026-06-16 is in the future "
                                                           "(today is 2026-06-15)"),
    ("answered_at: 2026-06-01/answered_at: 2026-06-01\n        valid_until: 2026-05-01", 8,
     "'valid_until' 2026-05-01 is before 'answered_at' 2026-06-01"),
    ("answered_at: 2026-06-01/answered_at: 2026-06-01\n        valid_until: soon", 8,
     "'valid_until' is not a date: 'soon'"),
    ("answer: pass/answer: pass\n        attachments: [missing.pdf]", 5, "attachment not found: 'missing.pdf' (looked in"),
    ("answer: pass/answer: pass\n        attachments: [sub]", 5, "attachment 'sub' is not a regular file"),
    ("answer: pass/answer: pass\n        attachments: a.pdf", 5, "'attachments' must be a list"),
    ("answer: pass/answer: pass\n        comment: x", 5, "unknown key 'comment' in answer entry"),
    ("answer: pass/answer: true", 4, "'answer' must be a string, not true/false"),
])
def test_bad_answer_fields(tmp_path, change, line, message):
    (tmp_path / "sub").mkdir()
    old, new = change.split("/", 1)
    text = BASE.format(item="L3-CES1-03", obj="system").replace(old, new, 1)
    try:
        found = problems(tmp_path, text)
    except InputError as exc:  # a YAML-level error (an impossible date) stops the load at once
        found = [str(exc)]
    assert any(p.startswith(f"{tmp_path / 'answers.yaml'}:{line}: {message}") for p in found), found


def test_duplicate_answers(tmp_path):
    text = BASE.format(item="L3-CES1-03", obj="system") + BASE.format(item="L3-CES1-03", obj="system").replace(
        "    answers:\n", "")
    (found,) = problems(tmp_path, text)
    assert found == f"{tmp_path / 'answers.yaml'}:8: duplicate answer for L3-CES1-03 on 'system' (first at line 2)"


def test_tailored_item_answer_is_a_warning(tmp_path):
    cat, _prof = mini()
    prof = profile_mod.load(str(write(tmp_path / "p.yaml", """
        id: t
        title: t
        level: 3
        extends: level3
        tailoring: {L3-CES1-03: no web application}
    """)), cat)
    loaded = load(tmp_path, BASE.format(item="L3-CES1-03", obj="system"), profile=prof)
    assert loaded.answers == {}
    assert loaded.warnings == [f"{tmp_path / 'answers.yaml'}:2: L3-CES1-03 is tailored out by the profile (不适用); "
                               "the answer is not used"]


@pytest.mark.parametrize("text, message", [
    ("answers: {}\n", ":1: 'answers' must be a list"),
    ("- 1\n", ":1: answers file must be a mapping"),
    ("answers:\n  - just text\n", ":2: each entry of 'answers' must be a mapping"),
    ("questionnaire: {format: other@9}\nanswers: []\n", ":1: unsupported questionnaire format 'other@9'"),
    ("answers: [\n", "YAML syntax error"),
])
def test_bad_file_shapes(tmp_path, text, message):
    with pytest.raises((LintErrors, InputError)) as info:
        load(tmp_path, text)
    assert message in str(info.value)


def test_missing_file(tmp_path):
    cat, pairs = scope()
    with pytest.raises(InputError, match="no such file"):
        answers.load(tmp_path / "nope.yaml", cat, pairs, TODAY)
    with pytest.raises(InputError, match="no such file"):
        answers.load(tmp_path / "nope.xlsx", cat, pairs, TODAY)
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable xlsx workbook"):
        answers.load(tmp_path / "junk.xlsx", cat, pairs, TODAY)


@pytest.mark.parametrize("raw, expected", [
    ("2026-06-01", date(2026, 6, 1)), ("2026-6-1", date(2026, 6, 1)), ("2026/06/01", date(2026, 6, 1)),
    ("2026-02-30", None), ("01/06/2026", None), (20260601, None), (True, None), (None, None),
])
def test_parse_date(raw, expected):
    assert answers.parse_date(raw) == expected


def test_xlsx_without_the_needed_columns_or_of_another_format(tmp_path):
    from openpyxl import Workbook

    cat, pairs = scope()
    wb = Workbook()
    wb.active.append(["item", "object", "verdict"])
    wb.save(tmp_path / "a.xlsx")
    with pytest.raises(InputError, match=r"a\.xlsx:1: sheet 'Sheet' has no 'answer' column in its first row"):
        answers.load(tmp_path / "a.xlsx", cat, pairs, TODAY)
    wb.active.cell(row=1, column=3).value = "结论 answer"
    wb.active.append(["L3-CES1-03", "system", "符合", None])
    wb.create_sheet("meta").append(["format", "assess/questionnaire@9"])
    wb.save(tmp_path / "b.xlsx")
    with pytest.raises(InputError, match="unsupported questionnaire format 'assess/questionnaire@9'"):
        answers.load(tmp_path / "b.xlsx", cat, pairs, TODAY)
    del wb["meta"]
    wb.save(tmp_path / "c.xlsx")
    with pytest.raises(LintErrors) as info:
        answers.load(tmp_path / "c.xlsx", cat, pairs, TODAY)
    assert f"{tmp_path / 'c.xlsx'}:2: an answer needs 'explanation'" in info.value.problems[0]


def test_problems_come_in_line_order(tmp_path):
    found = problems(tmp_path, """
        answers:
          - item: L3-CES1-03
            object: system
            answer: maybe
            explanation: x
            attachments: [gone.pdf]
            respondent: r
            answered_at: '2026-13-01'
    """)
    assert [p.split(":")[1] for p in found] == ["4", "6", "8"]
    assert f"attachment not found: 'gone.pdf' (looked in {tmp_path.resolve()})" in found[1]


def test_attachments_are_confined_to_the_answers_files_directory(tmp_path):
    """Answers files are filled in by other people: an attachment may only name a regular file below the
    answers file's directory (symlinks resolved), never /proc, /sys or /dev."""
    home = tmp_path / "answers-dir"
    (home / "docs").mkdir(parents=True)
    (home / "docs" / "ok.pdf").write_bytes(b"%PDF")
    secret = tmp_path / "secret.txt"
    secret.write_text("operator's secret")
    (home / "docs" / "link-out").symlink_to(secret)
    (home / "docs" / "link-in").symlink_to(home / "docs" / "ok.pdf")
    (home / "proc-link").symlink_to("/proc/self/environ")
    import os

    os.mkfifo(home / "docs" / "fifo")
    refs = {"/etc/shadow": "outside", "../secret.txt": "outside", "docs/../../secret.txt": "outside",
            "docs/link-out": "outside", "~/.bash_history": "not found", "/proc/self/environ": "/proc",
            "proc-link": "/proc", "docs/fifo": "not a regular file", "docs": "not a regular file",
            str(home / "docs" / "link-in"): None, "docs/ok.pdf": None}
    listed = "".join(f"\n          - '{ref}'" for ref in refs)
    text = ("answers:\n  - item: L3-CES1-03\n    object: system\n    answer: pass\n    explanation: x\n"
            f"    attachments:{listed}\n    respondent: r\n    answered_at: 2026-06-01\n")
    cat, pairs = scope(None)
    with pytest.raises(LintErrors) as info:
        answers.load(write(home / "answers.yaml", text), cat, pairs, TODAY)
    found = info.value.problems
    for i, (ref, reason) in enumerate(refs.items()):
        mine = [p for p in found if p.startswith(f"{home / 'answers.yaml'}:{7 + i}: ")]
        if reason is None:
            assert not mine, (ref, mine)
        else:
            assert any(reason in p and "attachment" in p for p in mine), (ref, mine, found)
    assert not any("operator's secret" in p for p in found)


def test_cli_reports_a_confined_attachment_as_file_line_and_exit_2(tmp_path):
    from click.testing import CliRunner

    from assess.cli import main

    (tmp_path / "answers.yaml").write_text("answers:\n  - item: L3-PSS1-01\n    object: organization\n"
                                           "    answer: pass\n    explanation: x\n"
                                           "    attachments: [/proc/self/environ]\n    respondent: r\n"
                                           "    answered_at: 2026-01-01\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", "--answers", str(tmp_path / "answers.yaml"), "--out",
                                       str(tmp_path / "out"), "-q", "--no-history"])
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'answers.yaml'}:6: attachment '/proc/self/environ'" in result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("attachments"))
