import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jsonTextOf } from '../../../platform/http/body-parsers.js';
import type { PlatformContext } from '../../../platform/service.js';
import { auditPrescriptions, type PrescriptionAction } from '../audit.js';
import { callerOf } from '../caller.js';
import type { Json } from '../domain/fhir.js';
import { readDispenseNotification } from '../domain/dispensing-messages.js';
import { claim, dispenseNotification, release, task, valueOf, type Applied } from '../handlers/dispensing.js';
import { CLAIM_BODY, DISPENSE_NOTIFICATION_BODY, RELEASE_BODY, TASK_BODY } from '../schemas.js';
import { errorOutcome, sendFhir, sendFhirText, successOutcome } from '../wire.js';
import { SpineError } from '../../../platform/http/errors.js';
import { checkAccessMode, checkSessionRole, registerMetadata, requestHeaders } from './common.js';
import { registerTracking } from './tracking.js';

/** EPS dispensing (`/fhir-dispensing`): release, dispense, return, withdraw, claim; and tracking. */
export async function dispensingRoutes(app: FastifyInstance, ctx: PlatformContext) {
  registerMetadata(app, ctx, 'dispensing', ['release', 'process-message', 'validate'], [
    { type: 'Task', interaction: [{ code: 'create' }, { code: 'search-type' }], operation: [{ name: 'release' }],
      searchParam: [{ name: 'focus:identifier', type: 'token' }, { name: 'patient:identifier', type: 'token' }] },
    { type: 'Claim', interaction: [{ code: 'create' }] },
    { type: 'Bundle', operation: [{ name: 'process-message' }, { name: 'validate' }] },
  ]);
  const headers = requestHeaders(ctx);
  const route = (body: object, applicationMay: (request: FastifyRequest) => boolean = () => false) => ({
    schema: { headers, body },
    config: { activity: 'prescription:dispense' as const, audit: { action: 'prescription.dispense' }, checkOrder: ['headers' as const, 'body' as const] },
    preHandler: async (request: FastifyRequest) => {
      checkAccessMode(ctx, request, 'dispensing', applicationMay(request));
      await checkSessionRole(ctx, request);
    },
  });
  // Download prescriptions: the nominated release, which names no prescription (no group-identifier).
  const isDownload = (request: FastifyRequest) => !((request.body as { parameter?: Array<{ name?: unknown }> }).parameter ?? [])
    .some((parameter) => parameter?.name === 'group-identifier');
  const answer = (request: FastifyRequest, reply: Parameters<typeof sendFhir>[0], action: PrescriptionAction, applied: Applied) => {
    auditPrescriptions(request, action, {
      shortFormIds: applied.shortFormIds, nhsNumbers: applied.nhsNumbers, detail: { status: applied.statusCode, replayed: applied.replayed },
    });
    return sendFhirText(reply, applied.statusCode, applied.text);
  };

  app.post('/FHIR/R4/Task/$release', route(RELEASE_BODY, isDownload), async (request, reply) =>
    answer(request, reply, 'prescription.release',
      await release(ctx, callerOf(ctx, request), request.body as Json, `${ctx.config.publicBaseUrl}/fhir-dispensing/FHIR/R4/Task/$release`)));

  app.post('/FHIR/R4/$process-message', route(DISPENSE_NOTIFICATION_BODY), async (request, reply) =>
    answer(request, reply, 'prescription.dispense', await dispenseNotification(ctx, callerOf(ctx, request), request.body as Json, jsonTextOf(request))));

  app.post('/FHIR/R4/Task', route(TASK_BODY), async (request, reply) => {
    const applied = await task(ctx, callerOf(ctx, request), request.body as Json, jsonTextOf(request));
    return answer(request, reply, (request.body as Json).status === 'rejected' ? 'prescription.return' : 'prescription.withdraw', applied);
  });

  app.post('/FHIR/R4/Claim', route(CLAIM_BODY), async (request, reply) =>
    answer(request, reply, 'prescription.claim', await claim(ctx, callerOf(ctx, request), request.body as Json, jsonTextOf(request))));

  // FHIR $validate: 200 with an OperationOutcome saying what is wrong, if anything, as `$process-message` would say it.
  app.post('/FHIR/R4/$validate', route(DISPENSE_NOTIFICATION_BODY), async (request, reply) => {
    let outcome: Json;
    try {
      valueOf(readDispenseNotification(request.body as Json));
      outcome = successOutcome(ctx.clock.now());
    } catch (err) {
      if (!(err instanceof SpineError)) throw err;
      outcome = errorOutcome({ spec: err.spec, diagnostics: err.diagnostics, expression: err.options.expression }, ctx.clock.now());
    }
    auditPrescriptions(request, 'prescription.validate', { shortFormIds: [], nhsNumbers: [] });
    return sendFhir(reply, 200, outcome);
  });

  registerTracking(app, ctx, 'prescription:track', 'dispensing');
}
