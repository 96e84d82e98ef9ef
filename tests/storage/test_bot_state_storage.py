"""botbuilder Storage semantics of StoreBackedBotState, on every store, and a real dialog round."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core import ConversationState, MessageFactory, StoreItem, TurnContext, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogSet, DialogTurnStatus, WaterfallDialog, WaterfallStepContext
from botbuilder.dialogs.prompts import PromptOptions, TextPrompt

from bot.storage.contract import ConcurrencyConflict, Store, user_key
from bot.teams.state_storage import BotStateConflict, StoreBackedBotState


class Counter(StoreItem):
    def __init__(self, **kwargs: Any) -> None:
        self.count = 0
        self.names: list[str] = []
        self.e_tag: str | None = None
        super().__init__(**kwargs)


@pytest.mark.asyncio
async def test_reading_missing_keys_returns_nothing(store: Store) -> None:
    storage = StoreBackedBotState(store)
    assert await storage.read(["missing", "also/missing"]) == {}
    assert await storage.read([]) == {}


@pytest.mark.asyncio
async def test_a_store_item_round_trips_as_its_own_class_with_an_etag(store: Store) -> None:
    storage = StoreBackedBotState(store)
    await storage.write({"msteams/users/29:a": Counter(count=3, names=["ana", "bo"])})

    found = await storage.read(["msteams/users/29:a", "other"])

    assert list(found) == ["msteams/users/29:a"]
    item = found["msteams/users/29:a"]
    assert isinstance(item, Counter)
    assert (item.count, item.names) == (3, ["ana", "bo"])
    assert isinstance(item.e_tag, str) and item.e_tag
    raw = await store.read_document(user_key("botstate", "msteams/users/29:a"))
    assert raw is not None and "e_tag" not in raw.value["state"]


@pytest.mark.asyncio
async def test_a_dict_round_trips_with_an_etag(store: Store) -> None:
    storage = StoreBackedBotState(store)
    await storage.write({"k": {"answer": 42, "nested": {"list": [1, "two"]}}})

    found = (await storage.read(["k"]))["k"]

    assert found.pop("e_tag")
    assert found == {"answer": 42, "nested": {"list": [1, "two"]}}


@pytest.mark.asyncio
async def test_the_etag_is_honoured_and_a_stale_one_raises(store: Store) -> None:
    storage = StoreBackedBotState(store)
    await storage.write({"k": {"v": 1}})
    first = (await storage.read(["k"]))["k"]
    second = (await storage.read(["k"]))["k"]
    stale_etag = first["e_tag"]

    first["v"] = 2
    await storage.write({"k": first})  # current etag: accepted
    assert first["e_tag"] != stale_etag  # and the item now carries the new version
    first["v"] = 3
    await storage.write({"k": first})  # so a second save in the same turn is not refused

    second["v"] = 99
    with pytest.raises(KeyError):
        await storage.write({"k": second})
    with pytest.raises(ConcurrencyConflict):
        await storage.write({"k": {"v": 100, "e_tag": stale_etag}})
    stored = (await storage.read(["k"]))["k"]
    assert stored["v"] == 3


@pytest.mark.asyncio
async def test_star_overwrites_and_an_empty_etag_is_refused(store: Store) -> None:
    storage = StoreBackedBotState(store)
    await storage.write({"k": Counter(count=1)})
    stale = (await storage.read(["k"]))["k"]
    await storage.write({"k": Counter(count=2)})  # no e_tag: unconditional

    with pytest.raises(BotStateConflict):
        await storage.write({"k": stale})
    await storage.write({"k": Counter(count=5, e_tag="*")})
    assert (await storage.read(["k"]))["k"].count == 5

    with pytest.raises(Exception, match="etag missing"):
        await storage.write({"k": {"v": 1, "e_tag": ""}})
    with pytest.raises(Exception, match="required"):
        await storage.write(None)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_delete_removes_keys_and_ignores_missing_ones(store: Store) -> None:
    storage = StoreBackedBotState(store)
    await storage.write({"a": {"v": 1}, "b": {"v": 2}})

    await storage.delete(["a", "never-written"])

    assert list(await storage.read(["a", "b"])) == ["b"]


def build_bot(storage: StoreBackedBotState) -> tuple[Any, ConversationState, UserState]:
    """A real botbuilder bot: a waterfall asks a name, remembers it in user state."""
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    dialog_state = conversation_state.create_property("DialogState")
    profile_property = user_state.create_property("Profile")
    dialogs = DialogSet(dialog_state)

    async def ask_name(step: WaterfallStepContext) -> Any:
        return await step.prompt("name", PromptOptions(prompt=MessageFactory.text("What is your name?")))

    async def ask_city(step: WaterfallStepContext) -> Any:
        step.values["name"] = step.result
        return await step.prompt("name", PromptOptions(prompt=MessageFactory.text(f"Where do you live, {step.result}?")))

    async def remember(step: WaterfallStepContext) -> Any:
        profile = await profile_property.get(step.context, dict)
        profile.update(name=step.values["name"], city=step.result)
        visits = profile.get("visits", 0) + 1
        profile["visits"] = visits
        await step.context.send_activity(f"Hello {profile['name']} from {profile['city']} ({visits})")
        return await step.end_dialog()

    dialogs.add(TextPrompt("name"))
    dialogs.add(WaterfallDialog("main", [ask_name, ask_city, remember]))

    async def logic(context: TurnContext) -> None:
        dialog_context = await dialogs.create_context(context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("main")
        await conversation_state.save_changes(context)
        await user_state.save_changes(context)

    return logic, conversation_state, user_state


@pytest.mark.asyncio
async def test_a_waterfall_dialog_persists_through_the_store_between_turns(store: Store) -> None:
    storage = StoreBackedBotState(store)

    # Every turn runs on a new adapter and new state objects: only the store carries state.
    logic, _, _ = build_bot(storage)
    await TestAdapter(logic).test("hi", "What is your name?")
    logic, _, _ = build_bot(storage)
    await TestAdapter(logic).test("Ana", "Where do you live, Ana?")

    template = TestAdapter(logic).template
    conversation_key = "/".join((str(template.channel_id), "conversations", template.conversation.id))  # as botbuilder
    user_key_ = "/".join((str(template.channel_id), "users", template.from_property.id))
    dialog_doc = await store.read_document(user_key("botstate", conversation_key))
    assert dialog_doc is not None
    assert "DialogState" in dialog_doc.value["state"]  # jsonpickled DialogState in the store

    logic, _, _ = build_bot(storage)
    await TestAdapter(logic).test("Lisbon", "Hello Ana from Lisbon (1)")

    users = await storage.read([user_key_])
    assert users[user_key_]["Profile"] == {"name": "Ana", "city": "Lisbon", "visits": 1}

    # A second conversation with the same user builds on the stored profile.
    logic, _, _ = build_bot(storage)
    adapter = TestAdapter(logic)
    flow = await adapter.test("hello again", "What is your name?")
    flow = await flow.test("Ana", "Where do you live, Ana?")
    await flow.test("Porto", "Hello Ana from Porto (2)")
