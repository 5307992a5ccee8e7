import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jsonTextOf } from '../../../platform/http/body-parsers.js';
import { SpineError } from '../../../platform/http/errors.js';
import type { PlatformContext } from '../../../platform/service.js';
import { auditPrescriptions } from '../audit.js';
import { callerOf } from '../caller.js';
import type { Json } from '../domain/fhir.js';
import { cancelPrescription, createPrescription, prepare, readMessage } from '../handlers/prescribing.js';
import { PREPARE_BODY, PRESCRIBING_MESSAGE_BODY } from '../schemas.js';
import { errorOutcome, sendFhir, sendFhirText, successOutcome } from '../wire.js';
import { checkAccessMode, checkSessionRole, registerMetadata, requestHeaders } from './common.js';
import { registerTracking } from './tracking.js';

/** EPS prescribing (`/fhir-prescribing`): prepare, sign and send a prescription, cancel it, validate it. */
export async function prescribingRoutes(app: FastifyInstance, ctx: PlatformContext) {
  registerMetadata(app, ctx, 'prescribing', ['prepare', 'process-message', 'validate'], [
    { type: 'Bundle', operation: [{ name: 'prepare' }, { name: 'process-message' }, { name: 'validate' }] },
    { type: 'Task', interaction: [{ code: 'search-type' }], searchParam: [{ name: 'focus:identifier', type: 'token' }, { name: 'patient:identifier', type: 'token' }] },
  ]);
  const headers = requestHeaders(ctx);
  const route = (body: object) => ({
    schema: { headers, body },
    config: { activity: 'prescription:prescribe' as const, audit: { action: 'prescription.prescribe' }, checkOrder: ['headers' as const, 'body' as const] },
    preHandler: async (request: FastifyRequest) => {
      checkAccessMode(ctx, request, 'prescribing');
      await checkSessionRole(ctx, request);
    },
  });

  app.post('/FHIR/R4/$prepare', route(PREPARE_BODY), async (request, reply) => {
    const parameters = prepare(ctx, request.body as Json);
    auditPrescriptions(request, 'prescription.prepare', { shortFormIds: [], nhsNumbers: [] });
    return sendFhir(reply, 200, parameters);
  });

  app.post('/FHIR/R4/$process-message', route(PRESCRIBING_MESSAGE_BODY), async (request, reply) => {
    const caller = callerOf(ctx, request);
    const message = readMessage(request.body as Json);
    const answer = message.event === 'prescription-order'
      ? await createPrescription(ctx, caller, message, request.body as Json, jsonTextOf(request))
      : await cancelPrescription(ctx, caller, message);
    auditPrescriptions(request, message.event === 'prescription-order' ? 'prescription.create' : 'prescription.cancel', {
      shortFormIds: [message.shortFormId], nhsNumbers: [message.nhsNumber], detail: { status: answer.statusCode, replayed: answer.replayed },
    });
    return sendFhirText(reply, answer.statusCode, answer.text);
  });

  // FHIR $validate: 200 with an OperationOutcome saying what is wrong, if anything.
  app.post('/FHIR/R4/$validate', route(PRESCRIBING_MESSAGE_BODY), async (request, reply) => {
    let outcome: Json;
    try {
      readMessage(request.body as Json);
      outcome = successOutcome(ctx.clock.now());
    } catch (err) {
      if (!(err instanceof SpineError)) throw err;
      outcome = errorOutcome({ spec: err.spec, diagnostics: err.diagnostics, expression: err.options.expression }, ctx.clock.now());
    }
    auditPrescriptions(request, 'prescription.validate', { shortFormIds: [], nhsNumbers: [] });
    return sendFhir(reply, 200, outcome);
  });

  registerTracking(app, ctx, 'prescription:prescribe', 'prescribing');
}
