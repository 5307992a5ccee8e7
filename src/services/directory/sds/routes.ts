import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serveOpenApi } from '../../../platform/http/openapi.js';
import { refuseOtherMethods } from '../../../platform/http/method-not-allowed.js';
import type { PlatformContext } from '../../../platform/service.js';
import * as sdsStore from '../store/sds.js';
import { capabilityStatement } from './capability.js';
import { registerSdsHealth } from './health.js';
import { parseDeviceQuery, parseEndpointQuery, type RawQuery } from './query.js';
import { DeviceQuerySchema, EndpointQuerySchema } from './schemas.js';
import { deviceResource, endpointResource, sdsSearchset } from './resources.js';
import { SDS_FETCH_BOUND, withinBound } from './search-bound.js';
import {
  adoptCorrelationId, sdsResponseHeaders, FHIR_JSON, methodNotAllowed, negotiateMediaType, sdsErrorHandler, sdsNotFound,
} from './wire.js';

const FHIR_BASE = '/FHIR/R4';
const SERVED = ['Device', 'Endpoint', 'metadata', 'healthcheck', 'healthcheck/deep', '_ping', '_status'];

/** The SDS FHIR API, registered under the /spine-directory prefix. */
export async function sdsRoutes(app: FastifyInstance, ctx: PlatformContext) {
  await serveOpenApi(app, {
    path: `${FHIR_BASE}/openapi.json`,
    title: 'Spine Directory Service (FHIR) API',
    description: 'OpenSpine SDS: the searches it serves and the parameters it checks, from NHS England\'s SDS FHIR API specification.',
  });
  app.setErrorHandler(sdsErrorHandler);
  app.setNotFoundHandler(sdsNotFound);
  app.addHook('onRequest', adoptCorrelationId);
  app.addHook('onSend', sdsResponseHeaders);

  // What Bundles advertise: OPENSPINE_SDS_BASE_URL behind a gateway, else our own public address.
  const sdsBaseUrl = () => ctx.config.sdsBaseUrl ?? `${ctx.config.publicBaseUrl}/spine-directory${FHIR_BASE}`;
  // SDS: the self link is the request URL as received, percent-decoded, on the advertised base.
  const selfUrl = (request: FastifyRequest, resource: string) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    try {
      return `${sdsBaseUrl()}/${resource}${decodeURIComponent(query)}`;
    } catch {
      return `${sdsBaseUrl()}/${resource}${query}`;
    }
  };
  // Correlation id, then credentials, then Accept (onRequest), then the search parameters (the door).
  const searchOptions = (querystring: object) => ({ config: { activity: 'directory:read', apiKey: true }, onRequest: negotiateMediaType, schema: { querystring } }) as const;

  app.get(`${FHIR_BASE}/Device`, searchOptions(DeviceQuerySchema), async (request, reply) => {
    const query = parseDeviceQuery(request.query as RawQuery);
    const systems = withinBound('Device', await sdsStore.searchAccreditedSystems(ctx.db, query, SDS_FETCH_BOUND));
    return reply.type(request.sdsMediaType ?? FHIR_JSON).send(sdsSearchset(systems.map(deviceResource),
      { selfUrl: selfUrl(request, 'Device'), resourceBaseUrl: `${sdsBaseUrl()}/Device` }));
  });

  app.get(`${FHIR_BASE}/Endpoint`, searchOptions(EndpointQuerySchema), async (request, reply) => {
    const query = parseEndpointQuery(request.query as RawQuery);
    const endpoints = withinBound('Endpoint', await sdsStore.searchMhsEndpoints(ctx.db, query, SDS_FETCH_BOUND));
    return reply.type(request.sdsMediaType ?? FHIR_JSON).send(sdsSearchset(endpoints.map(endpointResource),
      { selfUrl: selfUrl(request, 'Endpoint'), resourceBaseUrl: `${sdsBaseUrl()}/Endpoint` }));
  });

  // Public, as FHIR servers' capability statements are (the NHS SDS itself does not serve one).
  app.get(`${FHIR_BASE}/metadata`, { config: { public: true } }, async (_request, reply) =>
    reply.type(FHIR_JSON).send(capabilityStatement(sdsBaseUrl(), ctx.clock.now())));

  registerSdsHealth(app, ctx, FHIR_BASE, sdsBaseUrl);

  // Every path the SDS serves is GET only (HEAD comes with GET); anything else is 405 with Allow: GET,
  // in the SDS's words, to anyone (as the SDS answers it).
  refuseOtherMethods(app, SERVED.map((path) => ({ url: `${FHIR_BASE}/${path}`, methods: ['GET'] as const })), { refusal: () => methodNotAllowed() });
}
