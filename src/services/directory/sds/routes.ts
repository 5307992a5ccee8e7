import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { registerHealth } from '../../../platform/http/health.js';
import * as sdsStore from '../store/sds.js';
import { capabilityStatement } from './capability.js';
import { parseDeviceQuery, parseEndpointQuery, type RawQuery } from './query.js';
import { deviceResource, endpointResource, sdsSearchset } from './resources.js';
import { adoptCorrelationId, methodNotAllowed, requireJsonAccept, sdsErrorHandler, sdsNotFound } from './wire.js';

const FHIR_BASE = '/FHIR/R4';
const OTHER_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The SDS FHIR API, registered under the /spine-directory prefix. */
export async function sdsRoutes(app: FastifyInstance, ctx: PlatformContext) {
  app.setErrorHandler(sdsErrorHandler);
  app.setNotFoundHandler(sdsNotFound);
  app.addHook('onRequest', adoptCorrelationId);
  registerHealth(app, ctx.config, ctx.db);

  const publicBase = () => `${ctx.config.publicBaseUrl}/spine-directory${FHIR_BASE}`;
  // SDS: the self link is the request URL as received, percent-decoded.
  const selfUrl = (request: FastifyRequest) => {
    try {
      return `${ctx.config.publicBaseUrl}${decodeURIComponent(request.url)}`;
    } catch {
      return `${ctx.config.publicBaseUrl}${request.url}`;
    }
  };

  app.get(`${FHIR_BASE}/Device`, { config: { activity: 'directory:read', apiKey: true }, preHandler: requireJsonAccept }, async (request, reply) => {
    const query = parseDeviceQuery(request.query as RawQuery);
    const systems = await sdsStore.searchAccreditedSystems(ctx.db, query);
    return reply.type('application/fhir+json').send(sdsSearchset(systems.map(deviceResource),
      { selfUrl: selfUrl(request), resourceBaseUrl: `${publicBase()}/Device` }));
  });

  app.get(`${FHIR_BASE}/Endpoint`, { config: { activity: 'directory:read', apiKey: true }, preHandler: requireJsonAccept }, async (request, reply) => {
    const query = parseEndpointQuery(request.query as RawQuery);
    const endpoints = await sdsStore.searchMhsEndpoints(ctx.db, query);
    return reply.type('application/fhir+json').send(sdsSearchset(endpoints.map(endpointResource),
      { selfUrl: selfUrl(request), resourceBaseUrl: `${publicBase()}/Endpoint` }));
  });

  for (const resource of ['Device', 'Endpoint']) {
    app.route({ method: [...OTHER_METHODS], url: `${FHIR_BASE}/${resource}`, config: { public: true }, handler: async () => { throw methodNotAllowed(); } });
  }

  // Public, as FHIR servers' capability statements are (the NHS SDS itself does not serve one).
  app.get(`${FHIR_BASE}/metadata`, { config: { public: true } }, async (_request, reply) =>
    reply.type('application/fhir+json').send(capabilityStatement(publicBase(), ctx.clock.now())));
}
