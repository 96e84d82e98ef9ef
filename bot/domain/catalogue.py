"""The catalogue: every fixed string the bot shows people, in Spanish and English, and `t` to use one.

It lives in the domain because every layer that speaks to people needs it: the cards, the
project set-up dialog, the Graph licensing check (bot/graph), the Teams edge and delivery.
The domain is the one package all of them may import, and it stays SDK-free (this module
imports only bot.domain.text). Add an entry as `"key": _("es text", "en text")`; a text
that shows a count is `plural(es_one, es_other, en_one, en_other)` with `{n}`, used as
`t(key, language, n=count)`. tests/test_catalogue.py checks every key used exists.
"""

from __future__ import annotations

from bot.domain.text import Language, LocalizedText, Plural, plural

_ = LocalizedText

STRINGS: dict[str, LocalizedText | Plural] = {
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
    "help.cmd.status": _("**estado** [cliente]: el avance de su proyecto", "**status** [customer]: your project's progress"),
    "help.cmd.mytasks": _("**mis tareas**: las tareas que le tocan", "**my tasks**: the tasks you own"),
    "help.cmd.language": _("**idioma en** / **idioma es**: cambiar el idioma", "**language en** / **language es**: change language"),
    "help.pm": _("Para gerentes de proyecto", "For project managers"),
    "help.cmd.new": _("**nuevo proyecto**: crear la activación de un cliente en este canal",
                      "**new project**: set up a customer's activation in this channel"),
    "help.cmd.statusall": _("**estado todos**: todos sus proyectos (en su chat personal conmigo)",
                            "**status all**: all your projects (in your 1:1 chat with me)"),
    "help.cmd.foc": _("**foc AAAA-MM-DD**: registrar la fecha FOC del operador", "**foc YYYY-MM-DD**: record the carrier's FOC date"),
    "help.cmd.port": _("**portabilidad AAAA-MM-DD**: mover la fecha de portabilidad solicitada",
                       "**port date YYYY-MM-DD**: move the requested port date"),
    "help.cmd.digest": _("**resumen**: vista previa del resumen semanal", "**digest**: preview the weekly digest"),
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
    "task.checks": _("Licencias en su organización", "Licences in your organization"),
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
    "status.days_late": plural("{n} día de retraso", "{n} días de retraso", "{n} day late", "{n} days late"),
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
    "refused.no_project": _("Esta conversación no tiene un proyecto. Un PM puede crearlo en el canal del cliente con "
                            "**nuevo proyecto**; sus proyectos están en su chat personal conmigo.",
                            "This conversation has no project. A PM can create one in the customer's channel with "
                            "**new project**; your projects are in your 1:1 chat with me."),
    "refused.no_projects": _("Aún no participa en ningún proyecto.", "You are on no project yet."),
    "refused.portfolio_private": _("La cartera de proyectos solo se muestra en su chat personal conmigo.",
                                   "I show the portfolio only in your 1:1 chat with me."),
    "refused.which_project": _("Tiene varios proyectos: escriba este comando en el canal del proyecto.",
                               "You have several projects: type this in the project's channel."),
    "refused.not_on_project": _("No participa en este proyecto.", "You are not on this project."),
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
    # project set-up: where, how many per channel, whose dialog (issue 22, items 2, 3 and 5)
    "setup.channel_only": _("Los proyectos se crean en el canal del equipo del cliente: mencióneme allí y escriba "
                            "**nuevo proyecto**.",
                            "Projects are set up in the customer's team channel: @mention me there and type "
                            "**new project**."),
    "refused.channel_taken": _("Este canal ya tiene el proyecto de {customer}; un canal tiene un solo proyecto. "
                             "Cree el de otro cliente en su propio canal.",
                             "This channel already holds the project for {customer}; a channel holds one project. "
                             "Set up another customer in a channel of its own."),
    "setup.form_closed": _("Este formulario ya no está abierto. Escriba **nuevo proyecto** para empezar de nuevo.",
                           "This form is no longer open. Type **new project** to start again."),
    "setup.nothing_to_cancel": _("No tiene nada en curso que cancelar.", "You have nothing in progress to cancel."),
    "digest.title": _("Resumen semanal: {customer}", "Weekly digest: {customer}"),
    "digest.portfolio": _("Resumen semanal de sus proyectos", "Weekly digest of your projects"),
    "digest.chart": _("Tareas", "Tasks"),
    "digest.done": _("Hechas", "Done"),
    "digest.open": _("Pendientes", "Open"),
    "digest.completed": _("Completadas esta semana", "Completed this week"),
    "digest.due_soon": _("Vencen en los próximos 7 días", "Due in the next 7 days"),
    "digest.moved": _("Fechas que cambiaron", "Dates that moved"),
    "digest.since": _("desde el {date}", "since {date}"),
    "digest.posted": _("Resumen publicado en el canal.", "Digest posted to the channel."),
    "completion.title": _("Informe de finalización del proyecto: {customer}", "Project completion report: {customer}"),
    "completion.services": _("Servicios implementados", "Services deployed"),
    "completion.dates": _("Fechas clave", "Key dates"),
    "completion.invoice": _("Fecha de la primera factura", "First invoice date"),
    "completion.kickoff": _("Inicio", "Kickoff"),
    "completion.completed": _("Proyecto completado", "Project completed"),
    "completion.porting": _("Portabilidad de números", "Number porting"),
    "completion.circuit": _("Circuito suministrado por el proveedor", "Provider-supplied circuit"),
    "completion.hardware.rented": _("Hardware alquilado", "Rented hardware"),
    "completion.hardware.bought": _("Hardware comprado", "Purchased hardware"),
    "completion.export": _("Escriba **exportar** para descargar el historial completo (CSV).",
                           "Type **export** to download the full history (CSV)."),
    "unreachable": _("No puedo enviar mensajes a {name}: la tarjeta sigue en el canal del proyecto.",
                     "I can't message {name}: their card stays in the project channel."),
    "export.ready": _("Historial de {customer} listo (CSV, válido 1 hora).", "History of {customer} ready (CSV, valid for 1 hour)."),
    "export.download": _("Descargar CSV", "Download CSV"),
    "reminder.title": _("Recordatorio de sus tareas", "A reminder of your tasks"),
    "reminder.due_tomorrow": _("vence mañana", "due tomorrow"),
    "reminder.overdue": plural("vencida hace {n} día", "vencida hace {n} días", "{n} day overdue", "{n} days overdue"),
    "reminder.snooze": _("Recordar mañana", "Remind me tomorrow"),
    "reminder.snoozed": _("Le recordaré mañana.", "I'll remind you tomorrow."),
    "escalation.title": _("Tareas vencidas que requieren atención", "Overdue tasks that need attention"),
    "dates.title": _("Fechas actualizadas: {customer}", "Dates updated: {customer}"),
    "dates.port": _("Fecha de portabilidad: {date}", "Port date: {date}"),
    # project set-up form (cards/setup.py) and the dialog's problems (dialogs/project_setup.py)
    "setup.title": _("Nuevo proyecto de activación", "New activation project"),
    "setup.customer": _("Nombre del cliente", "Customer name"),
    "setup.customer.error": _("Escriba el nombre del cliente.", "Enter the customer's name."),
    "setup.products": _("Productos", "Products"),
    "setup.products.error": _("Elija al menos un producto.", "Choose at least one product."),
    "setup.porting": _("Portabilidad: se reutilizan números existentes", "Number porting: existing numbers are reused"),
    "setup.circuit": _("El proveedor suministra el circuito", "The provider supplies the circuit"),
    "setup.hardware": _("Hardware", "Hardware"),
    "setup.hw.none": _("Ninguno", "None"),
    "setup.hw.rented": _("Alquilado", "Rented"),
    "setup.hw.bought": _("Comprado", "Bought"),
    "setup.kickoff": _("Fecha de inicio", "Kickoff date"),
    "setup.kickoff.error": _("Elija la fecha de inicio.", "Choose the kickoff date."),
    "setup.port": _("Fecha de portabilidad solicitada", "Requested port date"),
    "setup.golive": _("Puesta en marcha objetivo", "Target go-live"),
    "setup.timezone": _("Zona horaria", "Time zone"),
    "setup.language": _("Idioma del proyecto", "Project language"),
    "setup.submit": _("Crear proyecto", "Create project"),
    "setup.cancel_hint": _("Escriba **cancelar** para abandonar.", "Type **cancel** to stop."),
    "setup.fill_in": _("Complete el formulario o escriba **cancelar**.", "Fill in the form, or type **cancel**."),
    "setup.created": plural(
        "Proyecto creado para {customer}: {n} tarea. Enviaré cada tarea a su responsable cuando esté lista.",
        "Proyecto creado para {customer}: {n} tareas. Enviaré cada tarea a su responsable cuando esté lista.",
        "Project created for {customer}: {n} task. I'll send each task to its owner when it is ready.",
        "Project created for {customer}: {n} tasks. I'll send each task to its owner when it is ready.",
    ),
    "setup.problem.missing": _("Falta {field}.", "{field} is missing."),
    "setup.problem.bad_date": _("{field}: fecha no válida.", "{field}: not a valid date."),
    "setup.field.kickoff": _("la fecha de inicio", "The kickoff date"),
    "setup.field.port_date": _("la fecha de portabilidad", "The requested port date"),
    "setup.field.go_live": _("la puesta en marcha", "The target go-live"),
    "setup.problem.customer": _("Falta el nombre del cliente.", "The customer name is missing."),
    "setup.problem.products": _("Elija al menos un producto válido.", "Choose at least one valid product."),
    "setup.problem.hardware": _("Hardware no válido.", "Invalid hardware option."),
    "setup.problem.timezone": _("Zona horaria desconocida.", "Unknown time zone."),
    "setup.problem.person": _("Persona desconocida en un rol.", "Unknown person in a role."),
    # roles (bot/domain/roles.py)
    "role.customer_primary_contact": _("Contacto principal del cliente", "Customer primary contact"),
    "role.customer_global_admin": _("Administrador global del cliente", "Customer global admin"),
    "role.authorized_signer": _("Firmante autorizado", "Authorized signer"),
    "role.customer_admin": _("Administrador del cliente", "Customer admin"),
    "role.provider_pm": _("Gerente de proyecto (PM)", "Project manager (PM)"),
    "role.sales_rep": _("Representante de ventas", "Sales representative"),
    "role.support_lead": _("Líder de soporte", "Support lead"),
    "role.technician": _("Técnico", "Technician"),
    "role.partner": _("Socio", "Partner"),
    # the Microsoft Graph licence check on the licensing task cards (bot/graph/licensing.py)
    "licences.unchecked.consent": _(
        "Licencias no comprobadas: falta el consentimiento (un administrador del cliente debe autorizar la aplicación)",
        "Licences not checked: consent needed (a customer admin must grant the app access)"),
    "licences.unchecked.unavailable": _("Licencias no comprobadas: Microsoft Graph no respondió; se volverá a intentar",
                                        "Licences not checked: Microsoft Graph did not answer; will try again"),
    "licences.unchecked.throttled": _("Licencias no comprobadas: Microsoft Graph pidió esperar; se volverá a intentar",
                                      "Licences not checked: Microsoft Graph asked us to wait; will try again"),
    "licences.unchecked.not_configured": _("Licencias no comprobadas: Microsoft Graph no está configurado para el bot",
                                           "Licences not checked: Microsoft Graph is not set up for the bot"),
    "licences.consent_url": _("Consentimiento del administrador: {url}", "Admin consent: {url}"),
    "licences.tenant.users": _("Teams Phone Standard o E5/A5", "Teams Phone Standard or E5/A5"),
    "licences.tenant.shared_devices": _("Licencias de dispositivo compartido", "Shared device licences"),
    "licences.tenant.resource_accounts": _("Licencias de cuenta de recursos", "Resource account licences"),
    "licences.available": plural("{n} disponible", "{n} disponibles", "{n} available", "{n} available"),
    "licences.none_in_tenant": _("ninguna en el inquilino", "none in the tenant"),
    "licences.user.ok_standard": _("{name}: Teams Phone Standard ✓", "{name}: Teams Phone Standard ✓"),
    "licences.user.ok_via": _("{name}: Teams Phone ✓ ({sku})", "{name}: Teams Phone ✓ ({sku})"),
    "licences.user.missing": _("{name}: falta Teams Phone Standard o E5/A5", "{name}: missing Teams Phone Standard or E5/A5"),
    "licences.user.disabled": _("{name}: Teams Phone está desactivado en su licencia {sku}",
                                "{name}: Teams Phone is turned off in their {sku} licence"),
    "licences.shared.ok": _("{name}: licencia de dispositivo compartido ✓", "{name}: shared device licence ✓"),
    "licences.shared.ok_user": _("{name}: Teams Phone ✓ (licencia de usuario {sku})", "{name}: Teams Phone ✓ (user licence {sku})"),
    "licences.shared.missing": _("{name}: falta la licencia de dispositivo compartido", "{name}: missing a shared device licence"),
    "licences.resource.ok": _("{name}: Teams Phone Resource Account ✓", "{name}: Teams Phone Resource Account ✓"),
    "licences.resource.missing": _("{name}: falta la licencia Teams Phone Resource Account (gratuita)",
                                   "{name}: missing the Teams Phone Resource Account licence (free)"),
    "licences.not_found": _("{name}: no se encontró en el inquilino", "{name}: not found in the tenant"),
    "licences.pending": _(" (en preparación)", " (being set up)"),
    # foc / port date: what was typed is not a usable date, or needs the PM to confirm it
    "date.cmd.foc": _("foc", "foc"),
    "date.cmd.port_date": _("portabilidad", "port date"),
    "date.confirm_word": _("confirmar", "confirm"),
    "date.missing": _("Falta la fecha. Escríbala como AAAA-MM-DD, por ejemplo: **{example}**",
                      "The date is missing. Write it as YYYY-MM-DD, for example: **{example}**"),
    "date.format": _("Escriba la fecha como AAAA-MM-DD (año-mes-día), por ejemplo: **{example}**. No cambié nada.",
                     "Write the date as YYYY-MM-DD (year-month-day), for example: **{example}**. Nothing changed."),
    "date.not_a_date": _("{value} no es una fecha válida (AAAA-MM-DD). No cambié nada.",
                         "{value} is not a valid date (YYYY-MM-DD). Nothing changed."),
    "refused.date_past": _("El {date} ya pasó. ¿Es correcto? Para registrarlo igualmente, escriba **{confirm}**. Hasta entonces no cambio nada.",
                        "{date} is in the past. Is that right? To record it anyway, type **{confirm}**. Until then nothing changes."),
    "refused.date_implausible": _("El {date} está a más de dos años: parece un error, no cambié nada. Revise la fecha y escríbala de nuevo.",
                               "{date} is more than two years away, which looks like a typo: nothing changed. Check the date and type it again."),
    "refused.foc_wins": _("El operador confirmó la fecha FOC del {date} y la portabilidad se hace ese día, así que no cambié nada. "
                       "Si el operador le da otra fecha, regístrela con **foc AAAA-MM-DD**.",
                       "The carrier committed to the FOC date, {date}, and the port happens on that date, so nothing changed. "
                       "If the carrier gives you a new date, record it with **foc YYYY-MM-DD**."),
    "setup.port_before_kickoff": _("La fecha de portabilidad es anterior a la fecha de inicio.",
                                   "The requested port date is before the kickoff date."),
    "setup.go_live_past": _("La puesta en marcha objetivo ya pasó.", "The target go-live is in the past."),
    # privacy statement and terms of use, served at /privacy and /terms (bot/legal.py)
    "legal.privacy.title": _("Declaración de privacidad del asistente de activación", "Activation assistant privacy statement"),
    "legal.privacy.p1": _(
        "El asistente de activación lo opera su proveedor de servicios de voz para llevar la activación de sus servicios "
        "(Voz en la nube para Microsoft Teams y OfficeConnect). Esta página dice qué datos usa y para qué.",
        "The activation assistant is run by your voice service provider to carry out the activation of your services "
        "(Cloud Voice for Microsoft Teams and OfficeConnect). This page says which data it uses and why."),
    "legal.privacy.p2": _(
        "Guarda, por cada proyecto: el nombre del cliente, las personas asignadas a cada rol (nombre, identificador de "
        "Microsoft Entra y de Teams), las tareas, sus fechas y su estado, quién hizo cada cambio y cuándo, los motivos "
        "de bloqueo que se escriban, y el idioma elegido por cada persona.",
        "For each project it keeps: the customer's name, the people assigned to each role (name, Microsoft Entra and "
        "Teams ids), the tasks with their dates and state, who made each change and when, any blocking reasons typed "
        "in, and each person's chosen language."),
    "legal.privacy.p3": _(
        "Con el consentimiento de un administrador de su organización, lee de Microsoft Graph las licencias del inquilino "
        "y de las personas del proyecto, solo para mostrar en las tareas de licencias qué falta, e instala el asistente "
        "para los responsables de tareas que aún no lo abrieron.",
        "With consent from an administrator of your organisation, it reads the tenant's and the project members' licences "
        "from Microsoft Graph, only to show on the licensing tasks what is missing, and installs the assistant for task "
        "owners who have not opened it yet."),
    "legal.privacy.p4": _(
        "Los datos se guardan en la suscripción de Azure del proveedor y solo los ven las personas del proyecto y los "
        "gerentes de proyecto del proveedor. No se venden ni se usan para publicidad. Los registros técnicos llevan "
        "identificadores, nunca nombres ni textos de mensajes.",
        "The data is kept in the provider's Azure subscription and is seen only by the project's members and the "
        "provider's project managers. It is not sold or used for advertising. Technical logs carry ids, never names "
        "or message texts."),
    "legal.privacy.p5": _(
        "Para consultar, corregir o borrar sus datos, escriba al gerente de su proyecto; el historial completo del "
        "proyecto se puede exportar con el comando **exportar**.",
        "To see, correct or delete your data, write to your project manager; the project's full history can be "
        "exported with the **export** command."),
    "legal.terms.title": _("Condiciones de uso del asistente de activación", "Activation assistant terms of use"),
    "legal.terms.p1": _(
        "El asistente se ofrece como parte de su contrato de servicios con el proveedor, y solo para llevar las "
        "activaciones de esos servicios. Ese contrato rige el servicio; estas condiciones no lo cambian.",
        "The assistant is offered as part of your service agreement with the provider, and only to carry out the "
        "activations of those services. That agreement governs the service; these terms do not change it."),
    "legal.terms.p2": _(
        "Confirme una tarea solo cuando esté hecha e informe un bloqueo con un motivo cierto: las fechas del proyecto y "
        "los avisos a los demás dependen de ello. Las fechas que muestra son previsiones, no compromisos del operador.",
        "Confirm a task only when it is done, and report a block with a true reason: the project's dates and the notices "
        "to others depend on it. The dates it shows are forecasts, not commitments by the carrier."),
    "legal.terms.p3": _(
        "No escriba contraseñas ni datos de pago en el chat. El proveedor puede dejar de ofrecer el asistente al terminar "
        "la activación; el historial del proyecto se puede exportar antes.",
        "Do not type passwords or payment details into the chat. The provider may stop offering the assistant once the "
        "activation is over; the project's history can be exported before then."),
    "legal.other_language": _("Read in English", "Leer en español"),
    # issue 18: the command table's help lines, plan changes, questions, working days, private answers
    "help.cmd.digestpost": _("**resumen publicar**: publicar ya el resumen en el canal", "**digest post**: post the digest to the channel now"),
    "help.cmd.undo": _("**deshacer**: deshacer el último cambio del plan", "**undo**: undo the last change to the plan"),
    "help.cmd.holidays": _("**festivos** [AAAA-MM-DD, ...]: ver o fijar los festivos del proyecto (**festivos ninguno**: solo fines de semana)",
                           "**holidays** [YYYY-MM-DD, ...]: show or set the project's holidays (**holidays none**: weekends only)"),
    "help.cmd.reassign": _("**reasignar** <tarea> **a** <persona>: cambiar el responsable (también en el menú del PM de la tarjeta)",
                           "**reassign** <task> **to** <person>: change the owner (also in the card's PM menu)"),
    "help.cmd.movedue": _("**vencimiento** <tarea> AAAA-MM-DD <motivo>: mover la fecha de vencimiento",
                          "**due** <task> YYYY-MM-DD <reason>: move the due date"),
    "help.cmd.na": _("**no aplica** <tarea>: <motivo>: marcar una tarea como no aplicable",
                     "**not applicable** <task>: <reason>: mark a task not applicable"),
    "unknown.suggest": _("No entendí «{typed}». ¿Quiso decir **{command}**? Escriba **ayuda** para ver los comandos.",
                         "I didn't get “{typed}”. Did you mean **{command}**? Type **help** for the commands."),
    "status.no_match": _("Ninguno de sus proyectos coincide con «{name}».", "None of your projects matches “{name}”."),
    "private.pointer": _("{name}, le respondí en nuestro chat personal.", "{name}, I answered you in our 1:1 chat."),
    "private.unreachable": _("{name}, no puedo escribirle en privado: abra un chat conmigo y repita el comando allí.",
                             "{name}, I can't message you privately: open a chat with me and repeat the command there."),
    "plan.menu": _("Menú del PM", "PM menu"),
    "plan.owners": _("Responsables", "Owners"),
    "plan.due": _("Fecha de vencimiento", "Due date"),
    "plan.reason": _("Motivo (para la fecha o «no aplica»)", "Reason (for the date or not applicable)"),
    "plan.reassign": _("Reasignar", "Reassign"),
    "plan.move_due": _("Mover vencimiento", "Move due date"),
    "plan.na": _("No aplica", "Not applicable"),
    "plan.undo": _("Deshacer último cambio", "Undo last change"),
    "plan.done.reassigned": _("«{task}» reasignada a {names}.", "“{task}” reassigned to {names}."),
    "plan.done.due": _("Vencimiento de «{task}» movido al {date}; las tareas que dependen de ella se recalcularon.",
                       "“{task}” is now due {date}; the tasks after it were re-planned."),
    "plan.done.na": _("«{task}» marcada como no aplicable.", "“{task}” marked not applicable."),
    "plan.done.undone": _("Deshecho el último cambio de «{task}».", "Undid the last change to “{task}”."),
    "plan.told.reassigned": _("{by} reasignó esta tarea.", "{by} reassigned this task."),
    "plan.told.due": _("{by} movió el vencimiento al {date}: {reason}", "{by} moved the due date to {date}: {reason}"),
    "plan.told.na": _("{by} marcó esta tarea como no aplicable: {reason}", "{by} marked this task not applicable: {reason}"),
    "plan.told.undone": _("{by} deshizo un cambio del plan de esta tarea.", "{by} undid a plan change on this task."),
    "plan.which_task": _("No encuentro la tarea «{name}». Use parte de su título, tal como aparece en la tarjeta.",
                         "I can't find the task “{name}”. Use part of its title, as the card shows it."),
    "plan.several_tasks": _("«{name}» coincide con varias tareas: {titles}. Sea más preciso.",
                            "“{name}” matches several tasks: {titles}. Please be more specific."),
    "plan.which_person": _("«{name}» no está en la lista del proyecto. No cambié nada.",
                           "“{name}” is not on the project's roster. Nothing changed."),
    "plan.usage.reassign": _("Escriba: **reasignar** <tarea> **a** <persona>. No cambié nada.",
                             "Type: **reassign** <task> **to** <person>. Nothing changed."),
    "plan.usage.move_due": _("Escriba: **vencimiento** <tarea> AAAA-MM-DD <motivo>. No cambié nada.",
                             "Type: **due** <task> YYYY-MM-DD <reason>. Nothing changed."),
    "plan.usage.not_applicable": _("Escriba: **no aplica** <tarea>: <motivo>. No cambié nada.",
                                   "Type: **not applicable** <task>: <reason>. Nothing changed."),
    "refused.not_on_roster": _("Esa persona no está en la lista del proyecto (o no es de su organización). No cambié nada.",
                               "That person is not on the project's roster (or not in its organization). Nothing changed."),
    "refused.owner_required": _("Elija al menos un responsable. No cambié nada.", "Choose at least one owner. Nothing changed."),
    "refused.due_before_dependency": _("Esa fecha es anterior al vencimiento de una tarea de la que depende ({detail}). No cambié nada.",
                                       "That date is before the due date of a task it depends on ({detail}). Nothing changed."),
    "refused.due_past": _("El {date} ya pasó. Para usarlo igualmente, escriba **{confirm}**. No cambié nada.",
                          "{date} is in the past. To use it anyway, type **{confirm}**. Nothing changed."),
    "refused.nothing_to_undo": _("No hay cambios del plan que deshacer.", "There is no plan change to undo."),
    "refused.undo_moved_on": _("La tarea cambió después; ya no se puede deshacer ese cambio.",
                               "The task changed since; that change can no longer be undone."),
    "refused.date_required": _("Elija una fecha.", "Choose a date."),
    "refused.question_empty": _("Escriba su pregunta.", "Please write your question."),
    "refused.not_on_task": _("Solo quienes participan en esta tarea pueden preguntar aquí.",
                             "Only the people on this task can ask here."),
    "refused.too_many_questions": _("Esta tarea ya tiene demasiadas preguntas.", "This task has too many questions already."),
    "refused.unknown_question": _("No encuentro esa pregunta.", "I can't find that question."),
    "question.thread": _("Preguntas", "Questions"),
    "question.open": _("Preguntas sin responder", "Unanswered questions"),
    "question.ask": _("Hacer una pregunta", "Ask a question"),
    "question.label": _("Su pregunta", "Your question"),
    "question.send": _("Enviar pregunta", "Send question"),
    "question.title": _("Pregunta sobre «{task}»", "Question on “{task}”"),
    "question.answer_label": _("Su respuesta", "Your answer"),
    "question.answer": _("Responder", "Answer"),
    "question.sent": _("Pregunta enviada al PM y a los responsables.", "Question sent to the PM and the owners."),
    "question.answered": _("Respuesta enviada.", "Answer sent."),
    "question.capped": plural("El texto superaba {n} carácter: lo recorté.", "El texto superaba {n} caracteres: lo recorté a {n}.",
                              "The text was longer than {n} character: I cut it.", "The text was longer than {n} characters: I cut it to {n}."),
    "holidays.show": _("Festivos del proyecto: {days}.", "The project's holidays: {days}."),
    "holidays.country": _("Festivos del proyecto: los públicos de {country} (por defecto).",
                          "The project's holidays: the public holidays of {country} (the default)."),
    "holidays.none": _("Sin festivos: solo se saltan los fines de semana.", "No holidays: only weekends are skipped."),
    "holidays.set": plural("Festivos guardados: {n} día. Los recordatorios los saltan.", "Festivos guardados: {n} días. Los recordatorios los saltan.",
                           "Holidays saved: {n} day. Reminders skip it.", "Holidays saved: {n} days. Reminders skip them."),
    "holidays.format": _("No entiendo «{value}»: escriba fechas AAAA-MM-DD separadas por comas, p. ej. **festivos 2026-12-24, 2026-12-31**. No cambié nada.",
                         "I can't read “{value}”: write YYYY-MM-DD dates separated by commas, e.g. **holidays 2026-12-24, 2026-12-31**. Nothing changed."),
    # the Teams manifest's command menu (deploy/appPackage/build_package.py reads these from the command table)
    "manifest.help": _("Muestra lo que usted puede hacer aquí", "Show what you can do here"),
    "manifest.status_all": _("El estado de todos sus proyectos", "The status of all your projects"),
    "manifest.status": _("El avance de una activación: estado o estado <cliente>", "Where an activation stands: status or status <customer>"),
    "manifest.my_tasks": _("Sus tareas abiertas, en privado", "Your open tasks, privately"),
    "manifest.language": _("Cambiar el idioma: idioma es / idioma en", "Change language: language en / language es"),
    "manifest.new_project": _("Crear la activación de un cliente en este canal", "Set up a customer's activation in this channel"),
    "manifest.foc": _("Registrar la fecha FOC del operador: fecha foc AAAA-MM-DD", "Record the carrier's FOC date: foc YYYY-MM-DD"),
    "manifest.port_date": _("Mover la fecha de portabilidad: portabilidad AAAA-MM-DD", "Move the requested port date: port date YYYY-MM-DD"),
    "manifest.digest_post": _("Publicar ya el resumen semanal en este canal", "Post the weekly digest to this channel now"),
    "manifest.digest": _("Vista previa del resumen semanal", "Preview the weekly digest"),
    "manifest.export": _("Descargar el historial del proyecto (CSV)", "Download the project's history (CSV)"),
    "manifest.undo": _("Deshacer el último cambio del plan", "Undo the last change to the plan"),
    "date.cmd.move_due": _("vencimiento", "due"),
    "date.picker.title": _("Fechas de portabilidad", "Porting dates"),
    "date.picker.foc": _("Fecha FOC del operador", "Carrier's FOC date"),
    "date.picker.port": _("Fecha de portabilidad solicitada", "Requested port date"),
    "date.picker.save": _("Guardar", "Save"),
    "date.past_press_again": _("El {date} ya pasó. ¿Es correcto? Pulse **Guardar** otra vez para registrarlo; hasta entonces no cambio nada.",
                               "{date} is in the past. Is that right? Press **Save** again to record it; until then nothing changes."),
    "date.past_press_again_due": _("El {date} ya pasó. ¿Es correcto? Pulse **Mover vencimiento** otra vez para usarlo; hasta entonces no cambio nada.",
                                   "{date} is in the past. Is that right? Press **Move due date** again to use it; until then nothing changes."),
    "date.unchanged": _("No cambió ninguna fecha.", "No date changed."),
    "date.no_porting": _("este proyecto no tiene portabilidad de números", "this project has no number porting"),

}


def t(key: str, language: Language, **values: object) -> str:
    """The entry `key` in `language`, its {placeholders} filled from `values`. An entry that
    counts picks its form by `n` (which it also shows), so `n` is required for those."""
    entry = STRINGS[key]
    if isinstance(entry, Plural):
        count = values.get("n")
        if not isinstance(count, int):
            raise TypeError(f"{key!r} shows a count: call t({key!r}, language, n=<int>)")
        template = entry.get(language, count)
    else:
        template = entry.get(language)
    return template.format(**values) if values else template


def text(key: str) -> LocalizedText:
    """Both languages of an entry that does not count, for code that keeps a LocalizedText (role labels)."""
    entry = STRINGS[key]
    if isinstance(entry, Plural):
        raise TypeError(f"{key!r} shows a count: use t({key!r}, language, n=<int>)")
    return entry
