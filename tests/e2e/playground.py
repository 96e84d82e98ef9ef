"""Driving the Microsoft 365 Agents Playground end to end, offline.

Three real parts, each with its own record of what happened:

- the bot, in this process (`create_app` on an aiohttp runner in a thread with its own event
  loop, on the embedded store), so a test reads `Runtime.received`, the bot's own record of
  every activity it was sent, and its store;
- the Playground (npm `@microsoft/m365agentsplayground`), a Node process bound to loopback
  (`loopback.cjs`), telemetry off, its proxies pointed at a dead loopback port, with events
  recording on: every request between it and the bot, both ways, lands in a file
  (`Recording`) — what the bot sent to whom, including the 1:1 chats of users the page
  cannot show;
- the page: Debian's Chromium driven by Playwright, every non-local request refused.

The Playground shows one signed-in user (Alex Wilber, the PM) and cannot switch users or
locales: activities from other people, or in Spanish, go in through its own custom-activity
editor ("Mock an Activity" > "Custom activity"), shaped as Teams sends them. (One exception:
the editor cannot send an @mention, see `TeamsPage.custom_activity`.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
CONFIG = E2E_DIR / ".m365agentsplayground.yml"
LOOPBACK_SHIM = E2E_DIR / "loopback.cjs"
PLAYGROUND_CLI = ROOT / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--metrics-recording-only",
]
# Everything but loopback. A pattern (not a Python function) is matched by Playwright's driver,
# so loopback requests are never paused: a paused request waits for the Python side to handle
# it, which the sync API does only inside a Playwright call, not while a test polls the bot.
NOT_LOOPBACK = re.compile(r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost)(?::\d+)?(?:/|$)|data:|blob:|about:)")


# -- the Playground's mock tenant (.m365agentsplayground.yml) -----------------------------------
@dataclass(frozen=True)
class PlaygroundUser:
    id: str  # the channel account id the Playground uses
    name: str
    aad_object_id: str

    def account(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}


TENANT = "00000000-0000-0000-0000-0000000000001"
BOT = PlaygroundUser("00000000-0000-0000-0000-00000000000011", "Activation Bot", "")
ALEX = PlaygroundUser("user-id-0", "Alex Wilber", "00000000-0000-0000-0000-0000000000020")  # signed in; the PM
MEGAN = PlaygroundUser("user-id-1", "Megan Bowen", "00000000-0000-0000-0000-0000000000021")
ADELE = PlaygroundUser("user-id-2", "Adele Vance", "00000000-0000-0000-0000-0000000000022")
ISAIAH = PlaygroundUser("user-id-3", "Isaiah Langer", "00000000-0000-0000-0000-0000000000023")
PATTI = PlaygroundUser("user-id-4", "Patti Fernandez", "00000000-0000-0000-0000-0000000000024")
LYNNE = PlaygroundUser("user-id-5", "Lynne Robbins", "00000000-0000-0000-0000-0000000000025")
USERS = (ALEX, MEGAN, ADELE, ISAIAH, PATTI, LYNNE)
PERSONAL_CHAT = "personal-chat-alex"  # conversation ids
GROUP_CHAT = "group-chat-contoso"
TEAM = "team-contoso-activations"  # also the General channel's conversation id
PORTING_CHANNEL = "channel-porting"
GENERAL, PERSONAL = "General", "Personal Chat"  # names in the Playground's conversation tree
CONVERSATION_IDS = {GENERAL: TEAM, PERSONAL: PERSONAL_CHAT, "Porting": PORTING_CHANNEL}


def check_config() -> list[str]:
    """The YAML and the constants above must agree (no YAML parser is pinned: plain text)."""
    text = CONFIG.read_text(encoding="utf-8")
    wanted = [TENANT, BOT.id, BOT.name, PERSONAL_CHAT, GROUP_CHAT, TEAM, PORTING_CHANNEL]
    wanted += [value for user in USERS for value in (user.id, user.name, user.aad_object_id)]
    return [f"{CONFIG.name} does not contain {value!r}" for value in wanted if value not in text]


# -- prerequisites and offline plumbing ---------------------------------------------------------
def missing_prerequisites() -> list[str]:
    problems = check_config()
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"Chromium is not installed at {CHROMIUM}: run `bash scripts/setup.sh --dev` "
                        "(it runs `apt-get install chromium`); set E2E_CHROMIUM for another path")
    node = shutil.which("node")
    if node is None:
        problems.append("Node.js 20+ is not on PATH: the Agents Playground runs on it (install nodejs 20)")
    else:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        match = re.match(r"v(\d+)", version)
        if not match or int(match.group(1)) < 20:
            problems.append(f"Node.js 20+ is required for the Agents Playground, found {version or 'unknown'}")
    if not PLAYGROUND_CLI.is_file():
        problems.append(f"the Agents Playground npm package is missing ({PLAYGROUND_CLI.relative_to(ROOT)}): "
                        "run `npm install` (or `bash scripts/setup.sh --dev`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the `playwright` Python package is missing: `pip install -r requirements-dev.txt`")
    return problems


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def dead_port() -> Iterator[int]:
    """A loopback port bound but never listening: connections to it are refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def offline_env(dead: int) -> dict[str, str]:
    """Proxies at a dead loopback port, loopback exempt: whatever honours them cannot leave."""
    proxy = f"http://127.0.0.1:{dead}"
    env = {name: proxy for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}
    env.update(no_proxy="127.0.0.1,localhost,::1", NO_PROXY="127.0.0.1,localhost,::1")
    return env


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# -- the bot, in process --------------------------------------------------------------------------
class InProcessBot:
    """`bot.app.create_app` served on 127.0.0.1 by an aiohttp runner in a thread of its own."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        from bot.config import Settings

        values = {
            "ALLOW_ANONYMOUS": "1", "DATA_DIR": str(data_dir), "PM_AAD_IDS": ALEX.aad_object_id, "SCHEDULER": "0",
            "SEND_INTERVAL": "0.2", "TENANT_SEND_RATE": "50", "LOG_LEVEL": "INFO",
        }
        values.update(env)
        self.settings = Settings.from_env(values)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="e2e-bot", daemon=True)
        self._runner: Any = None
        self.app: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    @property
    def runtime(self) -> Any:
        from bot.app import RUNTIME_KEY

        return self.app[RUNTIME_KEY]

    def start(self) -> None:
        self._thread.start()
        self.call(self._start())

    async def _start(self) -> None:
        from aiohttp import web

        from bot.app import create_app

        self.app = create_app(self.settings, scheduler=False)
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    def call(self, coroutine: Any, timeout: float = 60) -> Any:
        """Run a coroutine on the bot's loop (its store and service live there)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def received(self) -> list[dict[str, Any]]:
        return list(self.runtime.received)

    def post(self, activity: dict[str, Any]) -> int:
        """POST an activity straight to /api/messages, as the Teams service would; its
        serviceUrl decides where the replies go (the Playground's connector, to be drawn)."""
        request = urllib.request.Request(self.url, data=json.dumps(activity).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)

    def wait_received(self, predicate: Callable[[dict[str, Any]], bool], what: str, timeout: float = 30) -> dict[str, Any]:
        try:
            return wait_until(lambda: next((a for a in self.received() if predicate(a)), None), timeout, what)
        except AssertionError:
            seen = [describe(a) for a in self.received()]
            raise AssertionError(f"the bot never received {what}; it received:\n  " + "\n  ".join(seen)) from None

    def settle(self) -> None:
        """Wait for the bot's deferred work (outbox deliveries) to finish."""
        self.call(self.runtime.settle())

    def project_for(self, conversation_id: str) -> Any:
        async def load() -> Any:
            project_id = await self.runtime.service.project_for_conversation(conversation_id)
            return await self.runtime.service.load(project_id) if project_id else None

        return self.call(load())

    def stop(self) -> None:
        if self._runner is not None:
            with contextlib.suppress(Exception):
                self.call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


def describe(activity: dict[str, Any]) -> str:
    value = activity.get("value") if isinstance(activity.get("value"), dict) else {}
    verb = ((value or {}).get("action") or {}).get("verb") or (value or {}).get("verb") or ""
    return " ".join(str(x) for x in (
        activity.get("type"), activity.get("name") or "", verb, (activity.get("from") or {}).get("id"),
        (activity.get("conversation") or {}).get("id"), activity.get("locale") or "", repr((activity.get("text") or "")[:60]),
    ) if x)


def text_of(activity: dict[str, Any]) -> str:
    """A message's text without its <at>mention</at>."""
    return re.sub(r"<at>.*?</at>", "", activity.get("text") or "").strip()


# -- the Playground process and its own records ---------------------------------------------------
@dataclass
class Exchange:
    """One request between the Playground and the bot, as the Playground recorded it."""

    direction: str  # "Microsoft 365 Agents Playground -> User Application" or the reverse
    name: str  # message, invoke, createConversation, getConversationPagedMembers, ...
    method: str
    url: str
    body: dict[str, Any]
    status: int
    response: Any

    @property
    def from_bot(self) -> bool:
        return self.direction.startswith("User Application")

    @property
    def conversation_id(self) -> str:
        match = re.search(r"/v3/conversations/([^/?]+)", self.url)
        if match:
            return unquote(match.group(1))
        return str((self.body.get("conversation") or {}).get("id") or "")

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [a.get("content") or {} for a in self.body.get("attachments") or []
                if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]

    @property
    def message_id(self) -> str:
        """The id the Playground gave the message (a card action replies to it)."""
        if self.method == "PUT":
            return self.url.rsplit("/", 1)[-1]
        return str((self.response or {}).get("id") or "") if isinstance(self.response, dict) else ""


class Recording:
    """The Playground's events recording (--enable-events-recording): JSON blocks split by ---."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exchanges(self) -> list[Exchange]:
        if not self.path.exists():
            return []
        found = []
        for block in self.path.read_text(encoding="utf-8", errors="replace").split("\n---\n"):
            if not block.strip():
                continue
            try:
                item = json.loads(block)
            except ValueError:
                continue  # being written
            request = item.get("request") or {}
            response = item.get("response") or {}
            found.append(Exchange(item.get("direction", ""), item.get("activityName") or "", request.get("method") or "",
                                  request.get("url") or "", request.get("body") if isinstance(request.get("body"), dict) else {},
                                  int(response.get("statusCode") or 0), response.get("body")))
        return found

    def bot_messages(self, conversation_id: str | None = None) -> list[Exchange]:
        """What the bot posted (POST) or updated (PUT), oldest first, optionally in one conversation."""
        return [e for e in self.exchanges() if e.from_bot and e.method in ("POST", "PUT") and "/activities" in e.url
                and (conversation_id is None or e.conversation_id.split(";")[0] == conversation_id)]

    def personal_conversation_of(self, user: PlaygroundUser) -> str | None:
        """The 1:1 chat the bot opened with a user (createConversation)."""
        for exchange in self.exchanges():
            members = exchange.body.get("members") or []
            if exchange.name == "createConversation" and members and members[0].get("id") == user.id:
                return str((exchange.response or {}).get("id") or "") or None
        return None

    def task_cards(self, conversation_id: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """Task key -> (message id, newest card) for every task card the bot sent to a conversation."""
        cards: dict[str, tuple[str, dict[str, Any]]] = {}
        for exchange in self.bot_messages(conversation_id):
            for card in exchange.cards:
                data = ((card.get("refresh") or {}).get("action") or {}).get("data") or {}
                if "k" in data:
                    cards[data["k"]] = (exchange.message_id, card)
        return cards

    def count_cards(self, conversation_id: str, *texts: str) -> int:
        """How many cards holding every text (markdown aside) the bot sent to a conversation:
        posts, updates, and cards answering a card action (they replace the clicked card)."""
        wanted = [t.lower() for t in texts]
        cards = [card for exchange in self.bot_messages(conversation_id) for card in exchange.cards]
        for exchange in self.exchanges():
            value = exchange.response.get("value") if isinstance(exchange.response, dict) else None
            if exchange.name == "invoke" and isinstance(value, dict) and exchange.conversation_id.split(";")[0] == conversation_id:
                cards.append(value)
        return sum(all(text in json.dumps(card, ensure_ascii=False).replace("**", "").lower() for text in wanted) for card in cards)

    def wait(self, check: Callable[[Recording], Any], what: str, timeout: float = 30) -> Any:
        return wait_until(lambda: check(self), timeout, f"{what} (in the Playground's events recording)")


class Playground:
    """The Agents Playground as a child process, on loopback, against the bot's endpoint."""

    def __init__(self, workdir: Path, bot_url: str, dead: int) -> None:
        self.workdir = workdir
        self.bot_url = bot_url
        self.dead = dead
        self.port = 0
        self.process: subprocess.Popen[str] | None = None
        self.log_file = workdir / "devTools" / "m365agentsplayground.log"
        self.recording = Recording(workdir / "devTools" / "events.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        return f"{self.url}/_connector"

    def start(self, attempts: int = 3) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(attempts):
            wanted = free_port()
            listening = self._launch(wanted)
            if listening == wanted:
                self.port = wanted
                return
            self.stop()  # the port was taken meanwhile and silently replaced: the service URL would be wrong
        raise AssertionError(f"the Agents Playground did not start on a free port in {attempts} attempts; "
                             f"its log:\n{self.log_text()}")

    def _launch(self, port: int) -> int | None:
        node = shutil.which("node") or "node"
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(offline_env(self.dead))
        env.update(
            TEAMSAPPTESTER_BROWSER="none",
            APPLICATION_INSIGHTS_NO_STATSBEAT="1",
            APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL="true",
            M365_AGENTS_PLAYGROUND_CONFIG_PATH=str(CONFIG),
            M365_AGENTS_PLAYGROUND_LOGFILE=str(self.log_file),
            M365_AGENTS_PLAYGROUND_RECORDING_FILE=str(self.recording.path),
        )
        command = [node, "-r", str(LOOPBACK_SHIM), str(PLAYGROUND_CLI), "--disable-telemetry", "--enable-events-recording",
                   "-p", str(port), "--service-url", f"http://127.0.0.1:{port}/_connector", "-e", self.bot_url, "-c", "msteams"]
        self.process = subprocess.Popen(command, cwd=self.workdir, env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(self.process.stdout or []), daemon=True)  # type: ignore[union-attr]
        reader.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for line in list(lines):
                match = re.match(r"Listening on (\d+)", line)
                if match:
                    time.sleep(0.3)  # a bad config prints "Listening" and then exits
                    if self.process.poll() is not None:
                        raise AssertionError(f"the Agents Playground exited at start; its log:\n{self.log_text()}")
                    return int(match.group(1))
            if self.process.poll() is not None:
                raise AssertionError(f"the Agents Playground exited at start ({self.process.returncode}); "
                                     f"output: {''.join(lines)}\nits log:\n{self.log_text()}")
            time.sleep(0.1)
        raise AssertionError(f"the Agents Playground did not say 'Listening on' within 60 s; its log:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")[-4000:] if self.log_file.exists() else "(no log file)"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None


# -- activities the Teams client would send, for the custom-activity editor ----------------------
def _client_info(locale: str) -> dict[str, Any]:
    country = locale.split("-")[-1] if "-" in locale else ""
    return {"type": "clientInfo", "locale": locale, "country": country, "platform": "Web", "timezone": "UTC"}


def message_activity(user: PlaygroundUser, conversation_id: str, text: str, service_url: str, *,
                     locale: str = "en-US", kind: str = "personal") -> dict[str, Any]:
    """A message as Teams sends it; in a channel it @mentions the bot, as it must there."""
    conversation: dict[str, Any] = {"id": conversation_id, "conversationType": kind, "tenantId": TENANT}
    channel_data: dict[str, Any] = {"tenant": {"id": TENANT}}
    entities: list[dict[str, Any]] = [_client_info(locale)]
    if kind == "channel":
        conversation["isGroup"] = True
        channel_data.update(team={"id": TEAM}, channel={"id": conversation_id.split(";")[0]})
        mention = f"<at>{BOT.name}</at>"
        text = f"{mention} {text}"
        entities.append({"type": "mention", "text": mention, "mentioned": {"id": BOT.id, "name": BOT.name}})
    return {
        "type": "message", "id": f"e2e-{uuid.uuid4().hex[:12]}", "timestamp": datetime.now(UTC).isoformat(),
        "channelId": "msteams", "serviceUrl": service_url, "from": user.account(), "recipient": {"id": BOT.id, "name": BOT.name},
        "conversation": conversation, "channelData": channel_data, "locale": locale, "entities": entities,
        "text": text, "textFormat": "plain",
    }


def card_action_activity(user: PlaygroundUser, conversation_id: str, verb: str, data: dict[str, Any], service_url: str, *,
                         reply_to: str, locale: str = "en-US") -> dict[str, Any]:
    """The adaptiveCard/action invoke Teams sends when `user` presses an Action.Execute button."""
    return {
        "type": "invoke", "name": "adaptiveCard/action", "id": f"e2e-{uuid.uuid4().hex[:12]}",
        "timestamp": datetime.now(UTC).isoformat(), "channelId": "msteams", "serviceUrl": service_url,
        "from": user.account(), "recipient": {"id": BOT.id, "name": BOT.name},
        "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}, "source": {"name": "message"}}, "locale": locale,
        "entities": [_client_info(locale)], "replyToId": reply_to,
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
    }


def execute_actions(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """verb -> data of every Action.Execute on a card, ShowCards included."""
    found: dict[str, dict[str, Any]] = {}

    def walk(actions: list[dict[str, Any]]) -> None:
        for action in actions:
            if action.get("type") == "Action.Execute":
                found[action["verb"]] = dict(action.get("data") or {})
            elif action.get("type") == "Action.ShowCard":
                walk((action.get("card") or {}).get("actions") or [])

    walk(card.get("actions") or [])
    return found


# -- the page ---------------------------------------------------------------------------------------
def launch_chromium(playwright: Any, dead: int) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_FLAGS, f"--proxy-server=http://127.0.0.1:{dead}"],  # loopback bypasses it
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "card"


@dataclass
class TeamsPage:
    """The Playground's web client, the way a person uses it: conversations, posts, cards."""

    page: Any
    artifacts: Path
    current: str = ""
    visited: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # retries and other flakiness, kept as an artifact
    recording: Recording | None = None  # the Playground's, to tell its drawing bug from the bot's
    _shots: int = 0

    @classmethod
    def open(cls, context: Any, url: str, artifacts: Path) -> TeamsPage:
        page = context.new_page()
        page.set_default_timeout(30_000)
        driver = cls(page, artifacts)

        def refuse(route: Any) -> None:
            driver.blocked.append(route.request.url)
            route.abort()

        context.route(NOT_LOOPBACK, refuse)
        page.goto(url)
        page.get_by_text("Connected.", exact=False).first.wait_for(timeout=60_000)
        driver.current = PERSONAL  # the Playground opens on the personal chat
        driver.visited.append(PERSONAL)
        return driver

    # conversations
    def go(self, name: str, timeout: float = 30) -> None:
        """Open a conversation. Cards are redrawn: inputs typed into an open card are lost."""
        self.page.get_by_role("treeitem", name=name).first.click(timeout=timeout * 1000)
        self.current = name
        if name not in self.visited:
            self.visited.append(name)
        self.page.wait_for_timeout(300)

    def redraw(self) -> None:
        name = self.current
        other = GENERAL if name != GENERAL else PERSONAL
        self.go(other)
        self.go(name)

    def post(self, text: str, *, mention: bool = True) -> None:
        """Start a new post in the open channel, @mentioning the bot first (Teams needs it)."""
        editor = self.page.locator('[data-lexical-editor="true"]').first  # "Start a new post" is the first
        editor.click()
        if mention:
            self.page.keyboard.type("@" + BOT.name[:5])
            self.page.get_by_role("menuitem", name=BOT.name).click()
            self.page.keyboard.type(" ")
        self.page.keyboard.type(text)
        self.page.get_by_role("button", name="Post", exact=True).click()

    def say(self, text: str) -> None:
        """Type a message in the open chat and press Enter."""
        editor = self.page.locator('[data-lexical-editor="true"]').last
        editor.click()
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")

    # cards
    def cards(self, *texts: str) -> Any:
        locator = self.page.locator(".ac-adaptiveCard")
        for text in texts:
            locator = locator.filter(has_text=text)
        return locator

    def wait_card(self, *texts: str, label: str = "", timeout: float = 20, resend: Callable[[], None] | None = None,
                  fresh_than: int = 0, must_draw: bool = False) -> Any | None:
        """The newest card holding every text, once drawn (and a screenshot of it).

        Rarely (about 1 post in 45) the Playground records a message it never draws. Then:
        redraw the conversation; for a command (`resend`), send it once more. If it is still not
        drawn but the Playground's own recording shows the bot sent it here, that is the
        Playground's drawing bug, not the bot's: it is noted in flakiness.txt and None is
        returned, unless the test needs the card itself (`must_draw`)."""
        locator = self.cards(*texts)

        def drawn(seconds: float) -> bool:
            try:
                wait_until(lambda: locator.count() > fresh_than, seconds, "card", interval=0.25)
                return True
            except AssertionError:
                return False

        if not drawn(timeout):
            self.notes.append(f"{time.strftime('%H:%M:%S')} card {texts} not drawn after {timeout:.0f} s in {self.current}: redraw")
            self.redraw()
            if not drawn(10) and resend is not None:
                self.notes.append(f"{time.strftime('%H:%M:%S')} card {texts} still not drawn: sending the command again")
                resend()
                drawn(timeout)
        if locator.count() <= fresh_than:
            self.snap_page(f"missing-{_slug(' '.join(texts))}")
            conversation = CONVERSATION_IDS.get(self.current, "")
            if not must_draw and self.recording is not None and self.recording.count_cards(conversation, *texts) > fresh_than:
                self.notes.append(f"{time.strftime('%H:%M:%S')} card {texts}: sent by the bot (Playground recording, "
                                  f"{conversation}) but never drawn by the Playground")
                return None
            raise AssertionError(f"no card with {texts!r} drawn in {self.current!r} (retried); see {self.artifacts}")
        card = self.newest(locator)
        self.snap(card, label or " ".join(texts))
        return card

    def newest(self, locator: Any) -> Any:
        """Channels list new posts first; chats list them last."""
        return locator.first if self.current in (GENERAL, "Porting") else locator.last

    def shown(self, locator: Any, timeout: float = 10) -> Any:
        """Wait until a locator is visible (cards draw their buttons a moment after their text)."""
        locator.wait_for(state="visible", timeout=timeout * 1000)
        return locator

    def wait_text(self, text: str, timeout: float = 20) -> bool:
        """Wait for a text message; False (noted) if the Playground never draws it."""
        try:
            self.page.get_by_text(text, exact=False).first.wait_for(timeout=timeout * 1000)
            return True
        except Exception:  # playwright's TimeoutError
            self.notes.append(f"{time.strftime('%H:%M:%S')} text {text!r} not drawn in {self.current}")
            return False

    def snap(self, locator: Any, label: str) -> Path:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self._shots += 1
        path = self.artifacts / f"{self._shots:02d}-{_slug(self.current)}-{_slug(label)}.png"
        with contextlib.suppress(Exception):
            locator.screenshot(path=str(path), animations="disabled")
        return path

    def snap_page(self, label: str) -> None:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            self.page.screenshot(path=str(self.artifacts / f"page-{_slug(self.current)}-{_slug(label)}.png"))

    def snap_every_card(self) -> None:
        """A screenshot of every card in every conversation this test opened."""
        for _ in range(2):  # close whatever a failing test left open (menus, the activity editor)
            with contextlib.suppress(Exception):
                self.page.keyboard.press("Escape")
        for name in list(self.visited):
            with contextlib.suppress(Exception):
                self.go(name, timeout=5)
                cards = self.page.locator(".ac-adaptiveCard")
                for index in range(cards.count()):
                    card = cards.nth(index)
                    title = (card.inner_text(timeout=5_000).strip().splitlines() or ["card"])[0]
                    self.snap(card, f"all-{index:02d}-{title}")

    # Teams-like actions the Playground offers
    def _editor(self, item: str) -> Any:
        """'Mock an Activity' > item: the Playground opens its activity editor, prefilled."""
        self.page.get_by_text("Mock an Activity").click()
        # the items' accessible names are the handler names (aria-label): match the visible text
        self.page.get_by_role("menuitem").filter(has_text=re.compile(f"^{re.escape(item)}$")).click()
        dialog = self.page.get_by_role("dialog")
        dialog.get_by_role("button", name="Send activity").wait_for()
        return dialog

    def mock(self, item: str) -> None:
        """Send one of the Playground's mock events (e.g. 'Install application') as it prefills it."""
        dialog = self._editor(item)
        dialog.get_by_role("button", name="Send activity").click()
        dialog.wait_for(state="detached", timeout=15_000)

    def custom_activity(self, activity: dict[str, Any]) -> None:
        """Send an activity through the Playground's custom-activity editor (Monaco). A paste
        keeps the JSON as it is: typing would auto-close brackets. The editor takes any activity
        with a `mention` entity for a Word comment notification and asks for a form instead: send
        @mentions with `InProcessBot.post`."""
        assert not any(e.get("type") == "mention" for e in activity.get("entities") or []), "use InProcessBot.post"
        dialog = self._editor("Custom activity")
        dialog.locator(".monaco-editor").click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        dialog.locator("textarea").evaluate(
            "(area, text) => { const data = new DataTransfer(); data.setData('text/plain', text);"
            " area.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})); }",
            json.dumps(activity, indent=2),
        )
        dialog.get_by_role("button", name="Send activity").click()
        dialog.wait_for(state="detached", timeout=15_000)

    def choose(self, form: Any, label: str, names: list[str]) -> None:
        """Pick people in a multi-select ChoiceSet (a Fluent combobox with checkbox items), and
        close its menu again: a click while it is open only dismisses it."""
        box = form.get_by_role("combobox", name=label)
        if box.get_attribute("aria-expanded") != "true":
            box.click()
        menu = self.page.locator("#" + str(box.get_attribute("aria-controls")))
        for name in names:
            item = menu.get_by_role("menuitemcheckbox", name=name)
            if item.get_attribute("aria-checked") != "true":
                item.click()
        self.page.keyboard.press("Escape")
        wait_until(lambda: box.get_attribute("aria-expanded") != "true", 5, f"the {label} menu to close")
        chosen = box.input_value()
        assert all(name in chosen for name in names), f"{label}: chose {chosen!r}, wanted {names}"
