"""Number porting driven through Teams: the PM pastes numbers on the card, records a Cloud Voice
port order's rejection (the customer gets the card saying what to bring), resubmission, FOC
(task dates move), the cutover cards the day before and on the day (PM and primary contact),
completion and verification; an OfficeConnect port with temporary DIDs in Spanish, where
verification releases the old carrier's cancellation. Bad input is answered and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.domain.authorization import Action
from bot.domain.catalogue import t
from bot.domain.glossary import lookup
from bot.domain.porting import PortState
from bot.domain.project import TaskState
from bot.domain.roles import Role
from bot.domain.transitions import Refused
from cards.dates import format_date
from tests.support.card_validation import cards_problems
from tests.support.teams_activities import TeamsUser, card_action, message, personal
from tests.teams.conftest import ADMIN, CUSTOMER, PM, SIGNER, TEAM, Harness
from tests.teams.documents_flow import accept_all
from tests.teams.flows import ROLE_HOLDERS, _is_with, create_project, setup_values

pytestmark = pytest.mark.porting


def holder(role: Role) -> TeamsUser:
    return PM if role is Role.PROVIDER_PM else ROLE_HOLDERS[role.value]


def cards_for(harness: Harness, user: TeamsUser) -> list[dict[str, Any]]:
    """Every card delivered to the user's 1:1 chat (proactively or as a reply)."""
    conversations = {c.conversation_id for c in harness.standin.created_conversations} | {personal(user).id}
    return [card for record in harness.standin.delivered if record.kind in ("send", "reply", "update")
            and record.conversation_id in conversations and _is_with(harness, record.conversation_id, user)
            for card in record.cards]


def texts_in(harness: Harness, conversation_id: str) -> list[str]:
    return [str((r.activity or {}).get("text") or "") for r in harness.standin.records_in(conversation_id, ("send", "reply"))]


def titles(cards: list[dict[str, Any]]) -> list[str]:
    return [next((b["text"] for b in c.get("body", []) if b.get("size") == "Large"), "") for c in cards]


async def act(harness: Harness, user: TeamsUser, verb: str, data: dict[str, Any], locale: str = "en-US") -> dict[str, Any]:
    status, body = await harness.post(card_action(user, TEAM, verb, data, harness.service_url, locale=locale))
    assert status == 200, body
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    return body["value"]


async def order_step(harness: Harness, project_id: str, action: str, locale: str = "en-US", user: TeamsUser = PM,
                     **inputs: Any) -> dict[str, Any]:
    project = await harness.runtime.service.load(project_id)
    order = project.port_book.order("PO1")
    return await act(harness, user, "port_step", {"p": project_id, "o": "PO1", "r": order.rev, "a": action, **inputs}, locale)


async def order_of(harness: Harness, project_id: str):
    project = await harness.runtime.service.load(project_id)
    return project, project.port_book.order("PO1")


LOCALES = {"en": "en-US", "es": "es-MX"}
COMMANDS = {"en": ("port numbers", "status", "digest", "what is LOA"), "es": ("números a portar", "estado", "resumen", "qué es LOA")}


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_a_cloud_voice_port_through_rejection_resubmission_foc_cutover_and_verification(harness: Harness, lang: str) -> None:
    loc = LOCALES[lang]
    port_numbers, status_word, digest_word, _ = COMMANDS[lang]
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True, language=lang), locale=loc)
    await harness.post(message(PM, TEAM, port_numbers, harness.service_url, locale=loc))
    paste_card = harness.standin.cards_in(TEAM.id)[-1]
    assert any(e.get("id") == "numbers" and e.get("isMultiline") for e in paste_card["body"])
    assert t("porting.paste.title", lang, customer="Contoso") in str(paste_card)
    # A paste with problems: listed line by line, nothing saved, the text kept for fixing.
    typed = "Number\n(212) 555-0123\n212.555.0124\nnot a number\n212-555-0123\n+52 55 1234 5678"
    shown = await act(harness, PM, "port_paste", {"p": project_id, "numbers": typed, "carrier": "Verizon", "btn": "", "partial": "false"},
                      loc)
    body = str(shown)
    assert t("porting.problem.invalid", lang, line=4, raw="not a number") in body
    assert t("porting.problem.duplicate", lang, line=5, raw="212-555-0123", detail="2") in body
    assert t("porting.problem.foreign", lang, line=6, raw="+52 55 1234 5678", detail="MX", region="US") in body
    assert next(e for e in shown["body"] if e.get("id") == "numbers")["value"] == typed
    assert (await harness.runtime.service.load(project_id)).port_book.orders == []
    # Confirmed: the two valid numbers are saved as E.164 in one order.
    saved = await act(harness, PM, "port_paste", {"p": project_id, "numbers": typed, "carrier": "Verizon", "btn": "212-555-0100",
                                                  "partial": "true", "confirm": True}, loc)
    assert t("porting.saved", lang, n=2, orders="PO1") in str(saved)
    project, order = await order_of(harness, project_id)
    assert (order.numbers, order.btn, order.carrier, order.partial) == (("+12125550123", "+12125550124"), "+12125550100", "Verizon", True)

    # FOC before submission: refused, nothing changes.
    refused = await order_step(harness, project_id, "foc", loc, foc_date="2027-01-14", foc_time="10:00")
    assert t("porting.refused.foc_before_submission", lang) in str(refused)
    assert (await order_of(harness, project_id))[1].state is PortState.DRAFT
    await order_step(harness, project_id, "submit", loc, submit_date="2026-11-27", requested="2027-01-15")
    # A rejection without a reason: refused. With one: the customer's primary contact is told what to bring.
    refused = await order_step(harness, project_id, "reject", loc, reason="", reject_text="")
    assert t("porting.refused.reason_required", lang) in str(refused)
    assert (await order_of(harness, project_id))[1].state is PortState.SUBMITTED
    before = len(cards_for(harness, CUSTOMER))
    await order_step(harness, project_id, "reject", loc, reason="bill_too_old", reject_text="The bill is from March",
                     fixer="customer_primary_contact")
    rejection = [c for c in cards_for(harness, CUSTOMER)[before:]
                 if t("porting.rejection.title", lang, carrier="Verizon", id="PO1") in str(c)]
    assert rejection, titles(cards_for(harness, CUSTOMER)[before:])
    assert t("porting.bring.bill_too_old", lang) in str(rejection[-1])
    assert "The bill is from March" in str(rejection[-1])
    assert not any("PO1" in str(c) for c in cards_for(harness, SIGNER))
    await order_step(harness, project_id, "resubmit", loc, resubmit_date="2026-11-30")
    # FOC received: the port-date tasks are re-dated and their owners told, as `foc` does.
    card = await order_step(harness, project_id, "foc", loc, foc_date="2027-01-14", foc_time="10:00")
    assert t("porting.step.done", lang, state=t("porting.state.foc_received", lang)) in str(card)
    project, order = await order_of(harness, project_id)
    assert project.foc_date == date(2027, 1, 14) and order.requested_foc == date(2027, 1, 15)
    assert order.foc_at.isoformat() == "2027-01-14T10:00:00-05:00"
    assert (order.resubmissions, len(order.rejections)) == (1, 1)
    events = [e.kind for e in await harness.runtime.store.project_events(project_id)]
    assert "foc_set" in events and events.count("port_order_changed") == 4
    assert any(t("dates.title", lang, customer="Contoso") in str(c) for c in cards_for(harness, PM))  # the due dates `foc` sends
    # Status shows the order.
    await harness.post(message(PM, TEAM, status_word, harness.service_url, locale=loc))
    status = str(harness.standin.cards_in(TEAM.id)[-1])
    assert "PO1 · Verizon" in status
    assert f"{t('porting.order.rejections', lang, n=1)} · {t('porting.order.resubmissions', lang, n=1)}" in status
    assert t("porting.section.requested", lang, date=format_date(date(2027, 1, 15), lang)) in status
    # The carrier moves the FOC: the digest lists it among the dates that moved.
    await order_step(harness, project_id, "foc", loc, foc_date="2027-01-15", foc_time="10:00")
    assert (await harness.runtime.service.load(project_id)).foc_date == date(2027, 1, 15)
    await harness.post(message(PM, TEAM, digest_word, harness.service_url, locale=loc))
    digest = str(harness.standin.cards_in(TEAM.id)[-1])
    assert t("porting.digest.foc_moved", lang, id="PO1") in digest and "PO1 · Verizon" in digest
    assert f"{format_date(date(2027, 1, 14), lang)} → {format_date(date(2027, 1, 15), lang)}" in digest
    await order_step(harness, project_id, "foc", loc, foc_date="2027-01-14", foc_time="10:00")
    # Cutover: the day before at 09:00 and on the day, to the PM and the primary contact.
    harness.clock.now = datetime(2027, 1, 13, 14, 30, tzinfo=UTC)  # 09:30 in New York
    await harness.runtime.scheduler.run_due()
    await harness.runtime.settle()
    eve_title = t("porting.cutover.title_eve", lang, id="PO1", carrier="Verizon")
    for user in (PM, CUSTOMER):
        eve = [c for c in cards_for(harness, user) if eve_title in str(c)]
        assert len(eve) == 1, user.name
        assert t("porting.cutover.lock", lang) in str(eve[0]) and t("porting.check.aa", lang) in str(eve[0])
    assert not any(eve_title in str(c) for c in cards_for(harness, SIGNER))
    await harness.runtime.scheduler.run_due()  # again: nothing new
    await harness.runtime.settle()
    assert len([c for c in cards_for(harness, PM) if eve_title in str(c)]) == 1
    harness.clock.now = datetime(2027, 1, 14, 13, 5, tzinfo=UTC)  # 08:05 on the day
    await harness.runtime.scheduler.run_due()
    await harness.runtime.settle()
    assert any(t("porting.cutover.title_day", lang, id="PO1", carrier="Verizon") in str(c) for c in cards_for(harness, CUSTOMER))
    # Verification before completion: refused. Then completed and verified with the test calls done.
    refused = await order_step(harness, project_id, "verify", loc, calls="true")
    assert t("porting.refused.verify_before_completion", lang) in str(refused)
    await order_step(harness, project_id, "complete", loc)
    refused = await order_step(harness, project_id, "verify", loc, calls="false")
    assert t("porting.refused.calls_not_done", lang) in str(refused)
    done = await order_step(harness, project_id, "verify", loc, calls="true")
    assert t("porting.step.done", lang, state=t("porting.state.verified", lang)) in str(done)
    assert (await order_of(harness, project_id))[1].state is PortState.VERIFIED
    # Only the PM records steps.
    refused = await order_step(harness, project_id, "complete", loc, user=CUSTOMER)
    assert t("porting.refused.not_pm", lang) in str(refused)
    everything = [c for r in harness.standin.delivered for c in r.cards]
    assert [p for p in cards_problems(everything) if p] == []


@pytest.mark.parametrize("lang", ["es", "en"])
async def test_an_officeconnect_port_with_temporary_dids(harness: Harness, lang: str) -> None:
    loc = LOCALES[lang]
    port_numbers, _, _, what_is = COMMANDS[lang]
    project_id = await create_project(harness, setup_values("officeconnect_ucaas", porting=True, language=lang), locale=loc)
    await harness.post(message(PM, TEAM, port_numbers, harness.service_url, locale=loc))
    assert t("porting.paste.title", lang, customer="Contoso") in str(harness.standin.cards_in(TEAM.id)[-1])
    saved = await act(harness, PM, "port_paste", {"p": project_id, "numbers": "212-555-0123\n212-555-0124", "carrier": "AT&T",
                                                  "btn": "", "partial": "false"}, loc)
    assert t("porting.saved", lang, n=2, orders="PO1") in str(saved)
    # Temporary DIDs: an invalid one is refused; valid ones are kept in the numbers' order.
    refused = await order_step(harness, project_id, "temp_dids", loc, dids="646-555-0101\nxyz")
    assert t("porting.refused.dids_invalid", lang, value="xyz") in str(refused)
    await order_step(harness, project_id, "temp_dids", loc, dids="646-555-0101\n646-555-0102")
    await order_step(harness, project_id, "submit", loc, submit_date="2026-11-27", requested="")
    await order_step(harness, project_id, "foc", loc, foc_date="2027-01-14", foc_time="09:00")
    harness.clock.now = datetime(2027, 1, 13, 14, 30, tzinfo=UTC)
    await harness.runtime.scheduler.run_due()
    await harness.runtime.settle()
    eve_title = t("porting.cutover.title_eve", lang, id="PO1", carrier="AT&T")
    eve = [c for c in cards_for(harness, CUSTOMER) if eve_title in str(c)]
    assert len(eve) == 1
    text = str(eve[0])
    assert t("porting.cutover.forwarding", lang) in text and "+1 212-555-0123 → +1 646-555-0101" in text
    assert t("glossary.on_card", lang) in text and "DID: Direct Inward Dialing" in text
    assert any(eve_title in str(c) for c in cards_for(harness, PM))
    # Every task done but the old carrier's cancellation, which waits for the port's verification.
    service = harness.runtime.service
    pm = service.actor(PM.aad_object_id, PM.name, PM.tenant_id)
    for _ in range(200):
        project = await service.load(project_id)
        open_keys = [k for k, r in project.tasks.items() if r.state in (TaskState.READY, TaskState.REOPENED)]
        if not open_keys:
            break
        for key in open_keys:
            spec = harness.runtime.library[key.split(":")[0]].task(key.split(":")[1])
            if spec.documents:  # a task's required documents first (issue 16): uploaded, then accepted
                await accept_all(harness, project_id, key, holder(spec.confirmers[0]))
                project = await service.load(project_id)
            record = project.tasks[key]
            for action in (Action.CONFIRM, Action.CONFIRM_ON_BEHALF):
                try:
                    outcome = await service.act_on_task(pm, project_id, key, action, rev=record.rev)
                except Refused:
                    continue
                if outcome.change is not None:
                    break
    await harness.runtime.settle()
    project = await service.load(project_id)
    cancel = "officeconnect_ucaas:post_activation_porting.cancel_prior_service"
    assert project.tasks[cancel].state is TaskState.WAITING
    assert project.tasks["officeconnect_ucaas:post_activation_porting.verify_routing"].state is TaskState.DONE
    await order_step(harness, project_id, "complete", loc)
    before = len(cards_for(harness, CUSTOMER))
    verified = await order_step(harness, project_id, "verify", loc, calls="true")
    assert t("porting.step.done", lang, state=t("porting.state.verified", lang)) in str(verified)
    assert (await service.load(project_id)).tasks[cancel].state is TaskState.READY
    # In the customer's own language: their uploads above were in English (the harness's default locale).
    cancel_title = harness.runtime.library["officeconnect_ucaas"].task("post_activation_porting.cancel_prior_service").label.get("en")
    assert any(cancel_title in str(c) for c in cards_for(harness, CUSTOMER)[before:])  # the task card reaches its owner
    await harness.post(message(ADMIN, personal(ADMIN), what_is, harness.service_url, locale=loc))
    assert lookup("LOA").name.get(lang) in str(harness.standin.cards_in(personal(ADMIN).id)[-1])
    everything = [c for r in harness.standin.delivered for c in r.cards]
    assert [p for p in cards_problems(everything) if p] == []


async def test_glossary_commands_in_both_languages(harness: Harness) -> None:
    conversation = personal(CUSTOMER)
    await harness.post(message(CUSTOMER, conversation, "glossary", harness.service_url))
    glossary = str(harness.standin.cards_in(conversation.id)[-1])
    assert "**RESPORG**: Responsible Organization" in glossary and "**MPOE**: Minimum Point of Entry" in glossary
    await harness.post(message(CUSTOMER, conversation, "what is CSR?", harness.service_url))
    assert "Customer Service Record" in str(harness.standin.cards_in(conversation.id)[-1])
    await harness.post(message(CUSTOMER, conversation, "glosario", harness.service_url, locale="es-ES"))
    assert "Glosario de telecomunicaciones" in str(harness.standin.cards_in(conversation.id)[-1])
    await harness.post(message(CUSTOMER, conversation, "qué es XYZ", harness.service_url, locale="es-ES"))
    assert any("No conozco «XYZ»" in line for line in texts_in(harness, conversation.id))


async def test_ten_thousand_pasted_lines_are_refused_with_the_limit_and_nothing_changes(harness: Harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    huge = "\n".join(f"(212) 555-{i % 10000:04d}" for i in range(10_000))
    card = await act(harness, PM, "port_paste", {"p": project_id, "numbers": huge, "carrier": "Verizon", "btn": "", "partial": "false"})
    assert f"That is 10000 lines and {len(huge)} characters; I take at most 1000 lines and 16000 characters" in str(card)
    assert (await harness.runtime.service.load(project_id)).port_book.orders == []
    # A stranger to the project gets nothing of it; a project without porting says so.
    await harness.post(message(CUSTOMER, TEAM, "port orders", harness.service_url))
    assert "No port orders yet" in str(harness.standin.cards_in(TEAM.id)[-1])


async def test_the_primary_contact_pastes_from_their_chat_and_submit_fallback_works(harness: Harness) -> None:
    from tests.support.teams_activities import card_submit
    from tests.teams.conftest import STRANGER

    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    chat = personal(CUSTOMER)
    await harness.post(message(CUSTOMER, chat, "port numbers", harness.service_url))
    assert any(e.get("id") == "numbers" for e in harness.standin.cards_in(chat.id)[-1]["body"])
    # Action.Submit (clients without Universal Actions): the answer comes as a message.
    values = {"verb": "port_paste", "p": project_id, "numbers": "212 555 0123", "carrier": "Verizon", "btn": "", "partial": "false"}
    await harness.post(card_submit(CUSTOMER, chat, values, harness.service_url))
    assert "Saved 1 number in port orders PO1." in str(harness.standin.cards_in(chat.id)[-1])
    order = (await harness.runtime.service.load(project_id)).port_book.order("PO1")
    assert order.numbers == ("+12125550123",)
    # The customer sees the order read-only; a stranger to the project is refused and nothing changes.
    await harness.post(message(CUSTOMER, chat, "port orders", harness.service_url))
    assert "Only the PM records the order's steps." in str(harness.standin.cards_in(chat.id)[-1])
    _, body = await harness.post(card_action(STRANGER, personal(STRANGER), "port_paste",
                                             {"p": project_id, "numbers": "212 555 0124", "carrier": "X"}, harness.service_url))
    assert body["type"] == "application/vnd.microsoft.card.adaptive" and "You are not on this project." in str(body["value"])
    assert (await harness.runtime.service.load(project_id)).port_book.order("PO1").numbers == ("+12125550123",)
    assert len((await harness.runtime.service.load(project_id)).port_book.orders) == 1
