import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { ORGANISATION_ROLES, type OrganisationRole } from '../api.js';
import { ODS_CODE } from '../fields.js';
import * as store from '../store/organisations.js';
import { ADMIN, auditChange, duplicate, filterFrom, invalid, notFound, pageFrom, readBody } from './http.js';
import { organisationFromBody } from './records.js';

type Params = { odsCode: string };
type Query = Record<string, string | undefined>;

/** /admin/directory/organisations: create (POST), replace or create (PUT), read, list by role or parent. */
export async function organisationRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const base = '/admin/directory/organisations';

  async function requireParent(parentOdsCode: string | undefined) {
    if (parentOdsCode && !(await store.findOrganisation(ctx.db, parentOdsCode))) {
      throw invalid('parentOdsCode', `parent organisation ${parentOdsCode} is not in the directory`);
    }
  }

  app.get<{ Querystring: Query }>(base, { config: ADMIN }, async (request) => {
    const page = pageFrom(request.query);
    const role = request.query.role;
    if (role !== undefined && !(ORGANISATION_ROLES as readonly string[]).includes(role)) {
      throw invalid('role', `'role' must be one of ${ORGANISATION_ROLES.join(', ')}`);
    }
    const parentOdsCode = filterFrom(request.query, 'parentOdsCode', ODS_CODE);
    const items = await store.listOrganisations(ctx.db, { role: role as OrganisationRole | undefined, parentOdsCode, ...page });
    return { items, ...page };
  });

  app.get<{ Params: Params }>(`${base}/:odsCode`, { config: ADMIN }, async (request) => {
    const org = await store.findOrganisation(ctx.db, request.params.odsCode.toUpperCase());
    if (!org) throw notFound(`Organisation ${request.params.odsCode}`);
    return org;
  });

  app.post(base, { config: ADMIN }, async (request, reply) => {
    const org = readBody(() => organisationFromBody(request.body));
    await requireParent(org.parentOdsCode);
    if (!(await store.insertOrganisationIfAbsent(ctx.db, org))) throw duplicate(`Organisation ${org.odsCode}`);
    auditChange(request, 'organisation', `Organization/${org.odsCode}`, true);
    return reply.code(201).send(org);
  });

  app.put<{ Params: Params }>(`${base}/:odsCode`, { config: ADMIN }, async (request, reply) => {
    const org = readBody(() => organisationFromBody(request.body, request.params.odsCode));
    await requireParent(org.parentOdsCode);
    const existed = await store.findOrganisation(ctx.db, org.odsCode);
    await store.upsertOrganisation(ctx.db, org);
    auditChange(request, 'organisation', `Organization/${org.odsCode}`, !existed);
    return reply.code(existed ? 200 : 201).send(org);
  });
}
