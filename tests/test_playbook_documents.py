"""The playbooks' `documents` field: the loader reads it and names every mistake; both playbooks
declare the documents their customers hand over."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.domain.documents import DocumentKind
from bot.domain.playbook import PlaybookError, PlaybookLibrary, parse_playbook
from tests.conftest import toy_playbook_data

DOC = {"id": "bill", "title": {"es": "Factura", "en": "Bill"}, "kinds": ["pdf", "png"]}


def with_documents(documents: Any) -> dict[str, Any]:
    data = copy.deepcopy(toy_playbook_data())
    data["task"][0]["documents"] = documents
    return data


def test_documents_are_read_with_their_kinds_and_required_by_default() -> None:
    playbook = parse_playbook(with_documents([DOC, {**DOC, "id": "list", "kinds": ["xlsx", "csv"], "required": False}]), "toy.toml")
    first, second = playbook.task("a").documents
    assert (first.id, first.title.en, first.kinds, first.required) == ("bill", "Bill", (DocumentKind.PDF, DocumentKind.PNG), True)
    assert (second.id, second.required) == ("list", False)
    assert playbook.task("b").documents == ()


@pytest.mark.parametrize(("documents", "problem"), [
    ("bill", "'documents' must be a list of tables"),
    ([{**DOC, "id": "Bill!"}], "'id' must match"),
    ([DOC, DOC], "duplicate document id"),
    ([{**DOC, "kinds": []}], "'kinds' must be a non-empty list"),
    ([{**DOC, "kinds": ["exe"]}], "unknown kind in 'kinds'"),
    ([{**DOC, "required": "yes"}], "'required' must be true or false"),
    ([{**DOC, "size": 3}], "unknown keys ['size']"),
    ([{k: v for k, v in DOC.items() if k != "title"}], "'title' is missing"),
    ([{**DOC, "title": {"es": "Factura"}}], "'title' has no en text"),
])
def test_mistakes_in_documents_are_named(documents: Any, problem: str) -> None:
    with pytest.raises(PlaybookError) as raised:
        parse_playbook(with_documents(documents), "toy.toml")
    assert problem in str(raised.value) and "task 'a'" in str(raised.value)


@pytest.mark.parametrize(("key", "documents"), [
    ("cloud_voice_teams:porting.csr_bill", {"csr", "phone_bill", "numbers_list"}),
    ("cloud_voice_teams:porting.sign_loa", {"signed_loa"}),
    ("officeconnect_ucaas:post_activation_porting.port_documents", {"loa", "resporg", "csr", "last_bill"}),
    ("officeconnect_ucaas:site_access_activation.coi", {"coi"}),
    ("officeconnect_ucaas:activation_kickoff.configuration_worksheet", {"configuration_worksheet"}),
    ("officeconnect_ucaas:site_access_activation.aa_script", {"aa_script"}),
    ("officeconnect_ucaas:subscription_agreement.signed_agreement", {"subscription_agreement"}),
    ("officeconnect_ucaas:activation_complete.sign_completion", {"completion_document"}),
])
def test_every_provide_a_document_task_declares_its_documents(library: PlaybookLibrary, key: str, documents: set[str]) -> None:
    playbook, task_id = key.split(":")
    assert {d.id for d in library[playbook].task(task_id).documents} == documents
