"""Loading validates playbooks: every broken file names the file, the task and the problem."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bot.domain.playbook import Milestone, PlaybookError, load_playbook, load_playbooks, parse_playbook
from bot.domain.roles import Role
from tests.conftest import toy_playbook_data


def test_both_products_load_with_known_roles(library) -> None:
    assert set(library.ids()) == {"cloud_voice_teams", "officeconnect_ucaas"}
    for playbook in library.playbooks.values():
        for task in playbook.tasks:
            assert task.owners and all(isinstance(r, Role) for r in task.owners)
            assert task.title.es and task.title.en and task.description.es and task.description.en


def test_source_rules_are_in_the_playbooks(library) -> None:
    teams = library["cloud_voice_teams"]
    rules = {t.date_rule.kind.value: t for t in teams.tasks if t.date_rule}
    assert rules["before_port_date"].date_rule.days == 21
    assert rules["after_foc_received"].date_rule.hours == 24
    assert any(t.milestone is Milestone.DEPLOYMENT for t in teams.tasks)
    office = library["officeconnect_ucaas"]
    assert any(t.milestone is Milestone.NRC_PAID for t in office.tasks)
    assert {p.condition.value for p in office.phases if p.condition} == {"porting", "provider_circuit", "hardware"}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _mutated(change) -> dict[str, Any]:
    data = copy.deepcopy(toy_playbook_data())
    change(data)
    return data


BROKEN = [
    ("unknown role", lambda d: d["task"][0].update(owners=["boss"]), "task 'a': unknown role 'boss' in 'owners'"),
    ("duplicate id", lambda d: d["task"][1].update(id="a"), "task 'a': duplicate task id"),
    ("missing dependency", lambda d: d["task"][1].update(depends_on=["zz"]), "task 'b': depends on unknown task 'zz'"),
    ("cycle", lambda d: d["task"][0].update(depends_on=["c"]), "dependency cycle"),
    ("self dependency", lambda d: d["task"][0].update(depends_on=["a"]), "task 'a': depends on itself"),
    ("missing english", lambda d: d["task"][2]["title"].pop("en"), "task 'c': 'title' has no en text"),
    ("unknown phase", lambda d: d["task"][2].update(phase="nine"), "task 'c': unknown phase 'nine'"),
    ("bad duration", lambda d: d["task"][0].update(duration_days=-1), "task 'a': 'duration_days' must be"),
    ("bad party", lambda d: d["task"][0].update(party="them"), "task 'a': 'party' must be"),
    ("unknown key", lambda d: d["task"][0].update(owner=["x"]), "task 'a': unknown keys ['owner']"),
    ("bad link", lambda d: d["task"][0].update(links=["ftp://x"]), "task 'a': 'links' must be"),
    ("bad rule", lambda d: d["task"][0].update(date_rule={"kind": "whenever"}), "task 'a': unknown date rule 'whenever'"),
    ("rule without days", lambda d: d["task"][0].update(date_rule={"kind": "before_port_date"}), "before_port_date needs 'days'"),
    ("unknown condition", lambda d: d["phase"][1].update(condition="rain"), "phase 'two': unknown condition 'rain'"),
    ("empty phase", lambda d: d["phase"].append({"id": "three", "title": {"es": "T", "en": "T"}}), "phase 'three': has no tasks"),
    ("no schema", lambda d: d.pop("schema"), "'schema = 1' is missing"),
    ("pm before nrc", lambda d: (d["task"][0].update(milestone="nrc_paid"), d["task"][2].update(milestone="pm_assigned",
                                                                                                   depends_on=[])),
     "task 'c': a PM is assigned only after the NRC is paid"),
]


@pytest.mark.parametrize(("case", "change", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_playbook_names_file_task_and_problem(case: str, change, message: str) -> None:
    with pytest.raises(PlaybookError) as raised:
        parse_playbook(_mutated(change), "broken.toml")
    assert str(raised.value).startswith("broken.toml: ")
    assert message in str(raised.value)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match=r"broken.toml: not valid TOML"):
        load_playbook(_write(tmp_path, "schema = 1\nid = \n"))


def test_duplicate_playbook_ids_across_files(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[1] / "bot" / "playbooks" / "cloud_voice_teams.toml"
    (tmp_path / "a.toml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.toml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(PlaybookError, match=r"b.toml: playbook id 'cloud_voice_teams' already used by a.toml"):
        load_playbooks(tmp_path)


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="no playbook files"):
        load_playbooks(tmp_path)
