import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { ODS_CODE } from '../fields.js';
import { findOrganisation } from '../store/organisations.js';
import * as sds from '../store/sds.js';
import { ADMIN, auditChange, duplicate, filterFrom, invalid, isUniqueViolation, notFound, pageFrom, readBody, uuidFrom } from './http.js';
import { accreditedSystemFromBody, mhsEndpointFromBody } from './records.js';

type Query = Record<string, string | undefined>;
type Params = { id: string };

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

  app.get<{ Querystring: Query }>(devices, { config: ADMIN }, async (request) => {
    const page = pageFrom(request.query);
    const ownerOdsCode = filterFrom(request.query, 'ownerOdsCode', ODS_CODE);
    return { items: await sds.listAccreditedSystems(ctx.db, { ownerOdsCode, ...page }), ...page };
  });

  app.get<{ Params: Params }>(`${devices}/:id`, { config: ADMIN }, async (request) => {
    const system = await sds.findAccreditedSystem(ctx.db, uuidFrom(request.params.id));
    if (!system) throw notFound(`Accredited system ${request.params.id}`);
    return system;
  });

  app.post(devices, { config: ADMIN }, async (request, reply) => {
    const system = readBody(() => accreditedSystemFromBody(request.body, randomUUID().toUpperCase()));
    await requireOrganisation('ownerOdsCode', system.ownerOdsCode);
    if (!(await sds.insertAccreditedSystemIfAbsent(ctx.db, system))) throw duplicate(`ASID ${system.asid}`);
    auditChange(request, 'device', `Device/${system.id}`, true);
    return reply.code(201).send(system);
  });

  app.put<{ Params: Params }>(`${devices}/:id`, { config: ADMIN }, async (request) => {
    const id = uuidFrom(request.params.id);
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

  app.get<{ Querystring: Query }>(endpoints, { config: ADMIN }, async (request) => {
    const page = pageFrom(request.query);
    const managingOdsCode = filterFrom(request.query, 'managingOdsCode', ODS_CODE);
    return { items: await sds.listMhsEndpoints(ctx.db, { managingOdsCode, ...page }), ...page };
  });

  app.get<{ Params: Params }>(`${endpoints}/:id`, { config: ADMIN }, async (request) => {
    const endpoint = await sds.findMhsEndpoint(ctx.db, uuidFrom(request.params.id));
    if (!endpoint) throw notFound(`MHS endpoint ${request.params.id}`);
    return endpoint;
  });

  app.post(endpoints, { config: ADMIN }, async (request, reply) => {
    const endpoint = readBody(() => mhsEndpointFromBody(request.body, randomUUID().toUpperCase()));
    await requireOrganisation('managingOdsCode', endpoint.managingOdsCode);
    await sds.insertMhsEndpointIfAbsent(ctx.db, endpoint);
    auditChange(request, 'endpoint', `Endpoint/${endpoint.id}`, true);
    return reply.code(201).send(endpoint);
  });

  app.put<{ Params: Params }>(`${endpoints}/:id`, { config: ADMIN }, async (request) => {
    const id = uuidFrom(request.params.id);
    const endpoint = readBody(() => mhsEndpointFromBody(request.body, id));
    if (!(await sds.findMhsEndpoint(ctx.db, id))) throw notFound(`MHS endpoint ${request.params.id}`);
    await requireOrganisation('managingOdsCode', endpoint.managingOdsCode);
    await sds.upsertMhsEndpoint(ctx.db, endpoint);
    auditChange(request, 'endpoint', `Endpoint/${endpoint.id}`, false);
    return endpoint;
  });
}
