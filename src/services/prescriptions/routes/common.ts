import type { FastifyInstance, FastifyRequest } from 'fastify';
import { capabilityStatement } from '../../../platform/fhir/capability.js';
import type { PlatformContext } from '../../../platform/service.js';
import { EPS_ERRORS, epsError } from '../errors.js';
import { sendFhir } from '../wire.js';

/**
 * The spec's request headers (fhir-prescribing.yaml components.parameters): X-Request-ID a UUID
 * (required except in sandbox mode, as the spec says), NHSD-Session-URID digits, X-Correlation-ID free.
 */
export function requestHeaders(ctx: PlatformContext) {
  return {
    type: 'object',
    required: ctx.config.sandbox ? [] : ['x-request-id'],
    properties: {
      'x-request-id': { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' },
      'nhsd-session-urid': { type: 'string', pattern: '^[0-9]+$' },
      'x-correlation-id': { type: 'string', maxLength: 200 },
    },
  };
}

/**
 * User-restricted calls name the user's selected role in NHSD-Session-URID (spec: RoleId); it
 * must be the role the access token was issued for.
 */
export async function checkSessionRole(ctx: PlatformContext, request: FastifyRequest) {
  const principal = request.principal;
  if (!principal || principal.accessMode !== 'user' || ctx.config.sandbox) return;
  const urid = request.headers['nhsd-session-urid'];
  if (urid === undefined) throw epsError(EPS_ERRORS.MISSING_VALUE, 'NHSD-Session-URID header must be supplied for user-restricted access', 'NHSD-Session-URID');
  if (urid !== principal.roleProfileId) throw epsError(EPS_ERRORS.FORBIDDEN, 'NHSD-Session-URID is not the role the access token was issued for');
}

/**
 * EPS's access modes: prescribing is user-restricted only (fhir-prescribing.yaml: "This API has 1
 * access mode: user-restricted access"); dispensing is user-restricted "for all requests", and
 * application-restricted for the Download prescriptions request alone (fhir-dispensing.yaml), the
 * back-end nominated release. A call in another mode is 403 forbidden in the words of each spec's
 * error table. Sandbox mode does not check it, as NHS England's sandbox does not.
 */
const USER_RESTRICTED_ONLY = {
  prescribing: 'Dispensing functionality can only be accessed using the user-restricted access mode.',
  dispensing: 'Dispensing functionality requires user-restricted access unless otherwise stated.',
} as const;

export function checkAccessMode(ctx: PlatformContext, request: FastifyRequest, side: keyof typeof USER_RESTRICTED_ONLY, applicationMay = false) {
  const mode = request.principal?.accessMode;
  if (ctx.config.sandbox || mode === undefined || mode === 'user' || (mode === 'application' && applicationMay)) return;
  throw epsError(EPS_ERRORS.FORBIDDEN, USER_RESTRICTED_ONLY[side]);
}

/** `GET metadata` (spec: /metadata on each base; served under /FHIR/R4 too). */
export function registerMetadata(app: FastifyInstance, ctx: PlatformContext, side: 'prescribing' | 'dispensing', operations: string[], resources: object[]) {
  const handler = async (_request: unknown, reply: Parameters<typeof sendFhir>[0]) => sendFhir(reply, 200, {
    ...capabilityStatement({
      software: `OpenSpine Electronic Prescription Service (${side})`,
      description: `EPS FHIR ${side} API (NHS England's Electronic Prescription Service, served by OpenSpine)`,
      url: `${ctx.config.publicBaseUrl}/fhir-${side}/FHIR/R4`,
      resources,
      security: 'OAuth2 access token from POST /oauth2/token (CIS2 user-restricted: token exchange, NHSD-Session-URID)',
      now: ctx.clock.now(),
    }),
    format: ['application/fhir+json'],
    operation: operations.map((name) => ({ name, definition: `https://fhir.nhs.uk/OperationDefinition/${name}` })),
  });
  app.get('/metadata', { config: { public: true } }, handler);
  app.get('/FHIR/R4/metadata', { config: { public: true } }, handler);
}
