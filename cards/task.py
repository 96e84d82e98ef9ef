"""The task card: one activation step, its owners, due date, state and the actions the
reader may take. Owners and the PM get a refreshed view with buttons (Universal Actions,
`refresh.userIds`); everyone else sees it read-only."""

from __future__ import annotations

from bot.domain.authorization import Action
from bot.domain.catalogue import t
from cards.base import Card, Element, bullets, card, execute, facts, heading, open_url, show_card, text, title
from cards.documents import document_elements
from cards.glossary import with_terms
from cards.plan import pm_menu_actions, thread_blocks
from cards.views import TaskView

MAX_ACTIONS = 5
_STATE_COLOR = {"done": "Good", "blocked": "Attention", "not_applicable": "Default", "reopened": "Warning"}
_LABEL_KEY = {
    Action.CONFIRM: "task.confirm",
    Action.CONFIRM_ON_BEHALF: "task.on_behalf",
    Action.UNBLOCK: "task.unblock",
    Action.NOT_APPLICABLE: "task.na",
    Action.REOPEN: "task.reopen",
}


def action_data(view: TaskView) -> dict[str, object]:
    """Card data carries only opaque ids: the server reloads everything else."""
    return {"p": view.project_id, "k": view.key, "r": view.rev}


def task_card(view: TaskView) -> Card:
    """What to do, when it is due and its state first (the primary button is the card's first
    action); then what to expect; the phase, owners, effort and confirmers, and the guidance,
    after a separator, as detail. A new section goes in `body` just before that separator."""
    lang = view.language
    body: list[Element] = [
        text(f"{view.customer_name} · {view.product_name}", subtle=True),
        title(view.title),
        {"type": "TextBlock", "text": f"{t('task.due', lang)}: {view.due} · {view.state_label}", "wrap": True,
         "weight": "Bolder", "spacing": "Small", **({"color": _STATE_COLOR[view.state.value]} if view.state.value in _STATE_COLOR else {})},
    ]
    if view.notice:
        body.insert(0, text(view.notice, color="Warning"))
    if view.history:
        body.append(text(view.history, color=_STATE_COLOR.get(view.state.value), subtle=view.state.value == "ready"))
    if view.source_title:
        body.append(text(view.source_title))
    body += [heading(t("task.expect", lang)), text(view.description)]
    if view.checks:
        body += [heading(t("task.checks", lang)), bullets(view.checks)]
    body += document_elements(view.documents)  # issue 16
    if view.plan is not None:  # the PM's thread on the task (issue 18)
        body += thread_blocks(view.plan)
    details: list[Element] = [facts([
        (t("task.phase", lang), view.phase_title),
        *[(role, names) for role, names in view.owners],
        *([(t("task.effort", lang), view.effort)] if view.effort else []),
        (t("task.confirmers", lang), view.confirmers),
    ])]
    if view.guidance:
        details += [heading(t("task.guidance", lang)), bullets(view.guidance)]
    body.append({"type": "Container", "separator": True, "spacing": "Medium", "items": details})
    data = action_data(view)
    actions = []
    for action in view.actions:
        if action is Action.BLOCK:
            reason_input = {
                "type": "Input.Text",
                "id": "reason",
                "label": t("task.block.reason", lang),
                "isMultiline": True,
                "maxLength": 500,
                "isRequired": True,
                "errorMessage": t("refused.reason_required", lang),
            }
            actions.append(show_card(t("task.block", lang), [reason_input],
                                     [execute("block", t("task.block.send", lang), data, associated_inputs="auto")]))
        else:
            style = "positive" if action in (Action.CONFIRM, Action.CONFIRM_ON_BEHALF) else None
            actions.append(execute(action.value, t(_LABEL_KEY[action], lang), data, style=style))
    if view.plan is not None:  # the PM menu and "Ask a question" (cards/plan.py)
        actions += pm_menu_actions(view.plan)
    if not view.actions and view.state.value in ("ready", "reopened", "blocked"):
        body.append(text(t("task.readonly", lang), subtle=True))
    # Teams shows at most 5 actions: links fill what the task actions leave, the rest go in the body.
    room = max(0, MAX_ACTIONS - len(actions))
    actions += [open_url(_link_label(url), url) for url in view.links[:room]]
    if len(view.links) > room:
        body += [heading(t("task.links", lang)), bullets([f"[{_link_label(u)}]({u})" for u in view.links[room:]])]
    refresh = {
        "action": {"type": "Action.Execute", "verb": "refresh", "data": data},
        "userIds": view.refresh_user_ids,
    }
    mentions = [
        {"type": "mention", "text": f"<at>{m.name}</at>", "mentioned": {"id": m.id, "name": m.name}} for m in view.mentions
    ]
    # issue 17: each abbreviation the card uses, spelled out in a footer
    return with_terms(card(body, actions, refresh=refresh, mentions=mentions or None, fallback_text=view.title), lang)


def _link_label(url: str) -> str:
    host = url.split("/")[2] if url.count("/") >= 2 else url
    return host.removeprefix("www.")[:40]
