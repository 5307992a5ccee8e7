import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Activity } from '../../../platform/auth/activities.js';
import type { PlatformContext } from '../../../platform/service.js';
import { auditPrescriptions } from '../audit.js';
import { callerOf } from '../caller.js';
import { trackPrescriptions } from '../handlers/tracking.js';
import { sendFhir } from '../wire.js';
import { checkSessionRole, requestHeaders } from './common.js';

/** `GET Task`: tracking, for the prescriber (on the prescribing base) and the pharmacy (on the dispensing base). */
export function registerTracking(app: FastifyInstance, ctx: PlatformContext, activity: Activity) {
  app.get('/FHIR/R4/Task', {
    schema: { headers: requestHeaders(ctx) },
    config: { activity, audit: { action: 'prescription.track' } },
    preHandler: async (request: FastifyRequest) => checkSessionRole(ctx, request),
  }, async (request, reply) => {
    const { bundle, nhsNumbers } = await trackPrescriptions(ctx, callerOf(ctx, request), request.query as Record<string, unknown>);
    await auditPrescriptions(ctx, request, 'prescription.track', { shortFormIds: [], nhsNumbers, detail: { returned: (bundle.total as number) } });
    return sendFhir(reply, 200, bundle);
  });
}
