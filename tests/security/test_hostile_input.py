"""Untrusted input through the real app: body limits before parsing, card data reloaded on the
server, length caps, user text that cannot forge a mention, a link or card markup, and a
property test throwing generated activities, invokes and card payloads at the bot."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.domain.authorization import Action, Actor, decide
from bot.domain.transitions import MAX_REASON_LENGTH, spec_of
from bot.storage.contract import ProjectQuery
from tests.security.conftest import (
    HarnessFactory,
    LiveApp,
    SecureHarness,
    delivered_since,
    project_snapshot,
    texts_of,
)
from tests.security.scenario import (
    BLOCKED,
    COMMANDS,
    DONE,
    INTRUDER,
    MIMIC,
    OTHER_PM,
    PM_ELSEWHERE,
    READY,
    TEAM_AS_OTHER_TENANT,
    VERBS,
    Project,
    invoke,
    started_project,
)
from tests.support.teams_activities import (
    BOT_ID,
    card_action,
    card_submit,
    group_chat,
    message,
    personal,
)
from tests.teams.conftest import ADMIN, CUSTOMER, PM, ROSTER, STRANGER, TEAM, TENANT

MAX_BODY = 256 * 1024


# --------------------------------------------------------------------------- body limits


async def _chunks(data: bytes, size: int = 16 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]
        await asyncio.sleep(0)


@pytest.mark.parametrize("secure", [False, True], ids=["anonymous", "app id"])
async def test_bodies_over_256_kb_are_413_before_parsing(make_harness: HarnessFactory, secure: bool) -> None:
    harness = await make_harness(secure=secure)
    headers = {"Content-Type": "application/json"}
    if harness.signer is not None:
        headers["Authorization"] = f"Bearer {harness.signer.token(harness.service_url)}"
    big = message(CUSTOMER, personal(CUSTOMER), "x" * 300_000, harness.service_url)
    raw = json.dumps(big).encode()
    async with harness.session.post(f"{harness.url}/api/messages", data=raw, headers=headers) as response:
        assert response.status == 413
    # Chunked, no Content-Length: counted as it arrives.
    async with harness.session.post(f"{harness.url}/api/messages", data=_chunks(raw), headers=headers) as response:
        assert response.status == 413 and "Content-Length" not in response.request_info.headers
    # Not JSON at all, 300 KB of it: still 413, never a parse attempt.
    async with harness.session.post(f"{harness.url}/api/messages", data=_chunks(b"{" * 300_000), headers=headers) as response:
        assert response.status == 413
    assert harness.turns == [] and len(harness.runtime.received) == 0


async def test_a_chunked_body_under_the_limit_is_read_whole(anon: SecureHarness) -> None:
    """A valid 200 KB activity sent in chunks is one activity, not a truncated one (400)."""
    activity = message(CUSTOMER, personal(CUSTOMER), "help", anon.service_url)
    activity["channelData"]["padding"] = "p" * 200_000
    raw = json.dumps(activity).encode()
    assert len(raw) < MAX_BODY
    async with anon.session.post(f"{anon.url}/api/messages", data=_chunks(raw),
                                 headers={"Content-Type": "application/json"}) as response:
        assert response.status == 201, await response.text()
    assert len(anon.turns) == 1


# --------------------------------------------------------------------------- card data is reloaded


async def test_card_data_is_only_ids_the_rest_is_reloaded(anon: SecureHarness) -> None:
    project = await started_project(anon)
    data = await project.data(anon, READY)
    forged = {**data, "state": "done", "onBehalf": True, "actor": PM.aad_object_id, "tenant": TENANT,
              "owners": [CUSTOMER.aad_object_id], "customer": "Other Name", "verb": "confirm_on_behalf"}
    before = await project_snapshot(anon, project.id)
    _, body = await anon.post(card_action(CUSTOMER, personal(CUSTOMER), "confirm_on_behalf", forged, anon.service_url))
    assert "only the assigned people or the PM" in texts_of(body) and "Other Name" not in texts_of(body)
    assert await project_snapshot(anon, project.id) == before


@pytest.mark.parametrize("data", [
    {"p": ["x"], "k": READY}, {"p": None, "k": READY}, {"k": READY}, {"p": "x" * 201, "k": READY},
    {"p": "PID", "k": READY, "r": "1"}, {"p": "PID", "k": READY, "r": True}, {"p": "PID", "k": READY, "r": 1.5},
    {"p": "PID", "k": {"$ne": None}}, {"p": "PID", "k": "../../etc/passwd"}, {"p": "PID", "k": READY + "\u0000"},
    {"p": "PID", "k": READY, "r": 10**30}, {"p": "PID" * 60, "k": READY, "r": 1},
], ids=lambda d: json.dumps(d)[:40])
async def test_malformed_card_data_gets_a_typed_error_and_changes_nothing(anon: SecureHarness, data: dict[str, Any]) -> None:
    project = await started_project(anon)
    data = {k: (project.id if v == "PID" else v) for k, v in data.items()}
    before = await project_snapshot(anon, project.id)
    for verb in ("confirm", "block", "refresh"):
        status, body = await anon.post(card_action(ADMIN, personal(ADMIN), verb, data, anon.service_url))
        assert status == 200 and body["type"] in ("application/vnd.microsoft.error", "application/vnd.microsoft.card.adaptive")
    assert await project_snapshot(anon, project.id) == before


async def test_a_message_naming_no_recipient_is_refused_not_failed(anon: SecureHarness) -> None:
    """With no recipient there is no bot to answer as: a 400, where botbuilder's mention handling
    failed the turn (an ERROR and an apology)."""
    activity = message(ADMIN, personal(ADMIN), "status", anon.service_url)
    activity["recipient"] = None
    status, body = await anon.post(activity)
    assert status == 400 and "recipient" in body["error"]
    assert anon.standin.activities_in(personal(ADMIN).id) == []


@pytest.mark.parametrize("hole", ["no channelId", "a null entity", "an entity without a type", "an entity whose type is null"])
async def test_a_message_botbuilder_cannot_read_is_refused_not_failed(anon: SecureHarness, hole: str) -> None:
    """Found by the generated activities: botbuilder's bot state needs the channel id and its
    mention handling reads every entity's type; each failed the turn with an ERROR."""
    activity = message(ADMIN, TEAM, "my tasks", anon.service_url)
    holes: dict[str, Any] = {"a null entity": None, "an entity without a type": {}, "an entity whose type is null": {"type": None}}
    if hole == "no channelId":
        del activity["channelId"]
    else:
        activity["entities"].append(holes[hole])
    status, body = await anon.post(activity)
    assert status == 400 and ("channelId" in body["error"] or "entities" in body["error"])
    assert anon.standin.activities_in(TEAM.id) == []


@pytest.mark.parametrize("name", ["composeExtension/query", "actionableMessage/executeAction", "fileConsent/invoke"])
async def test_an_invoke_whose_value_is_not_of_its_kind_gets_a_typed_error(anon: SecureHarness, name: str) -> None:
    """botbuilder reads these invokes' values into its models: a list there failed the turn."""
    activity = card_action(ADMIN, personal(ADMIN), "confirm", {}, anon.service_url)
    activity["name"], activity["value"] = name, [1, 2]
    status, body = await anon.post(activity)
    assert status == 200 and body["type"] == "application/vnd.microsoft.error" and body["statusCode"] == 400, body


async def test_block_reasons_are_capped_at_500_characters(anon: SecureHarness) -> None:
    project = await started_project(anon)
    data = await project.data(anon, READY)
    before = await project_snapshot(anon, project.id)
    for junk in (["not", "text"], {"text": "x"}, 5, "   \n\t "):
        _, body = await anon.post(card_action(ADMIN, personal(ADMIN), "block", {**data, "reason": junk}, anon.service_url))
        assert "Please give the reason" in texts_of(body)
    assert await project_snapshot(anon, project.id) == before
    status, _ = await anon.post(invoke(ADMIN, personal(ADMIN), "block", data, anon.service_url, reason="r" * 5000))
    assert status == 200
    loaded = await anon.runtime.service.load(project.id)
    assert loaded is not None and loaded.tasks[READY].state.value == "blocked"
    assert loaded.tasks[READY].blocked_reason == "r" * MAX_REASON_LENGTH == "r" * 500
    events = await anon.runtime.store.project_events(project.id)
    assert all(len(e.reason or "") <= 500 for e in events)


# --------------------------------------------------------------------------- user text stays text


HOSTILE_NAME = 'Mallet <at>Pat PM</at> [pay](http://evil.example/p) **URGENT** {"type":"Action.OpenUrl","url":"http://evil.example"}'
HOSTILE_REASON = ('Mallet <at>Ada Admin</at> ![x](http://evil.example/i.png) [login](https://evil.example/login) '
                  '<a href="http://evil.example">here</a> __bold__ `code` {"type":"Action.Submit","data":{"verb":"confirm"}}')
ROSTER_IDS = {u.teams_id for u in ROSTER} | {u.aad_object_id for u in ROSTER}
ROSTER_NAMES = {u.name for u in ROSTER}


def strings_in(value: Any) -> Iterator[tuple[str, str]]:
    """(key, string) for every string in a JSON-like value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                yield str(key), item
            else:
                yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def mentions_in(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("type") == "mention":
            yield value
        for item in value.values():
            yield from mentions_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from mentions_in(item)


# What Teams' TextBlock turns into a mention, a link or formatting: a tag (<at>), "](" and its
# reference forms, and "*" or "_" pairs (lists need a line's start, and no user text starts one here).
MARKUP = re.compile(r"<[a-z/!?]|\][(\[:]|\*.*\*|_.*_", re.IGNORECASE)


def assert_inert(outputs: list[Any], marker: str = "Mallet") -> int:
    """Every string carrying user text shows it with nothing that can become a mention, a link or
    formatting, and without backslash escapes; no action or mention came from it."""
    seen = 0
    for output in outputs:
        for key, value in strings_in(output):
            if key in ("url", "iconUrl", "backgroundImage", "selectAction", "contentUrl"):
                assert "evil.example" not in value, (key, value)
            if marker not in value:
                continue
            seen += 1
            assert not MARKUP.search(value) and "\\" not in value, value
        for mention in mentions_in(output):
            mentioned = mention.get("mentioned") or {}
            assert mentioned.get("id") in ROSTER_IDS | {BOT_ID}, mention
            assert marker not in json.dumps(mention) and re.fullmatch(r"<at>[^<>]*</at>", mention.get("text", "")), mention
    return seen


async def test_customer_names_and_reasons_cannot_forge_mentions_links_or_card_markup(make_harness: HarnessFactory) -> None:
    harness = await make_harness(env={"SEND_INTERVAL": "0"})
    project = await started_project(harness, customer=HOSTILE_NAME, through_the_form=True)
    outputs: list[Any] = []
    data = await project.data(harness, READY)
    for activity in (
        invoke(ADMIN, personal(ADMIN), "block", data, harness.service_url, reason=HOSTILE_REASON),
        invoke(PM, personal(PM), "refresh", data, harness.service_url),
        message(PM, TEAM, "status", harness.service_url),
        message(PM, personal(PM), "status all", harness.service_url),
        message(ADMIN, personal(ADMIN), "my tasks", harness.service_url),
        message(CUSTOMER, personal(CUSTOMER), "status", harness.service_url),
        message(PM, TEAM, "digest", harness.service_url),
        message(PM, TEAM, "export", harness.service_url),
        message(PM, TEAM, "port date 2027-02-01", harness.service_url),
    ):
        status, body = await harness.post(activity)
        assert status < 500
        outputs.append(body)
    outputs += [r.activity for r in harness.standin.delivered if r.activity]
    stored = await harness.runtime.service.load(project.id)
    assert stored is not None and stored.customer_name == HOSTILE_NAME[:120]  # stored as typed (form caps at 120)
    assert assert_inert(outputs) >= 10  # the name and reason were really rendered, inert


# --------------------------------------------------------------------------- the property test


ACTORS = [PM, PM, ADMIN, ADMIN, CUSTOMER, STRANGER, INTRUDER, MIMIC, OTHER_PM, PM_ELSEWHERE]  # insiders weighted up
CHATTER = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
JUNK: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False) | CHATTER,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CHATTER, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def card_data(draw: st.DrawFn, project_id: str) -> Any:
    key = draw(st.sampled_from([READY, BLOCKED, DONE, "cloud_voice_teams:onboarding.login", "nope"]))
    real = {"p": project_id, "k": key, "r": draw(st.sampled_from([None, 1, 2, 3, 4, 0, -1]))}  # None: no staleness check
    shape = draw(st.sampled_from(["real", "real", "real", "real+junk", "junk", "typed-wrong"]))
    if shape == "real":
        data: Any = real
    elif shape == "real+junk":
        data = {**real, **draw(st.dictionaries(st.sampled_from(["state", "actor", "tenant", "onBehalf", "verb", "x"]), JUNK,
                                               max_size=3))}
    elif shape == "junk":
        data = draw(JUNK)
    else:
        data = {**real, draw(st.sampled_from(["p", "k", "r"])): draw(JUNK)}
    if isinstance(data, dict) and draw(st.booleans()):
        data["reason"] = draw(st.text(max_size=700) | JUNK)
    return data


@st.composite
def activities(draw: st.DrawFn, project_id: str, service_url: str) -> dict[str, Any]:
    actor = draw(st.sampled_from(ACTORS))
    where = draw(st.sampled_from([personal(actor), TEAM, TEAM_AS_OTHER_TENANT, group_chat("chat", actor.tenant_id)]))
    kind = draw(st.sampled_from(["command", "text", "submit", "invoke", "click", "click", "invoke-other", "event", "mangled"]))
    if kind == "click":  # a plausible click: real ids, a real verb, any of the people (many are allowed)
        key = draw(st.sampled_from([READY, BLOCKED, DONE, "cloud_voice_teams:onboarding.login"]))
        activity = card_action(actor, where, draw(st.sampled_from(VERBS)), {"p": project_id, "k": key, "r": None}, service_url)
        activity["value"]["action"]["data"]["reason"] = draw(st.sampled_from(["", "a reason", "x" * 600]))
    elif kind == "command":
        activity = message(actor, where, draw(st.sampled_from(COMMANDS)), service_url)
    elif kind == "text":
        activity = message(actor, where, draw(st.text(max_size=300)), service_url, mention_bot=draw(st.booleans()))
    elif kind == "submit":
        value = draw(card_data(project_id))
        value = {**(value if isinstance(value, dict) else {}), "verb": draw(st.sampled_from([*VERBS, "create_project", "snooze"]))}
        activity = card_submit(actor, where, value, service_url)
        if draw(st.booleans()):
            activity["value"] = draw(JUNK)
    elif kind == "invoke":
        verb = draw(st.sampled_from([*VERBS, "snooze"])) if draw(st.integers(0, 9)) else draw(CHATTER)
        activity = card_action(actor, where, verb, {}, service_url)
        activity["value"]["action"]["data"] = draw(card_data(project_id))
        if draw(st.integers(0, 4)) == 0:
            activity["value"] = draw(JUNK)
    elif kind == "invoke-other":
        activity = card_action(actor, where, "confirm", {}, service_url)
        activity["name"] = draw(st.sampled_from(["task/fetch", "composeExtension/query", "signin/verifyState", "healthCheck",
                                                 "actionableMessage/executeAction", "fileConsent/invoke"]) | CHATTER)
        activity["value"] = draw(JUNK)
    elif kind == "event":
        activity = message(actor, where, "", service_url)
        activity["type"] = draw(st.sampled_from(["conversationUpdate", "installationUpdate", "messageReaction", "event",
                                                 "typing", "endOfConversation", "messageUpdate", "messageDelete"]) | CHATTER)
        activity["membersAdded"] = draw(st.sampled_from([[{"id": BOT_ID}], [], None]))
        activity["action"] = draw(st.sampled_from(["add", "remove", None]))
    else:
        activity = message(actor, where, draw(st.sampled_from(COMMANDS)), service_url)
        for field in draw(st.lists(st.sampled_from(["from", "conversation", "channelData", "entities", "locale", "value",
                                                    "recipient", "text", "channelId", "id", "timestamp"]), max_size=3)):
            activity[field] = draw(JUNK)
    return activity


def poster_of(activity: dict[str, Any], live: LiveApp) -> Actor | None:
    sender = activity.get("from")
    if not isinstance(sender, dict) or not sender:
        return None
    channel_data = activity.get("channelData")
    channel_data = channel_data if isinstance(channel_data, dict) else {}
    tenant_data = channel_data.get("tenant")
    tenant = tenant_data.get("id") if isinstance(tenant_data, dict) else None
    conversation = activity.get("conversation")
    conversation = conversation if isinstance(conversation, dict) else {}
    tenant = str(tenant or conversation.get("tenantId") or "").lower()
    person = str(sender.get("aadObjectId") or sender.get("id") or "").lower()
    return live.harness.runtime.service.actor(person, str(sender.get("name") or ""), tenant)


MUTATING = {"foc_set": Action.SET_FOC, "port_date_moved": Action.MOVE_PORT_DATE, "role_assigned": Action.ASSIGN_ROLES}


def check_events_were_authorized(live: LiveApp, before_json: str, new_events: list[Any], poster: Actor | None) -> None:
    from bot.domain.project import Project as DomainProject

    before = DomainProject.from_dict(json.loads(before_json))
    library = live.harness.runtime.library
    primary = [e for e in new_events if not e.kind.startswith("message_") and e.actor_id != "bot"]
    for change in primary:
        assert poster is not None and change.actor_id == poster.id, (change, poster)
        action = (change.data or {}).get("action")
        if change.kind == "task_changed" and action in {a.value for a in Action}:
            assert decide(poster, Action(action), before, spec_of(library, change.task_key)), (poster, change)
        elif change.kind in MUTATING:
            assert decide(poster, MUTATING[change.kind], before), (poster, change)
        else:  # readiness flowing on, completion: only as a consequence of an allowed change
            assert any(e.kind == "task_changed" and (e.data or {}).get("action") != "flow" for e in primary), change


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveApp, Project]]:
    app = LiveApp(Path(tmp_path_factory.mktemp("hostile")),
                  env={"PM_AAD_IDS": f"{PM.aad_object_id},{OTHER_PM.aad_object_id}"})
    project = app.run(started_project, app.harness)
    yield app, project
    app.close()


async def _one_example(live: LiveApp, project: Project, activity: dict[str, Any]) -> str:
    harness = live.harness
    store = harness.runtime.store
    before_doc, before_events = await project_snapshot(harness, project.id)
    projects_before = {p.id for p in (await store.list_projects(ProjectQuery(), page_size=100)).items}
    start = len(harness.standin.delivered)
    status, body = await harness.post(activity)
    assert status < 500, (status, body, activity)
    after_doc, after_events = await project_snapshot(harness, project.id)
    poster = poster_of(activity, live)
    if after_events != before_events:
        events = (await store.project_events(project.id))[len(before_events):]
        check_events_were_authorized(live, before_doc, events, poster)
    elif after_doc != before_doc:
        # No event, yet the document moved: only a PM's digest post may do that.
        assert poster is not None and decide(poster, Action.DIGEST, (await harness.runtime.service.load(project.id))), poster
    for created in {p.id for p in (await store.list_projects(ProjectQuery(), page_size=100)).items} - projects_before:
        first = (await store.project_events(created))[0]
        assert first.kind == "project_created" and poster is not None and poster.is_staff_pm and first.actor_id == poster.id
    outsider = poster is None or (poster.tenant_id != TENANT and not poster.is_staff_pm)
    if outsider:
        seen = texts_of([body, delivered_since(harness, start)])
        own_name = str((activity.get("from") or {}).get("name")) if isinstance(activity.get("from"), dict) else ""
        for secret in set(project.secrets) - {own_name}:  # replies address the sender by their own name
            assert secret not in seen, (secret, activity)
    changed = "changed the project" if after_events != before_events or after_doc != before_doc else "no change"
    return f"HTTP {status}, {changed}, {'outsider' if outsider else 'insider'}"


@settings(max_examples=150, deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_activities_never_5xx_never_unauthorized_changes_never_leak(live: tuple[LiveApp, Project],
                                                                              data: st.DataObject) -> None:
    app, project = live
    activity = data.draw(activities(project.id, app.harness.service_url))
    outcome = app.run(_one_example, app, project, activity)
    event(outcome)  # see --hypothesis-show-statistics
