"""Every fixed string the bot shows, in Spanish and English."""

from __future__ import annotations

from bot.domain.text import Language, LocalizedText

_ = LocalizedText

STRINGS: dict[str, LocalizedText] = {
    # welcome and help
    "welcome.title": _("Hola, soy el asistente de activación", "Hi, I'm the activation assistant"),
    "welcome.body": _(
        "Acompaño la activación de sus servicios de voz (Voz en la nube para Microsoft Teams y OfficeConnect): "
        "le envío cada tarea cuando está lista, usted confirma al terminar o avisa si algo la bloquea, "
        "y el equipo recibe un resumen semanal del avance.",
        "I run the activation of your voice services (Cloud Voice for Microsoft Teams and OfficeConnect): "
        "I send each task to its owner when it is ready, you confirm when it is done or tell us what blocks it, "
        "and everyone gets a weekly progress digest.",
    ),
    "welcome.next": _("Escriba **ayuda** para ver lo que puedo hacer.", "Type **help** to see what I can do."),
    "help.title": _("Lo que puedo hacer", "What I can do"),
    "help.intro": _(
        "En un canal, mencióneme (@) antes del comando. En el chat personal, escríbalo tal cual.",
        "In a channel, @mention me before the command. In a personal chat, just type it.",
    ),
    "help.cmd.help": _("**ayuda**: esta lista", "**help**: this list"),
    "help.cmd.status": _("**estado**: el avance de su proyecto", "**status**: your project's progress"),
    "help.cmd.mytasks": _("**mis tareas**: las tareas que le tocan", "**my tasks**: the tasks you own"),
    "help.cmd.language": _("**idioma en** / **idioma es**: cambiar el idioma", "**language en** / **language es**: change language"),
    "help.pm": _("Para gerentes de proyecto", "For project managers"),
    "help.cmd.new": _("**nuevo proyecto**: crear la activación de un cliente en este canal",
                      "**new project**: set up a customer's activation in this channel"),
    "help.cmd.statusall": _("**estado todos**: todos sus proyectos", "**status all**: all your projects"),
    "help.cmd.foc": _("**foc AAAA-MM-DD**: registrar la fecha FOC del operador", "**foc YYYY-MM-DD**: record the carrier's FOC date"),
    "help.cmd.port": _("**portabilidad AAAA-MM-DD**: mover la fecha de portabilidad solicitada",
                       "**port date YYYY-MM-DD**: move the requested port date"),
    "help.cmd.digest": _("**resumen**: vista previa del resumen semanal; **resumen publicar**: publicarlo ya",
                         "**digest**: preview the weekly digest; **digest post**: post it now"),
    "help.cmd.export": _("**exportar**: historial completo del proyecto (CSV)", "**export**: the project's full history (CSV)"),
    "help.cmd.cancel": _("**cancelar**: abandonar un diálogo en curso", "**cancel**: leave a dialog in progress"),
    # task card
    "task.phase": _("Fase", "Phase"),
    "task.owner": _("Responsable", "Owner"),
    "task.due": _("Vence", "Due"),
    "task.effort": _("Tiempo", "Time"),
    "task.state": _("Estado", "State"),
    "task.confirmers": _("Pueden confirmar", "May confirm"),
    "task.expect": _("Qué esperar", "What to expect"),
    "task.guidance": _("Tenga en cuenta", "Please note"),
    "task.links": _("Enlaces", "Links"),
    "task.confirm": _("Confirmar completada", "Confirm completed"),
    "task.block": _("Reportar bloqueo", "Report blocked"),
    "task.block.reason": _("¿Qué la bloquea?", "What is blocking it?"),
    "task.block.send": _("Enviar", "Send"),
    "task.unblock": _("Desbloquear", "Unblock"),
    "task.na": _("No aplica", "Not applicable"),
    "task.reopen": _("Reabrir", "Reopen"),
    "task.on_behalf": _("Confirmar en nombre del cliente", "Confirm on behalf of the customer"),
    "task.history.done": _("Completada por {name} el {when}", "Completed by {name} on {when}"),
    "task.history.on_behalf": _("Confirmada por {name} en nombre del cliente el {when}",
                                "Confirmed by {name} on behalf of the customer on {when}"),
    "task.history.blocked": _("Bloqueada por {name} el {when}: {reason}", "Blocked by {name} on {when}: {reason}"),
    "task.history.na": _("Marcada como no aplicable por {name} el {when}", "Marked not applicable by {name} on {when}"),
    "task.history.reopened": _("Reabierta por {name} el {when}", "Reopened by {name} on {when}"),
    "task.history.ready": _("Lista desde el {when}", "Ready since {when}"),
    "task.readonly": _("Solo las personas asignadas o el PM pueden cambiar esta tarea.",
                       "Only the assigned people or the PM can change this task."),
    "state.waiting": _("En espera de otras tareas", "Waiting on other tasks"),
    "state.ready": _("Lista para hacer", "Ready to do"),
    "state.done": _("Completada", "Done"),
    "state.blocked": _("Bloqueada", "Blocked"),
    "state.not_applicable": _("No aplica", "Not applicable"),
    "state.reopened": _("Reabierta", "Reopened"),
    # status
    "status.title": _("Estado de la activación: {customer}", "Activation status: {customer}"),
    "status.progress": _("Avance por fase", "Progress by phase"),
    "status.overdue": _("Vencidas", "Overdue"),
    "status.blocked": _("Bloqueadas", "Blocked"),
    "status.waiting_customer": _("Esperando al cliente", "Waiting on the customer"),
    "status.waiting_provider": _("Esperando al proveedor", "Waiting on the provider"),
    "status.milestones": _("Próximos hitos", "Next milestones"),
    "status.go_live": _("Puesta en marcha prevista", "Forecast go-live"),
    "status.target": _("Objetivo", "Target"),
    "status.health": _("Salud", "Health"),
    "status.none": _("Nada", "Nothing"),
    "status.days_late": _("{days} días de retraso", "{days} days late"),
    "status.portfolio": _("Sus proyectos", "Your projects"),
    "status.complete": _("Activación completada", "Activation complete"),
    "health.on_track": _("En camino", "On track"),
    "health.at_risk": _("En riesgo", "At risk"),
    "health.late": _("Retrasado", "Late"),
    "mytasks.title": _("Sus tareas", "Your tasks"),
    "mytasks.none": _("No tiene tareas pendientes.", "You have no open tasks."),
    # refusals and errors
    "refused.not_allowed": _("No puede hacer esto en esta tarea: solo las personas asignadas o el PM.",
                             "You can't do this on this task: only the assigned people or the PM can."),
    "refused.reason_required": _("Indique el motivo del bloqueo.", "Please give the reason it is blocked."),
    "refused.invalid_transition": _("La tarea ya cambió; este es su estado actual.", "The task has already changed; here is its current state."),
    "refused.stale": _("La tarea ya cambió; este es su estado actual.", "The task has already changed; here is its current state."),
    "refused.unknown_task": _("No encuentro esa tarea.", "I can't find that task."),
    "refused.unknown_project": _("No encuentro ese proyecto.", "I can't find that project."),
    "refused.no_project": _("Este canal no tiene un proyecto. Un PM puede crearlo con **nuevo proyecto**.",
                            "This channel has no project. A PM can create one with **new project**."),
    "refused.not_pm": _("Solo un gerente de proyecto del proveedor puede hacer esto.", "Only a provider project manager can do this."),
    "refused.invalid": _("No entendí los datos: {detail}", "I couldn't use that: {detail}"),
    "refused.tenant": _("Este proyecto no pertenece a su organización.", "This project does not belong to your organization."),
    "error.try_again": _("Algo falló de nuestro lado. Inténtelo de nuevo en un momento. (ref. {ref})",
                         "Something went wrong on our side. Please try again in a moment. (ref. {ref})"),
    "unknown_command": _("No entendí. Escriba **ayuda** para ver los comandos.", "I didn't get that. Type **help** for the commands."),
    "language.set": _("Le escribiré en español.", "I'll write to you in English."),
    "note.changed": _("{actor}: «{task}» → {state}", "{actor}: “{task}” → {state}"),
    "note.ready": _("Lista para empezar: «{task}» ({owners})", "Ready to start: “{task}” ({owners})"),
    "foc.set": _("Fecha FOC registrada: {date}. Fechas recalculadas.", "FOC date recorded: {date}. Dates recomputed."),
    "port.moved": _("Fecha de portabilidad movida a {date}. Fechas recalculadas.", "Port date moved to {date}. Dates recomputed."),
    "cancelled": _("Cancelado.", "Cancelled."),
    "dates.title": _("Fechas actualizadas: {customer}", "Dates updated: {customer}"),
    "dates.port": _("Fecha de portabilidad: {date}", "Port date: {date}"),
}


def t(key: str, language: Language, **values: object) -> str:
    template = STRINGS[key].get(language)
    return template.format(**values) if values else template
