import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { findOrganisation } from '../store/organisations.js';
import * as sds from '../store/sds.js';
import type { Static } from '@sinclair/typebox';
import { ADMIN, auditChange, duplicate, invalid, isUniqueViolation, notFound, pageFrom, readBody, upperCased } from './http.js';
import { accreditedSystemFromBody, mhsEndpointFromBody } from './records.js';
import { AccreditedSystemBody, DeviceQuery, EndpointQuery, MhsEndpointBody, RecordIdParams } from './schemas.js';

type Params = Static<typeof RecordIdParams>;
const byId = { params: RecordIdParams };

/**
 * /admin/directory/devices (accredited systems) and /admin/directory/endpoints (MHS records).
 * Ids are UUIDs the directory assigns on POST, as the SDS does; PUT replaces an existing record.
 */
export async function sdsAdminRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const devices = '/admin/directory/devices';
  const endpoints = '/admin/directory/endpoints';

  async function requireOrganisation(field: string, odsCode: string) {
    if (!(await findOrganisation(ctx.db, odsCode))) throw invalid(field, `organisation ${odsCode} is not in the directory`);
  }

  app.get<{ Querystring: Static<typeof DeviceQuery> }>(devices, { schema: { querystring: DeviceQuery }, config: ADMIN }, async (request) => {
    const page = pageFrom(request.query);
    const ownerOdsCode = upperCased(request.query.ownerOdsCode);
    return { items: await sds.listAccreditedSystems(ctx.db, { ownerOdsCode, ...page }), ...page };
  });

  app.get<{ Params: Params }>(`${devices}/:id`, { schema: byId, config: ADMIN }, async (request) => {
    const system = await sds.findAccreditedSystem(ctx.db, request.params.id.toUpperCase());
    if (!system) throw notFound(`Accredited system ${request.params.id}`);
    return system;
  });

  app.post<{ Body: Static<typeof AccreditedSystemBody> }>(devices, { schema: { body: AccreditedSystemBody }, config: ADMIN }, async (request, reply) => {
    const system = readBody(() => accreditedSystemFromBody(request.body, randomUUID().toUpperCase()));
    await requireOrganisation('ownerOdsCode', system.ownerOdsCode);
    if (!(await sds.insertAccreditedSystemIfAbsent(ctx.db, system))) throw duplicate(`ASID ${system.asid}`);
    auditChange(request, 'device', `Device/${system.id}`, true);
    return reply.code(201).send(system);
  });

  app.put<{ Params: Params; Body: Static<typeof AccreditedSystemBody> }>(`${devices}/:id`, { schema: { ...byId, body: AccreditedSystemBody }, config: ADMIN }, async (request) => {
    const id = request.params.id.toUpperCase();
    const system = readBody(() => accreditedSystemFromBody(request.body, id));
    if (!(await sds.findAccreditedSystem(ctx.db, id))) throw notFound(`Accredited system ${request.params.id}`);
    await requireOrganisation('ownerOdsCode', system.ownerOdsCode);
    try {
      await sds.upsertAccreditedSystem(ctx.db, system);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(`ASID ${system.asid}`);
      throw err;
    }
    auditChange(request, 'device', `Device/${system.id}`, false);
    return system;
  });

  app.get<{ Querystring: Static<typeof EndpointQuery> }>(endpoints, { schema: { querystring: EndpointQuery }, config: ADMIN }, async (request) => {
    const page = pageFrom(request.query);
    const managingOdsCode = upperCased(request.query.managingOdsCode);
    return { items: await sds.listMhsEndpoints(ctx.db, { managingOdsCode, ...page }), ...page };
  });

  app.get<{ Params: Params }>(`${endpoints}/:id`, { schema: byId, config: ADMIN }, async (request) => {
    const endpoint = await sds.findMhsEndpoint(ctx.db, request.params.id.toUpperCase());
    if (!endpoint) throw notFound(`MHS endpoint ${request.params.id}`);
    return endpoint;
  });

  app.post<{ Body: Static<typeof MhsEndpointBody> }>(endpoints, { schema: { body: MhsEndpointBody }, config: ADMIN }, async (request, reply) => {
    const endpoint = readBody(() => mhsEndpointFromBody(request.body, randomUUID().toUpperCase()));
    await requireOrganisation('managingOdsCode', endpoint.managingOdsCode);
    await sds.insertMhsEndpointIfAbsent(ctx.db, endpoint);
    auditChange(request, 'endpoint', `Endpoint/${endpoint.id}`, true);
    return reply.code(201).send(endpoint);
  });

  app.put<{ Params: Params; Body: Static<typeof MhsEndpointBody> }>(`${endpoints}/:id`, { schema: { ...byId, body: MhsEndpointBody }, config: ADMIN }, async (request) => {
    const id = request.params.id.toUpperCase();
    const endpoint = readBody(() => mhsEndpointFromBody(request.body, id));
    if (!(await sds.findMhsEndpoint(ctx.db, id))) throw notFound(`MHS endpoint ${request.params.id}`);
    await requireOrganisation('managingOdsCode', endpoint.managingOdsCode);
    await sds.upsertMhsEndpoint(ctx.db, endpoint);
    auditChange(request, 'endpoint', `Endpoint/${endpoint.id}`, false);
    return endpoint;
  });
}
