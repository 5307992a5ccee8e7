import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Activity } from '../../../platform/auth/activities.js';
import type { PlatformContext } from '../../../platform/service.js';
import { auditPrescriptions } from '../audit.js';
import { callerOf } from '../caller.js';
import { trackPrescriptions } from '../handlers/tracking.js';
import { sendFhir } from '../wire.js';
import { checkAccessMode, checkSessionRole, requestHeaders } from './common.js';

/**
 * The search parameters `GET Task` reads, each once and of bounded length; which one was given (and
 * that no other was) is the handler's check, so that it answers with the spec's own code.
 */
const TRACKING_QUERY = {
  type: 'object',
  properties: Object.fromEntries(['identifier', 'focus:identifier', 'patient:identifier', 'patient']
    .map((name) => [name, { type: 'string', minLength: 1, maxLength: 200 }])),
} as const;

/**
 * `GET Task`: tracking, for the prescriber (on the prescribing base) and the pharmacy (on the dispensing base).
 * User-restricted, as every other call of each base but the nominated download: the prescribing API
 * "has 1 access mode", and the dispensing API is user-restricted "for all requests" but Download
 * prescriptions (fhir-dispensing.yaml). An application alone tracked any prescription of its
 * organisation, and searched a patient's, with no healthcare worker present.
 */
export function registerTracking(app: FastifyInstance, ctx: PlatformContext, activity: Activity, side: 'prescribing' | 'dispensing') {
  app.get('/FHIR/R4/Task', {
    schema: { headers: requestHeaders(ctx), querystring: TRACKING_QUERY },
    config: { activity, audit: { action: 'prescription.track' } },
    preHandler: async (request: FastifyRequest) => {
      checkAccessMode(ctx, request, side);
      await checkSessionRole(ctx, request);
    },
  }, async (request, reply) => {
    const { bundle, returned, nhsNumbers } = await trackPrescriptions(ctx, callerOf(ctx, request), request.query as Record<string, unknown>);
    auditPrescriptions(request, 'prescription.track', { shortFormIds: [], nhsNumbers, detail: { returned } });
    return sendFhir(reply, 200, bundle);
  });
}
