import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { auditContext } from '../../../platform/audit/entry.js';
import { etagFor } from '../../../platform/fhir/etag.js';
import { operationOutcome } from '../../../platform/fhir/operation-outcome.js';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import { PDS_OUTCOMES } from '../errors.js';
import { requireRequestId } from '../request-headers.js';
import { newPatientFrom, duplicateCheckQuery } from '../domain/new-patient.js';
import { newPatientEvent } from '../domain/patient-events.js';
import { rankMatches } from '../search/rank-matches.js';
import { findSearchCandidates } from '../store/patient-search.js';
import { allocateNhsNumber } from '../store/nhs-number-allocator.js';
import { insertPatient } from '../store/patient-writes.js';
import { findOutcome, saveOutcome, type StoredOutcome } from '../store/idempotency.js';
import { PDS_BASE } from './paths.js';

/** A person already on file: a match this close is the same person (PDS answers SINGLE_MATCH). */
const SAME_PERSON_SCORE = 0.95;

function send(reply: FastifyReply, outcome: StoredOutcome) {
  return reply.code(outcome.status).headers(outcome.headers).type('application/fhir+json').send(outcome.body);
}

export function registerCreateRoute(app: FastifyInstance, ctx: PlatformContext) {
  app.post(`${PDS_BASE}/Patient`, { config: { activity: 'patient:create' } }, async (request, reply) => {
    const requestId = requireRequestId(request);
    const earlier = await findOutcome(ctx.db, requestId, '');
    if (earlier) return send(reply, earlier);
    const { details, recordFor } = newPatientFrom(request.body, ctx.clock.now().toISOString().slice(0, 10));

    // PDS: only allocate a number when a trace finds nobody (SINGLE_MATCH / MULTIPLE_MATCHES otherwise).
    const query = duplicateCheckQuery(details);
    const matches = rankMatches(query, await findSearchCandidates(ctx.db, query)).filter((m) => m.score >= SAME_PERSON_SCORE);
    if (matches.length > 0) {
      const single = matches.length === 1;
      const outcome = single
        ? operationOutcome({ ...PDS_OUTCOMES.SINGLE_MATCH, diagnostics: `Unable to create new patient. NHS number ${matches[0]!.patient.id} found for supplied demographic data.` })
        : operationOutcome({ ...PDS_OUTCOMES.MULTIPLE_MATCHES, diagnostics: 'Unable to create new patient. Multiple matches found for supplied demographic data.' });
      await ctx.audit.record({ ...auditContext(request), action: 'patient.create', nhsNumbers: matches.map((m) => m.patient.id),
        outcome: 'failure', detail: { result: single ? 'single-match' : 'multiple-matches' } });
      return reply.code(200).type('application/fhir+json').send(outcome);
    }

    const created = await ctx.db.tx(async (tx) => {
      for (;;) {
        const patient = recordFor(await allocateNhsNumber(tx));
        if (!(await insertPatient(tx, patient))) continue;
        await enqueueEvent(tx, newPatientEvent(patient));
        const outcome: StoredOutcome = { status: 201, headers: { etag: etagFor(1) }, body: JSON.stringify(patient) };
        await saveOutcome(tx, requestId, '', outcome);
        return { patient, outcome };
      }
    });
    await ctx.audit.record({ ...auditContext(request), action: 'patient.create', resource: `Patient/${created.patient.id}`,
      nhsNumbers: [created.patient.id], outcome: 'success' });
    return send(reply, created.outcome);
  });
}
