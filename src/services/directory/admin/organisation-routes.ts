import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { PlatformContext } from '../../../platform/service.js';
import * as store from '../store/organisations.js';
import { ADMIN, auditChange, duplicate, invalid, notFound, pageFrom, readBody, upperCased, writeRecord } from './http.js';
import { organisationFromBody } from './records.js';
import { OdsCodeParams, OrganisationBody, OrganisationPutBody, OrganisationQuery } from './schemas.js';

type Params = Static<typeof OdsCodeParams>;

/** /admin/directory/organisations: create (POST), replace or create (PUT), read, list by role or parent. */
export async function organisationRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const base = '/admin/directory/organisations';

  async function requireParent(parentOdsCode: string | undefined) {
    if (parentOdsCode && !(await store.findOrganisation(ctx.db, parentOdsCode))) {
      throw invalid('parentOdsCode', `parent organisation ${parentOdsCode} is not in the directory`);
    }
  }

  app.get<{ Querystring: Static<typeof OrganisationQuery> }>(base, { schema: { querystring: OrganisationQuery }, config: ADMIN }, async (request) => {
    const page = pageFrom(request.query);
    const { role } = request.query;
    const items = await store.listOrganisations(ctx.db, { role, parentOdsCode: upperCased(request.query.parentOdsCode), ...page });
    return { items, ...page };
  });

  app.get<{ Params: Params }>(`${base}/:odsCode`, { schema: { params: OdsCodeParams }, config: ADMIN }, async (request) => {
    const org = await store.findOrganisation(ctx.db, request.params.odsCode.toUpperCase());
    if (!org) throw notFound(`Organisation ${request.params.odsCode}`);
    return org;
  });

  app.post<{ Body: Static<typeof OrganisationBody> }>(base, { schema: { body: OrganisationBody }, config: ADMIN }, async (request, reply) => {
    const org = readBody(() => organisationFromBody(request.body));
    await requireParent(org.parentOdsCode);
    if (!(await writeRecord(() => store.insertOrganisationIfAbsent(ctx.db, org)))) throw duplicate(`Organisation ${org.odsCode}`);
    auditChange(request, 'organisation', `Organization/${org.odsCode}`, true);
    return reply.code(201).send(org);
  });

  app.put<{ Params: Params; Body: Static<typeof OrganisationPutBody> }>(`${base}/:odsCode`, { schema: { params: OdsCodeParams, body: OrganisationPutBody }, config: ADMIN }, async (request, reply) => {
    const org = readBody(() => organisationFromBody(request.body, request.params.odsCode));
    await requireParent(org.parentOdsCode);
    const existed = await store.findOrganisation(ctx.db, org.odsCode);
    await writeRecord(() => store.upsertOrganisation(ctx.db, org));
    auditChange(request, 'organisation', `Organization/${org.odsCode}`, !existed);
    return reply.code(existed ? 200 : 201).send(org);
  });
}
