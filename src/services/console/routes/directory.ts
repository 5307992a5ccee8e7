import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { ACTIVITIES } from '../../../platform/auth/activities.js';
import { DISPLAY_NAME_PATTERN, ORGANISATION_ROLES, directoryApi, normalisePostcode, type OrganisationRole } from '../../directory/api.js';
import { createApplication, listApplications, setApplicationActivities, setApplicationDisabled } from '../../identity/api.js';
import { listPointerTypes, pointerTypes, removePointerTypes, setPointerTypes } from '../../record-locator/api.js';
import { errorPage, pageRoute } from '../http.js';
import { render } from '../render.js';
import { auditConsole } from '../audit.js';

/**
 * The directory, edited from the page: organisations, MESH mailboxes and workflows, and the
 * applications registered with the Spine with their keys, activities and NRL pointer-type
 * permissions. Each change is a form post (Post/Redirect/Get) and an audit entry.
 */
const SECTIONS = [
  { id: 'organisations', title: 'Organisations' }, { id: 'mailboxes', title: 'Mailboxes' },
  { id: 'workflows', title: 'Workflows' }, { id: 'applications', title: 'Applications' },
] as const;
type Section = (typeof SECTIONS)[number]['id'];

const text = (maxLength: number, pattern?: string) => ({ type: 'string', maxLength, ...(pattern ? { pattern } : {}) });
const ODS = text(10, '^[A-Za-z0-9]{3,10}$');
const MAILBOX = text(20, '^[A-Za-z0-9]{3,20}$');
const ACTIVE = { type: 'string', enum: ['yes', 'no'] };
const CSRF = text(100);
const form = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', required: ['_csrf', ...required], properties: { _csrf: CSRF, ...properties } });
const ORGANISATION_FORM = form(['odsCode', 'name', 'role', 'active'], {
  odsCode: ODS, name: text(200, DISPLAY_NAME_PATTERN), role: { type: 'string', enum: [...ORGANISATION_ROLES] }, postcode: text(10), active: ACTIVE,
});
const MAILBOX_FORM = form(['mailboxId', 'mailboxName', 'odsCode', 'active'], {
  mailboxId: MAILBOX, mailboxName: text(200, DISPLAY_NAME_PATTERN), odsCode: ODS, password: text(200), active: ACTIVE,
});
const MAILBOX_LIST = text(2000, '^[A-Za-z0-9,\\s]*$');
const WORKFLOW_FORM = form(['workflowId'], { workflowId: text(100, '^[A-Za-z0-9_.-]+$'), senders: MAILBOX_LIST, receivers: MAILBOX_LIST });
/** Checkboxes are named `activity:<name>` and `type:<n>`: one field each, since the form parser keeps one value per name. */
const checkboxes = { type: 'string', enum: ['on'] };
const APPLICATION_FORM = { ...form(['name', 'odsCode'], { name: text(200, '\\S'), odsCode: ODS }), additionalProperties: checkboxes };
const ACTIVITIES_FORM = { ...form([], {}), additionalProperties: checkboxes };
const POINTER_TYPES_FORM = { ...form(['organisation'], { organisation: text(30, '^[A-Za-z0-9]{3,10}(\\.[A-Za-z0-9]{1,10})?$') }), additionalProperties: checkboxes };
const CSRF_FORM = form([], {});
const SECTION_QUERY = { type: 'object', properties: { saved: text(200), edit: text(100) } };
const KEY_PARAMS = (name: string, pattern: string) => ({ type: 'object', properties: { [name]: text(100, pattern) } });

const mailboxIds = (raw: string | undefined) => [...new Set((raw ?? '').split(/[\s,]+/).filter(Boolean).map((m) => m.toUpperCase()))];
const checked = (body: Record<string, string>, prefix: string) => Object.keys(body).filter((k) => k.startsWith(prefix) && body[k] === 'on').map((k) => k.slice(prefix.length));

export async function registerDirectoryRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const directory = directoryApi(ctx.db);
  const types = pointerTypes();

  // A form may name only what the directory holds (as the directory's admin API requires): a
  // mailbox of an organisation that is not there, or a workflow of mailboxes that are not, would be
  // stored and then fail wherever it is used. Refused as the page refuses other form errors.
  const notInDirectory = (request: FastifyRequest, reply: FastifyReply, message: string) =>
    errorPage(request, reply, 400, 'Not in the directory', message);
  const unknownOrganisation = async (odsCode: string) => !(await directory.getOrganisation(odsCode));
  const noOrganisation = (field: string, odsCode: string) => `Check the field '${field}': there is no organisation ${odsCode} in the directory. Add the organisation first.`;
  const noMailboxes = (field: string, ids: string[]) => ids.length === 1
    ? `Check the field '${field}': there is no mailbox ${ids[0]} in the directory.`
    : `Check the field '${field}': there are no mailboxes ${ids.join(', ')} in the directory.`;

  const done = (reply: FastifyReply, section: Section, saved: string) =>
    reply.code(303).header('location', `/console/directory/${section}?saved=${encodeURIComponent(saved)}`).send();

  async function sectionView(section: Section) {
    switch (section) {
      case 'organisations': return { organisations: await directory.listOrganisations({ limit: 1000 }), roles: ORGANISATION_ROLES };
      case 'mailboxes': return { mailboxes: await directory.listMailboxes({ limit: 1000 }) };
      case 'workflows': return { workflows: await directory.listWorkflows({ limit: 1000 }) };
      case 'applications': {
        const [applications, permissions] = await Promise.all([listApplications(ctx.db), listPointerTypes(ctx.db)]);
        const display = new Map(types.map((t) => [t.type, t.display]));
        return {
          activities: ACTIVITIES, pointerTypes: types,
          applications: applications.map((a) => ({
            ...a, kids: a.jwks.keys.map((k) => k.kid ?? '(no kid)'),
            permissions: permissions.filter((p) => p.appId === a.appId).map((p) => ({ ...p, displays: p.pointerTypes.map((t) => display.get(t) ?? t) })),
          })),
        };
      }
    }
  }

  for (const section of SECTIONS) {
    const path = section.id === 'organisations' ? '/directory' : `/directory/${section.id}`;
    app.get(path, pageRoute('directory', { querystring: SECTION_QUERY }), async (request: FastifyRequest, reply) => {
      const query = request.query as { saved?: string; edit?: string };
      await auditConsole(ctx, request, { action: 'console.directory.view', detail: { section: section.id } });
      return render(request, reply, {
        template: 'directory.njk', title: `Directory: ${section.title}`, page: 'directory', section: section.id, sections: SECTIONS,
        saved: query.saved, edit: query.edit, ...(await sectionView(section.id)),
      });
    });
  }
  app.get('/directory/organisations', pageRoute('directory'), async (_request, reply) => reply.code(303).header('location', '/console/directory').send());

  app.post('/directory/organisations', pageRoute('directory', { body: ORGANISATION_FORM }), async (request, reply) => {
    const body = request.body as { odsCode: string; name: string; role: OrganisationRole; postcode?: string; active: string };
    // A postcode is stored in its standard form (`LS1 6AE`) whichever spelling is typed; what is not one is refused.
    const postcode = body.postcode?.trim() ? normalisePostcode(body.postcode) : undefined;
    if (body.postcode?.trim() && !postcode) {
      return errorPage(request, reply, 400, 'Not a postcode', `Check the field 'postcode': ${body.postcode.trim()} is not a UK postcode (for example LS1 6AE).`);
    }
    const organisation = { odsCode: body.odsCode.toUpperCase(), name: body.name.trim(), role: body.role, active: body.active === 'yes', ...(postcode ? { postcode } : {}) };
    const existing = await directory.getOrganisation(organisation.odsCode);
    // The form does not show the parent: the organisation keeps the one it has when the row is written.
    await directory.upsertOrganisation(organisation, { keepParent: true });
    await auditConsole(ctx, request, { action: existing ? 'console.directory.organisation.update' : 'console.directory.organisation.create', resource: `Organization/${organisation.odsCode}`, detail: { active: organisation.active } });
    return done(reply, 'organisations', `Organisation ${organisation.odsCode} saved`);
  });

  app.post('/directory/mailboxes', pageRoute('directory', { body: MAILBOX_FORM }), async (request, reply) => {
    const body = request.body as { mailboxId: string; mailboxName: string; odsCode: string; password?: string; active: string };
    const mailboxId = body.mailboxId.toUpperCase();
    const existing = await directory.getMailbox(mailboxId);
    // Left empty, the password stays the one the mailbox has when the row is written, not the one read here.
    const password = body.password || existing?.password;
    if (!password) return errorPage(request, reply, 400, 'A new mailbox needs a password', "Check the field 'password': a new mailbox needs one.");
    const odsCode = body.odsCode.toUpperCase();
    if (await unknownOrganisation(odsCode)) return notInDirectory(request, reply, noOrganisation('odsCode', odsCode));
    await directory.upsertMailbox({
      mailboxId, mailboxName: body.mailboxName.trim(), odsCode, orgCode: existing?.orgCode ?? odsCode, password, active: body.active === 'yes',
      ...(existing?.billingEntity ? { billingEntity: existing.billingEntity } : {}),
    }, { keepPassword: !body.password });
    // The audit trail never holds the password, only that it changed.
    await auditConsole(ctx, request, {
      action: existing ? 'console.directory.mailbox.update' : 'console.directory.mailbox.create', resource: `MESH mailbox ${mailboxId}`,
      detail: { active: body.active === 'yes', passwordChanged: Boolean(body.password) },
    });
    return done(reply, 'mailboxes', `Mailbox ${mailboxId} saved`);
  });

  // Disable and re-enable: each has effect where the thing is used (a disabled mailbox neither
  // authenticates nor receives; a disabled application gets no token and its tokens are refused; a
  // disabled organisation's mailboxes and applications likewise), and is audited.
  const STATUS_ACTION = { type: 'string', enum: ['disable', 'enable'] };
  const toggled = (key: string, pattern: string) => pageRoute('directory', { params: { type: 'object', properties: { [key]: text(100, pattern), change: STATUS_ACTION } }, body: CSRF_FORM });
  const pastTense = (change: string) => (change === 'disable' ? 'disabled' : 'enabled');

  app.post('/directory/mailboxes/:mailboxId/:change', toggled('mailboxId', '^[A-Za-z0-9]+$'), async (request, reply) => {
    const { mailboxId, change } = request.params as { mailboxId: string; change: 'disable' | 'enable' };
    // One statement: reading the mailbox and writing it back would put back a password (or name)
    // changed in between.
    if (!await directory.setMailboxActive(mailboxId, change === 'enable')) return errorPage(request, reply, 404, 'Mailbox not found', `There is no mailbox ${mailboxId}.`);
    const id = mailboxId.toUpperCase();
    await auditConsole(ctx, request, { action: `console.directory.mailbox.${change}`, resource: `MESH mailbox ${id}` });
    return done(reply, 'mailboxes', `Mailbox ${id} ${pastTense(change)}`);
  });

  app.post('/directory/organisations/:odsCode/:change', toggled('odsCode', '^[A-Za-z0-9]+$'), async (request, reply) => {
    const { odsCode, change } = request.params as { odsCode: string; change: 'disable' | 'enable' };
    if (!await directory.setOrganisationActive(odsCode, change === 'enable')) return errorPage(request, reply, 404, 'Organisation not found', `There is no organisation ${odsCode}.`);
    const code = odsCode.toUpperCase();
    await auditConsole(ctx, request, { action: `console.directory.organisation.${change}`, resource: `Organization/${code}` });
    const effect = change === 'disable' ? ': its mailboxes and applications are refused' : '';
    return done(reply, 'organisations', `Organisation ${code} ${pastTense(change)}${effect}`);
  });

  app.post('/directory/workflows', pageRoute('directory', { body: WORKFLOW_FORM }), async (request, reply) => {
    const body = request.body as { workflowId: string; senders?: string; receivers?: string };
    const workflow = { workflowId: body.workflowId, senders: mailboxIds(body.senders), receivers: mailboxIds(body.receivers) };
    for (const field of ['senders', 'receivers'] as const) {
      const unknown = await directory.unknownMailboxIds(workflow[field]);
      if (unknown.length > 0) return notInDirectory(request, reply, noMailboxes(field, unknown));
    }
    const existing = await directory.getWorkflow(workflow.workflowId);
    await directory.upsertWorkflow(workflow);
    await auditConsole(ctx, request, { action: existing ? 'console.directory.workflow.update' : 'console.directory.workflow.create', resource: `MESH workflow ${workflow.workflowId}`, detail: { senders: workflow.senders, receivers: workflow.receivers } });
    return done(reply, 'workflows', `Workflow ${workflow.workflowId} saved`);
  });

  app.post('/directory/applications', pageRoute('directory', { body: APPLICATION_FORM }), async (request, reply) => {
    const body = request.body as Record<string, string>;
    const odsCode = body.odsCode!.toUpperCase();
    if (await unknownOrganisation(odsCode)) return notInDirectory(request, reply, noOrganisation('odsCode', odsCode));
    const created = await createApplication(ctx.db, { name: body.name!.trim(), odsCode, activities: checked(body, 'activity:') });
    await auditConsole(ctx, request, { action: 'console.directory.application.create', resource: `Application/${created.application.appId}`, detail: { name: created.application.name, activities: created.application.activities } });
    // The private key is shown once, on this answer, and never stored: no redirect, so a reload cannot show it again.
    return render(request, reply, {
      template: 'application-created.njk', title: 'Application registered', page: 'directory', application: created.application, key: created.generatedKey,
    });
  });

  app.post('/directory/applications/:apiKey/activities', pageRoute('directory', { params: KEY_PARAMS('apiKey', '^[A-Za-z0-9]+$'), body: ACTIVITIES_FORM }), async (request, reply) => {
    const { apiKey } = request.params as { apiKey: string };
    const activities = checked(request.body as Record<string, string>, 'activity:');
    const updated = await setApplicationActivities(ctx.db, apiKey, activities);
    if (!updated) return errorPage(request, reply, 404, 'Application not found', 'There is no application with this API key.');
    await auditConsole(ctx, request, { action: 'console.directory.application.update', resource: `Application/${updated.appId}`, detail: { activities } });
    return done(reply, 'applications', `Application ${updated.name} saved`);
  });

  app.post('/directory/applications/:apiKey/:change', toggled('apiKey', '^[A-Za-z0-9]+$'), async (request, reply) => {
    const { apiKey, change } = request.params as { apiKey: string; change: 'disable' | 'enable' };
    const updated = await setApplicationDisabled(ctx.db, apiKey, change === 'disable', ctx.clock.now());
    if (!updated) return errorPage(request, reply, 404, 'Application not found', 'There is no application with this API key.');
    await auditConsole(ctx, request, { action: `console.directory.application.${change}`, resource: `Application/${updated.appId}` });
    const effect = change === 'disable' ? ': it gets no token and the tokens it holds are refused' : '';
    return done(reply, 'applications', `Application ${updated.name} ${pastTense(change)}${effect}`);
  });

  app.post('/directory/applications/:appId/pointer-types', pageRoute('directory', { params: KEY_PARAMS('appId', '^[A-Za-z0-9-]+$'), body: POINTER_TYPES_FORM }), async (request, reply) => {
    const { appId } = request.params as { appId: string };
    const body = request.body as Record<string, string>;
    const chosen = checked(body, 'type:').map(Number).filter((i) => Number.isInteger(i) && types[i]).map((i) => types[i]!.type);
    const organisation = body.organisation!.toUpperCase();
    // `ODS` or `ODS.extension` (NRL's NHSD-End-User-Organisation-ODS and its extension): the organisation is the ODS code.
    const odsCode = organisation.split('.')[0]!;
    if (await unknownOrganisation(odsCode)) return notInDirectory(request, reply, noOrganisation('organisation', odsCode));
    if (chosen.length === 0) await removePointerTypes(ctx.db, appId, organisation);
    else await setPointerTypes(ctx.db, appId, organisation, chosen);
    await auditConsole(ctx, request, { action: 'console.directory.application.pointer-types', resource: `Application/${appId}`, detail: { organisation, pointerTypes: chosen } });
    return done(reply, 'applications', `NRL pointer types for ${organisation} saved`);
  });
}
