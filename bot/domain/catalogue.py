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
    "help.cmd.status": _("**estado**: el avance de su proyecto", "**status**: your project's progress"),
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
    # across organisations (issue 15): identity, staff, link codes, shared channels
    "identity.refused": _("No pude confirmar quién es usted en esta conversación, así que no hice nada. (ref. {ref})",
                          "I couldn't confirm who you are in this conversation, so I did nothing. (ref. {ref})"),
    "staff.title": _("Personal del proveedor", "Provider staff"),
    "staff.intro": _("Los gerentes de proyecto (PM) crean proyectos; los administradores gestionan esta lista.",
                     "Project managers (PMs) set up projects; admins manage this list."),
    "staff.role.pm": _("PM", "PM"),
    "staff.role.admin": _("Administrador", "Admin"),
    "staff.from_settings": _("(configuración)", "(settings)"),
    "staff.none": _("Nadie en la lista todavía.", "Nobody on the list yet."),
    "staff.add_title": _("Agregar", "Add"),
    "staff.who": _("Persona (del equipo o por UPN)", "Person (from the team, or by UPN)"),
    "staff.upn": _("UPN, p. ej. ana@proveedor.com", "UPN, e.g. ana@provider.com"),
    "staff.role_label": _("Rol", "Role"),
    "staff.add": _("Agregar", "Add"),
    "staff.remove": _("Quitar", "Remove"),
    "staff.added": _("{name} es ahora {role}.", "{name} is now {role}."),
    "staff.already": _("{name} ya era {role}; no cambié nada.", "{name} was {role} already; nothing changed."),
    "staff.removed": _("Quité a {name} del personal.", "I removed {name} from the staff."),
    "staff.not_listed": _("{name} no está en la lista del personal; no cambié nada.",
                          "{name} is not on the staff list; nothing changed."),
    "staff.settings_only": _("{name} es personal por la configuración del bot; solo quien la administra puede quitarle.",
                             "{name} is staff through the bot's settings; only whoever runs the bot can remove them."),
    "staff.not_found": _("No encontré a «{who}» en esta conversación. Escriba su UPN tal como aparece en Teams.",
                         "I couldn't find '{who}' in this conversation. Type their UPN as Teams shows it."),
    "staff.guest_refused": _("{name} es un invitado en esta organización: un invitado no pasa a ser personal por su "
                             "correo ni su UPN. Esa persona debe vincular su identidad de invitado con **vincular**. (ref. {ref})",
                             "{name} is a guest in this organization: a guest never becomes staff by e-mail or UPN. "
                             "They link their guest identity with **link** instead. (ref. {ref})"),
    "staff.admin_only": _("Solo un administrador del bot puede gestionar el personal.", "Only a bot admin can manage the staff."),
    "staff.usage": _("Use **personal** para ver la lista, **personal agregar pm|admin UPN** o **personal quitar UPN**.",
                     "Use **staff** to see the list, **staff add pm|admin UPN** or **staff remove UPN**."),
    "staff.self": _("No puede quitarse a sí mismo como administrador.", "You cannot remove yourself as admin."),
    "link.code_title": _("Código de vinculación", "Link code"),
    "link.code_body": _("Escriba **vincular {code}** en su chat personal con el bot en la organización del cliente, "
                        "donde usted es invitado. El código sirve una vez y vence en {minutes} minutos.",
                        "Type **link {code}** in your 1:1 chat with the bot in the customer's organization, where you "
                        "are a guest. The code works once and expires in {minutes} minutes."),
    "link.not_staff": _("Solo el personal del proveedor, desde su propia organización, puede pedir un código de vinculación. (ref. {ref})",
                        "Only provider staff, in their own organization, can ask for a link code. (ref. {ref})"),
    "link.done": _("Listo: aquí actúa como {name}, personal del proveedor.", "Done: here you act as {name}, provider staff."),
    "link.unknown": _("Ese código no existe. Pida uno nuevo con **link** en su chat con el bot en su propia organización. (ref. {ref})",
                      "That code doesn't exist. Ask for a new one with **link** in your chat with the bot in your own "
                      "organization. (ref. {ref})"),
    "link.expired": _("Ese código venció; no vinculé nada. Pida uno nuevo con **link**. (ref. {ref})",
                      "That code has expired; nothing was linked. Ask for a new one with **link**. (ref. {ref})"),
    "link.used": _("Ese código ya se usó; no vinculé nada. Pida uno nuevo con **link**. (ref. {ref})",
                   "That code was used already; nothing was linked. Ask for a new one with **link**. (ref. {ref})"),
    "link.same_identity": _("Escriba el código en el chat con el bot donde usted es invitado, no aquí. (ref. {ref})",
                            "Type the code in your chat with the bot where you are a guest, not here. (ref. {ref})"),
    "link.not_guest": _("Solo una identidad de invitado se vincula con el personal del proveedor; no vinculé nada. (ref. {ref})",
                        "Only a guest identity is linked to provider staff; nothing was linked. (ref. {ref})"),
    "link.personal_only": _("Escriba **link** en su chat personal con el bot.", "Type **link** in your 1:1 chat with the bot."),
    "channel_only": _("No puedo escribirle a {name} en un chat personal: la aplicación no está instalada en su "
                      "organización. Le menciono en el canal del proyecto. Para que reciba sus tarjetas en privado, "
                      "el administrador de Teams del cliente debe agregar la aplicación a su catálogo e instalarla.",
                      "I can't message {name} in a 1:1 chat: the app isn't installed in their organization. I mention "
                      "them in the project channel instead. For their cards to reach them privately, the customer's "
                      "Teams admin adds the app to their catalog and installs it."),
    "shared.title": _("Canal compartido con {teams}", "Channel shared with {teams}"),
    "shared.body": _("Asigne roles del proyecto de {customer} a las personas de la otra organización.",
                     "Assign roles on {customer}'s project to the other organization's people."),
    "shared.no_members": _("Todavía no veo a nadie de la otra organización en el canal. Vuelva a abrir esta tarjeta "
                           "cuando se hayan unido.",
                           "I don't see anyone from the other organization in the channel yet. Open this card again "
                           "once they have joined."),
    "shared.assign": _("Asignar", "Assign"),
    "shared.assigned": plural("Asigné {n} rol.", "Asigné {n} roles.", "I assigned {n} role.", "I assigned {n} roles."),
    "shared.unshared": _("Este canal ya no se comparte con {teams}. Sus personas conservan sus roles, pero ya no ven "
                         "el canal.",
                         "This channel is no longer shared with {teams}. Their people keep their roles but no "
                         "longer see the channel."),
    "shared.not_member": _("Esa persona no es miembro de este canal; no asigné nada. (ref. {ref})",
                           "That person is not a member of this channel; nothing was assigned. (ref. {ref})"),
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
