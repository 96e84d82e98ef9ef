"""Check the playbook data files against the source document they transcribe.

Plain ``tomllib`` parsing only: these tests do not import any project code, so they keep
checking the data even while the loader changes. The expected tables below were derived by
reading the source document (shared/seed/000_55c42419a8e17f2c.txt); each names its section.
"""

from __future__ import annotations

import os
import re
import tomllib
from itertools import pairwise
from pathlib import Path

import pytest

SEED_NAME = "000_55c42419a8e17f2c.txt"
PLAYBOOK_DIR = Path(__file__).resolve().parents[1] / "bot" / "playbooks"

ROLES = {
    "customer_primary_contact",
    "customer_global_admin",
    "authorized_signer",
    "customer_admin",
    "provider_pm",
    "sales_rep",
    "support_lead",
    "technician",
    "partner",
}
PARTIES = {"customer", "provider", "shared"}
CONDITIONS = {"porting", "provider_circuit", "hardware"}
MILESTONES = {
    "nrc_paid",
    "pm_assigned",
    "deployment",
    "foc_confirmed",
    "port_complete",
    "go_live",
    "project_complete",
}
PHASE_ID_RE = re.compile(r"^[a-z0-9_]+$")
TASK_ID_RE = re.compile(r"^[a-z0-9_.]+$")

# ------------------------------------------------------------------------------------------
# Expected structure, read off the source.

# Source section "VOZ EN LA NUBE PARA MICROSOFT TEAMS" (table Nombre de la Tarea | Asignado a |
# Duración - Comentarios), in source order. Informational rows are not tasks: "El plan de
# llamadas domésticas ... NO ES REQUERIDO" and "Conferencia de audio de Teams ..." (licensing)
# and "Onboarding - Esto se hace solo una vez ..." (onboarding) are guidance.
# "Hardware y Dispositivos Auxiliares" is split: the UniVoIP shipment row has condition hardware.
CLOUD_VOICE_PHASES = [
    # A5/E5, Teams Phone Standard, Dispositivo Compartido, Cuentas de Recursos
    ("licensing", 4),
    ("onboarding", 6),  # login, Paso 1-4, ¡Listo para agregar números ...!
    ("porting", 8),  # CSR ... Portabilidad confirmada y completada
    ("database_discovery", 1),
    ("programming", 2),
    ("training", 3),  # usuarios finales, administradores, administradores con soporte
    ("hardware", 2),  # auriculares, teléfonos
    ("hardware_shipment", 1),  # Envío de hardware de UniVoIP (alquiler o compra)
    ("network_validation", 1),
    ("meetings", 4),  # inicio, asistencia, semanal, informe de finalización
]

# Source section "OFFICECONNECT™️ (UCAAS)": (phase, customer bullets, provider bullets).
# The two-column table was flattened: in each section the customer's bullets come first.
# "Acceso y Activación del Sitio" holds 4 customer + 4 provider bullets; the provider bullet
# "Si UniVoIP proporciona el circuito T1, e-line o MPLS ..." is its own phase
# (site_circuit_install, condition provider_circuit).
OFFICECONNECT_PHASES = [
    ("initial_discovery", 3, 2),
    ("subscription_agreement", 2, 1),
    ("activation_kickoff", 4, 6),
    ("service_provisioning", 2, 2),
    ("circuit_delivery", 3, 3),
    ("hardware_delivery", 1, 2),
    ("site_access_activation", 4, 3),
    ("site_circuit_install", 0, 1),
    ("activation_complete", 1, 2),
    ("post_activation_admin_training", 1, 1),
    ("post_activation_porting", 4, 3),
]

# Source section headers of OfficeConnect (those with bullets), in order -> playbook phases.
OFFICECONNECT_SECTIONS = [
    ("Descubrimiento Inicial", ["initial_discovery"]),
    ("Acuerdo de Suscripción", ["subscription_agreement"]),
    ("Inicio de Activación", ["activation_kickoff"]),
    ("Provisión de Servicios", ["service_provisioning"]),
    (
        (
            "Entrega de Circuito (Si la Red de Área Privada o el Acceso a Internet son "
            "Proporcionados por UniVoIP)"
        ),
        ["circuit_delivery"],
    ),
    ("Entrega de Hardware", ["hardware_delivery"]),
    (
        "Acceso y Activación del Sitio",
        ["site_access_activation", "site_circuit_install"],
    ),
    ("Activación Completa", ["activation_complete"]),
    ("Capacitación para Administradores", ["post_activation_admin_training"]),
    (
        "Portabilidad de Números (Si se reutilizan números de teléfono existentes)",
        ["post_activation_porting"],
    ),
]

# Extraction glitches fixed in the OfficeConnect transcription (source text -> playbook text).
OFFICECONNECT_TEXT_REPAIRS = {
    "UPM UPM ": "UPM ",  # the column header merged into the first provider bullet
    "UnVoIP": "UniVoIP",
}

# URLs broken by line wraps in the extracted text: the fragment the regex finds -> the
# rejoined URL. (The truncated safelinks URL is kept exactly as given.)
URL_REPAIRS = {
    "https://support.microsoft.com/en-us/office/training-1d5c12d3-37cb-44a0-ab21-": (
        "https://support.microsoft.com/en-us/office/training-1d5c12d3-37cb-44a0-ab21-"
        "5539ce9ccd5a?ns=msftteams&version=16&ui=en-us&rs=en-us&ad=us"
    ),
    "https://www.microsoft.com/en-us/store/workshops-training-and-events/detail/"
    "calling-and-meetings-in-microsoft-": (
        "https://www.microsoft.com/en-us/store/workshops-training-and-events/detail/"
        "calling-and-meetings-in-microsoft-teams?source=teamsdocs"
    ),
    "https://www.microsoft.com/en-us/microsoft-teams/across-devices/devices/category/"
    "desk-phones-teams-": (
        "https://www.microsoft.com/en-us/microsoft-teams/across-devices/devices/category/"
        "desk-phones-teams-displays/34?page=1&filterIds="
    ),
}


# ------------------------------------------------------------------------------------------
# Helpers and fixtures.


# The provider's document as shared with the team, and the copy kept in the repository so the
# tests run wherever the repository is cloned (a test below keeps the two identical).
SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / SEED_NAME
REPO_COPY = Path(__file__).resolve().parents[1] / "docs" / "source" / "activation-process.es.txt"


def _find_seed() -> Path:
    candidates = [SHARED_SEED, REPO_COPY]
    env = os.environ.get("ACTIVATION_SOURCE_DOC")
    if env:
        candidates.insert(0, Path(env))
    for path in candidates:
        if path.is_file():
            return path
    pytest.fail(
        "Source document not found; looked in: "
        + ", ".join(str(p) for p in candidates)
        + ". Set ACTIVATION_SOURCE_DOC to the path of "
        + SEED_NAME
        + ".",
        pytrace=False,
    )


def norm(text: str) -> str:
    """Whitespace-normalised, case-folded text."""
    return " ".join(text.split()).casefold()


def norm_title(text: str) -> str:
    return norm(text).rstrip(".:!;, ")


@pytest.fixture(scope="module")
def source() -> str:
    return _find_seed().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def cloud_voice_source(source: str) -> str:
    start = source.index("VOZ EN LA NUBE PARA MICROSOFT TEAMS")
    return source[start : source.index("OFFICECONNECT")]


@pytest.fixture(scope="module")
def officeconnect_source(source: str) -> str:
    return source[source.index("OFFICECONNECT") :]


def load(name: str) -> dict:
    with (PLAYBOOK_DIR / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def cv() -> dict:
    return load("cloud_voice_teams")


@pytest.fixture(scope="module")
def oc() -> dict:
    return load("officeconnect_ucaas")


@pytest.fixture(scope="module", params=["cloud_voice_teams", "officeconnect_ucaas"])
def playbook(request: pytest.FixtureRequest) -> dict:
    return load(request.param)


def tasks_by_id(pb: dict) -> dict[str, dict]:
    return {t["id"]: t for t in pb["task"]}


def ancestors(pb: dict, task_id: str) -> set[str]:
    tasks = tasks_by_id(pb)
    seen: set[str] = set()
    stack = list(tasks[task_id]["depends_on"])
    while stack:
        dep = stack.pop()
        if dep not in seen:
            seen.add(dep)
            stack.extend(tasks[dep]["depends_on"])
    return seen


def one_task(pb: dict, predicate, what: str) -> dict:
    found = [t for t in pb["task"] if predicate(t)]
    assert len(found) == 1, (
        f"expected exactly one task for {what}, got {[t['id'] for t in found]}"
    )
    return found[0]


def with_milestone(pb: dict, milestone: str) -> dict:
    return one_task(
        pb, lambda t: t.get("milestone") == milestone, f"milestone {milestone}"
    )


def iter_texts(node, path="$"):
    """Yield (path, value) for every {es, en} text table in the file."""
    if isinstance(node, dict):
        if set(node) & {"es", "en"}:
            yield path, node
            return
        for key, value in node.items():
            yield from iter_texts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from iter_texts(value, f"{path}[{i}]")


def all_guidance(pb: dict) -> list[str]:
    items = []
    for holder in [*pb["phase"], *pb["task"]]:
        items.extend(g["es"] for g in holder.get("guidance", []))
    return items


# ------------------------------------------------------------------------------------------
# Both playbooks: format (SCHEMA.md) and graph.


def test_ids_and_schema_fields(playbook: dict) -> None:
    assert playbook["schema"] == 1
    phase_ids = [p["id"] for p in playbook["phase"]]
    task_ids = [t["id"] for t in playbook["task"]]
    assert len(set(phase_ids)) == len(phase_ids), "duplicate phase id"
    assert len(set(task_ids)) == len(task_ids), "duplicate task id"
    for phase in playbook["phase"]:
        assert PHASE_ID_RE.match(phase["id"]), phase["id"]
        assert phase.get("condition", "porting") in CONDITIONS, phase["id"]
    for task in playbook["task"]:
        tid = task["id"]
        assert TASK_ID_RE.match(tid), tid
        assert task["phase"] in phase_ids, tid
        assert task["party"] in PARTIES, tid
        assert task["owners"] and set(task["owners"]) <= ROLES, tid
        assert set(task.get("confirmers", task["owners"])) <= ROLES, tid
        assert {"title", "description"} <= set(task), tid
        days = task["duration_days"]
        assert isinstance(days, int) and not isinstance(days, bool) and days >= 0, tid
        assert task.get("milestone", "go_live") in MILESTONES, tid
        for link in task.get("links", []):
            assert link.startswith("https://") and not re.search(r"\s", link), (
                tid,
                link,
            )
        if "date_rule" in task:
            rule = task["date_rule"]
            if rule["kind"] == "before_port_date":
                assert set(rule) == {"kind", "days"}, tid
            elif rule["kind"] == "after_foc_received":
                assert set(rule) == {"kind", "hours"}, tid
            else:
                assert rule == {"kind": "by_port_date"}, tid


def test_every_text_has_es_and_en(playbook: dict) -> None:
    texts = list(iter_texts(playbook))
    assert texts
    for path, text in texts:
        assert set(text) == {"es", "en"}, path
        for lang in ("es", "en"):
            assert isinstance(text[lang], str) and text[lang].strip(), (
                f"{path}.{lang} is empty"
            )
    for holder in [playbook, *playbook["phase"], *playbook["task"]]:
        for key in ("name", "title", "description", "duration", "effort"):
            if key in holder:
                assert set(holder[key]) == {"es", "en"}, (holder.get("id"), key)


def test_depends_on_existing_ids_and_no_cycles(playbook: dict) -> None:
    tasks = tasks_by_id(playbook)
    for task in playbook["task"]:
        for dep in task["depends_on"]:
            assert dep in tasks, f"{task['id']} depends on unknown task {dep}"
            assert dep != task["id"], task["id"]
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(tid: str, path: list[str]) -> None:
        if state.get(tid) == 2:
            return
        assert state.get(tid) != 1, "dependency cycle: " + " -> ".join([*path, tid])
        state[tid] = 1
        for dep in tasks[tid]["depends_on"]:
            visit(dep, [*path, tid])
        state[tid] = 2

    for tid in tasks:
        visit(tid, [])


def test_milestones_unique_and_pm_after_nrc(playbook: dict) -> None:
    milestones = [t["milestone"] for t in playbook["task"] if "milestone" in t]
    assert len(milestones) == len(set(milestones)), milestones
    if "pm_assigned" in milestones:
        pm = with_milestone(playbook, "pm_assigned")
        nrc = with_milestone(playbook, "nrc_paid")
        assert nrc["id"] in ancestors(playbook, pm["id"])


# ------------------------------------------------------------------------------------------
# Cloud Voice for Microsoft Teams.


def test_cloud_voice_phases_and_task_counts(cv: dict) -> None:
    assert cv["id"] == "cloud_voice_teams"
    assert cv["name"] == {
        "es": "Voz en la nube para Microsoft Teams",
        "en": "Cloud Voice for Microsoft Teams",
    }
    assert [p["id"] for p in cv["phase"]] == [pid for pid, _ in CLOUD_VOICE_PHASES]
    counts = {pid: 0 for pid, _ in CLOUD_VOICE_PHASES}
    for task in cv["task"]:
        counts[task["phase"]] += 1
    assert counts == dict(CLOUD_VOICE_PHASES)
    conditions = {
        p["id"]: p.get("condition") for p in cv["phase"] if p.get("condition")
    }
    assert conditions == {"porting": "porting", "hardware_shipment": "hardware"}


def assert_phase_titles_in_source_order(playbook: dict, text: str) -> None:
    """Each phase's Spanish title (its first part) appears in the source after the previous one."""
    position = 0
    for phase in playbook["phase"]:
        parts = [norm(p) for p in phase["title"]["es"].split(" — ")]
        found = text.find(parts[0], position)
        assert found >= 0, f"phase title {parts[0]!r} not found in source order"
        position = found
        for part in parts[1:]:
            assert norm_title(part) in text, part


def test_cloud_voice_phase_titles_follow_source(
    cv: dict, cloud_voice_source: str
) -> None:
    text = norm(cloud_voice_source)
    assert_phase_titles_in_source_order(cv, text)
    for phase in cv["phase"]:
        if "duration" in phase:
            assert norm(phase["duration"]["es"]) in text, phase["id"]


def test_cloud_voice_task_titles_are_source_rows(
    cv: dict, cloud_voice_source: str
) -> None:
    text = norm(cloud_voice_source)
    for task in cv["task"]:
        title = norm_title(task["title"]["es"])
        assert title and title in text, f"{task['id']}: title not in source: {title!r}"


def test_cloud_voice_calling_plan_is_guidance_not_task(cv: dict) -> None:
    for task in cv["task"]:
        assert "no es requerido" not in norm(task["title"]["es"]), task["id"]
        assert "plan de llamadas" not in norm(task["title"]["es"]), task["id"]
    phone_standard = one_task(
        cv,
        lambda t: "teams phone standard" in norm(t["title"]["es"]),
        "Teams Phone Standard",
    )
    guidance = [norm(g["es"]) for g in phone_standard.get("guidance", [])]
    assert any(
        "no es requerido" in g and "no necesita ninguno de los planes de llamadas" in g
        for g in guidance
    ), guidance


def test_cloud_voice_audio_conferencing_is_guidance(cv: dict) -> None:
    # Judgment call (see the TOML comment): optional, "no es necesario para el sistema
    # telefónico", so it is guidance on the licensing phase rather than a task.
    for task in cv["task"]:
        assert "conferencia de audio" not in norm(task["title"]["es"]), task["id"]
    licensing = next(p for p in cv["phase"] if p["id"] == "licensing")
    assert any(
        "conferencia de audio de teams" in norm(g["es"])
        and "no es necesario para el sistema telefónico" in norm(g["es"])
        for g in licensing.get("guidance", [])
    )


def test_cloud_voice_every_source_url_is_linked(
    cv: dict, cloud_voice_source: str
) -> None:
    raw = re.findall(r"https?://\S+", cloud_voice_source)
    assert raw, "no URL found in the source"
    for fragment in URL_REPAIRS:
        assert fragment in raw, f"URL repair no longer matches the source: {fragment}"
    joined = "".join(cloud_voice_source.split())
    expected = set()
    for url in raw:
        url = URL_REPAIRS.get(url, url)
        assert url in joined, f"repaired URL is not the source text rejoined: {url}"
        expected.add(url)
    linked = [link for t in cv["task"] for link in t.get("links", [])]
    assert len(linked) == len(set(linked)), "a URL is linked twice"
    assert expected - set(linked) == set(), "source URLs missing from links"
    assert set(linked) - expected == set(), "links that are not in the source"


def test_cloud_voice_key_owners(cv: dict) -> None:
    def titled(word: str) -> dict:
        return one_task(cv, lambda t: word in t["title"]["es"], word)

    assert titled("CSR")["owners"] == ["customer_primary_contact"]
    assert titled("LOA")["owners"] == ["authorized_signer"]
    foc = titled("FOC")
    assert foc["owners"] == ["provider_pm"]
    assert foc["milestone"] == "foc_confirmed"
    assert "support_lead" in titled("con Soporte")["owners"]
    assert titled("inicie sesión")["owners"] == ["customer_primary_contact"]
    for step in range(1, 5):
        assert titled(f"Paso {step}")["owners"] == ["customer_global_admin"]
    kickoff = titled("Reunión de Inicio")
    assert kickoff["owners"] == ["provider_pm", "customer_primary_contact", "partner"]
    assert kickoff["party"] == "shared"
    assert titled("Envío de hardware")["owners"] == ["provider_pm"]


def test_cloud_voice_porting_rules_and_milestones(cv: dict) -> None:
    tasks = tasks_by_id(cv)
    porting = [t for t in cv["task"] if t["phase"] == "porting"]
    assert tasks["porting.csr_bill"] is porting[0]
    assert porting[0]["date_rule"] == {"kind": "before_port_date", "days": 21}
    assert "meetings.kickoff" in porting[0]["depends_on"]
    for before, after in pairwise(porting):
        assert before["id"] in after["depends_on"], (before["id"], after["id"])
    # The chain from the CSR to the completed port spans the 3-week lead time.
    assert sum(t["duration_days"] for t in porting) == 21
    numbers_added = one_task(
        cv,
        lambda t: t["title"]["es"].startswith("Los números se han añadido"),
        "numbers added",
    )
    assert numbers_added["party"] == "provider"
    assert numbers_added["owners"] == ["provider_pm"]
    assert numbers_added["date_rule"] == {"kind": "after_foc_received", "hours": 24}
    assert tasks["porting.confirm_assigned"]["date_rule"] == {"kind": "by_port_date"}
    assert tasks["porting.port_complete"]["date_rule"] == {"kind": "by_port_date"}
    assert with_milestone(cv, "port_complete")["id"] == "porting.port_complete"
    assert with_milestone(cv, "deployment")["id"] == "onboarding.ready_to_add_numbers"


def test_cloud_voice_onboarding_chain(cv: dict) -> None:
    onboarding = [t for t in cv["task"] if t["phase"] == "onboarding"]
    assert onboarding[0]["id"] == "onboarding.login"
    for before, after in pairwise(onboarding):
        assert before["id"] in after["depends_on"], (before["id"], after["id"])
    assert onboarding[-1]["milestone"] == "deployment"
    programming = ancestors(cv, "programming.aa_cq")
    assert {
        "database_discovery.prepare_lists",
        "onboarding.ready_to_add_numbers",
    } <= programming


def test_cloud_voice_completion_report_ends_the_project(cv: dict) -> None:
    report = with_milestone(cv, "project_complete")
    assert report["title"]["es"] == "Informe de Finalización del Proyecto"
    others = {t["id"] for t in cv["task"]} - {report["id"]}
    assert ancestors(cv, report["id"]) == others


# ------------------------------------------------------------------------------------------
# OfficeConnect (UCaaS).


def _officeconnect_bullets(officeconnect_source: str) -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = []
    header = ""
    for line in officeconnect_source.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("•"):
            bullet = stripped.lstrip("•").strip()
            for bad, good in OFFICECONNECT_TEXT_REPAIRS.items():
                bullet = bullet.replace(bad, good)
            if not sections or sections[-1][0] != header:
                sections.append((header, []))
            sections[-1][1].append(bullet)
        else:
            header = stripped
    return sections


def test_officeconnect_phases_and_counts(oc: dict) -> None:
    assert oc["id"] == "officeconnect_ucaas"
    assert oc["name"]["es"] == oc["name"]["en"] == "OfficeConnect (UCaaS)"
    assert [p["id"] for p in oc["phase"]] == [pid for pid, _, _ in OFFICECONNECT_PHASES]
    counts = {pid: [0, 0] for pid, _, _ in OFFICECONNECT_PHASES}
    for task in oc["task"]:
        assert task["party"] in ("customer", "provider"), task["id"]
        counts[task["phase"]][task["party"] == "provider"] += 1
    assert counts == {pid: [c, p] for pid, c, p in OFFICECONNECT_PHASES}
    conditions = {
        p["id"]: p.get("condition") for p in oc["phase"] if p.get("condition")
    }
    assert conditions == {
        "circuit_delivery": "provider_circuit",
        "hardware_delivery": "hardware",
        "site_circuit_install": "provider_circuit",
        "post_activation_porting": "porting",
    }


def test_officeconnect_every_bullet_is_one_task(
    oc: dict, officeconnect_source: str
) -> None:
    sections = _officeconnect_bullets(officeconnect_source)
    assert [norm(h) for h, _ in sections] == [
        norm(h) for h, _ in OFFICECONNECT_SECTIONS
    ]
    assert sum(len(b) for _, b in sections) == len(oc["task"])
    for (header, bullets), (_, phases) in zip(sections, OFFICECONNECT_SECTIONS):
        tasks = [t for t in oc["task"] if t["phase"] in phases]
        by_description = {norm(t["description"]["es"]): t for t in tasks}
        assert len(by_description) == len(tasks), header
        assert sorted(by_description) == sorted(norm(b) for b in bullets), header
        # Customer bullets come first in each section, then the provider's.
        parties = [by_description[norm(b)]["party"] for b in bullets]
        assert parties == sorted(parties), (header, parties)


def test_officeconnect_phase_titles_follow_source(
    oc: dict, officeconnect_source: str
) -> None:
    assert_phase_titles_in_source_order(oc, norm(officeconnect_source))


def test_officeconnect_key_owners_and_milestones(oc: dict) -> None:
    def described(words: str) -> dict:
        return one_task(oc, lambda t: words in t["description"]["es"], words)

    documents = described("LOA, RESPORG, CSR")
    assert set(documents["owners"]) == {"customer_primary_contact", "authorized_signer"}
    assert documents["date_rule"] == {"kind": "before_port_date", "days": 21}
    assert described("Acuerdo de Suscripción firmado")["owners"] == [
        "authorized_signer"
    ]

    nrc = with_milestone(oc, "nrc_paid")
    assert nrc is described("pagar el NRC/Anexo A")
    assert nrc["owners"] == ["customer_primary_contact"]
    assert "sales_rep" in nrc["confirmers"]
    pm = with_milestone(oc, "pm_assigned")
    assert pm is described("presentará a un Gerente de Proyecto de UniVoIP (UPM)")
    assert pm["owners"] == ["sales_rep"]
    assert nrc["id"] in pm["depends_on"]

    training = described("El Líder de Soporte llevará a cabo")
    assert training["owners"] == ["support_lead"]
    assert described("programará un tiempo para completar la Capacitación")[
        "owners"
    ] == ["customer_admin"]
    assert described("técnico proporcionará capacitación básica")["owners"] == [
        "technician"
    ]

    assert with_milestone(oc, "go_live") is described("Finalización de Activación")
    assert with_milestone(oc, "deployment") is described("Facturación del Contrato")
    port = with_milestone(oc, "port_complete")
    assert port is described("UPM completará la portabilidad")
    assert port["date_rule"] == {"kind": "by_port_date"}
    verify = described("UPM verifica el enrutamiento")
    assert verify["date_rule"] == {"kind": "by_port_date"}
    milestones = {t["milestone"] for t in oc["task"] if "milestone" in t}
    assert "project_complete" not in milestones
    assert "foc_confirmed" not in milestones

    loop = described("entrega estimada del bucle")
    assert loop["duration_days"] == 30
    assert described("activación del circuito es de 45 días")["duration_days"] == 45
    assert oc["task"] and not any(t.get("links") for t in oc["task"])


def test_repository_copy_of_the_source_matches_the_shared_one() -> None:
    assert REPO_COPY.is_file(), f"{REPO_COPY} is missing"
    if SHARED_SEED.is_file():
        assert REPO_COPY.read_bytes() == SHARED_SEED.read_bytes(), "docs/source is out of date with shared/seed"
