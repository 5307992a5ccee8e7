import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Activity } from '../../../platform/auth/activities.js';
import { capabilityStatement } from '../../../platform/fhir/capability.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { NrlCaller } from '../caller.js';
import { NRL_ERRORS, nrlError } from '../errors.js';
import type { SearchSide } from '../domain/search-params.js';

/** Route plumbing both NRL APIs share. */

/**
 * With access tokens, the platform guard authenticates and authorises by the route's activity; in
 * gateway mode the gateway has done that and the caller hook reads what it injected instead.
 */
export const routeConfig = (ctx: PlatformContext, activity: Activity): { activity?: Activity; authenticatedBy?: string } =>
  (ctx.config.trustGateway ? { authenticatedBy: 'NHSD-Connection-Metadata' } : { activity });

export const callerOf = (request: FastifyRequest): NrlCaller => request.nrlCaller!;

export const apiBase = (ctx: PlatformContext, side: SearchSide) => `${ctx.config.publicBaseUrl}/record-locator/${side}/FHIR/R4`;

export const sendResource = (reply: FastifyReply, resource: unknown) => reply.type('application/fhir+json').send(resource);

/** `GET /_status` as NRL answers it (spec: 200 `{"message": "OK"}`), after checking its store answers. */
export function registerStatusAndMetadata(app: FastifyInstance, ctx: PlatformContext, side: SearchSide) {
  app.get('/_status', { config: { public: true } }, async (request, reply) => {
    try {
      await ctx.db.query('SELECT 1 FROM record_locator.permissions LIMIT 1');
    } catch (err) {
      // The database's words stay in the log; the caller is told only that the store is unavailable.
      request.log.warn({ err }, 'NRL _status: the pointer store did not answer');
      throw nrlError(NRL_ERRORS.SERVICE_UNAVAILABLE, 'The pointer store is unavailable');
    }
    return reply.type('application/json').send({ message: 'OK' });
  });
  const interactions = side === 'producer'
    ? ['create', 'read', 'update', 'delete', 'search-type']
    : ['read', 'search-type'];
  const searchParams = [
    { name: 'subject:identifier', type: 'token', documentation: 'https://fhir.nhs.uk/Id/nhs-number|{NHS number}' },
    ...(side === 'consumer' ? [{ name: 'custodian:identifier', type: 'token', documentation: 'https://fhir.nhs.uk/Id/ods-organization-code|{ODS code}' }] : []),
    { name: 'type', type: 'token', documentation: 'A record type of the NRL record type value set, system|code' },
    { name: 'category', type: 'token', documentation: 'A record category of the NRL record category value set, system|code' },
    { name: 'next-page-token', type: 'string', documentation: 'The next page of 20 pointers' },
  ];
  // The spec's operations that are no FHIR interaction. No `updateCreate`: it would tell a client a
  // PUT to a new id creates the pointer there, and `PUT …/DocumentReference/{id}` of an unknown id is
  // 404; NRL's "update as create" is a PUT to the type.
  const documentation = side === 'producer'
    ? 'PUT DocumentReference creates a pointer with the id the producer chose (which starts with its ODS code): '
      + 'NRL\'s upsert. GET _status checks the service.'
    : 'GET DocumentReference/_count?subject:identifier=… counts a patient\'s pointers of the caller\'s types. '
      + 'GET _status checks the service.';
  app.get('/metadata', { config: { public: true } }, async (_request, reply) => sendResource(reply, capabilityStatement({
    software: `OpenSpine National Record Locator ${side} API`,
    description: `National Record Locator ${side} FHIR API (NHS England's NRL, served by OpenSpine)`,
    url: apiBase(ctx, side),
    resources: [{
      type: 'DocumentReference',
      // The canonical URL of FHIR R4's DocumentReference, which the spec's pointers are.
      profile: 'http://hl7.org/fhir/StructureDefinition/DocumentReference',
      documentation,
      interaction: interactions.map((code) => ({ code })),
      searchParam: searchParams,
    }],
    security: ctx.config.trustGateway
      ? 'Caller identified by the API gateway (NHSD-Connection-Metadata)'
      : 'OAuth2 access token from POST /oauth2/token (signed JWT client assertion); NHSD-End-User-Organisation-ODS names the organisation',
    now: ctx.clock.now(),
  })));
}
