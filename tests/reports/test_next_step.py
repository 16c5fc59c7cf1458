"""Issue 16.7: after a scan that leaves results 待核查, the summary names the next commands, and following them
(questionnaire init → fill in → scan with the answers) leaves nothing 待核查."""

from __future__ import annotations

import json
import shlex
from datetime import date
from pathlib import Path

import yaml
from click.testing import CliRunner

from assess.cli import main

CONTROLS = Path(__file__).resolve().parents[1] / "history" / "fixtures" / "controls"


def test_summary_names_the_questionnaire_and_following_it_answers_everything(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inv = tmp_path / "inv.yaml"
    inv.write_text("objects:\n  - {id: alpha, type: linux, transport: local}\ninterview_objects: false\n",
                   encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(main, ["scan", "-i", str(inv), "--controls", str(CONTROLS), "--no-history"])
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("next: ") and "待核查" in line)
    init, rescan = (shlex.split(x.strip()) for x in lines[at + 1:at + 3])
    (first_dir,) = (tmp_path / "assess-out").iterdir()
    assert init[:3] == ["assess", "questionnaire", "init"] and rescan[:2] == ["assess", "scan"]
    assert runner.invoke(main, init[1:]).exit_code == 0
    answers = tmp_path / "answers.yaml"
    data = yaml.safe_load(answers.read_text(encoding="utf-8"))
    for entry in data["answers"]:
        entry.update(answer="pass", explanation="已访谈确认", respondent="王工（运维）", answered_at=date.today())
    answers.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    second = runner.invoke(main, rescan[1:] + ["--no-history"])
    assert second.exit_code == 0, second.output
    assert "next: " not in second.stdout
    (second_dir,) = set((tmp_path / "assess-out").iterdir()) - {first_dir}
    doc = json.loads((second_dir / "results.json").read_text(encoding="utf-8"))
    assert not [r for r in doc["results"] if r["verdict"] == "manual"]
