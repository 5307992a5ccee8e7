import { MAX_WRITE_BODY_BYTES } from '../domain/limits.js';
import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { etagFor } from '../../../platform/fhir/etag.js';
import { operationOutcome } from '../../../platform/fhir/operation-outcome.js';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import { PDS_OUTCOMES } from '../errors.js';
import { healthcareWorkersOnly, requestIdOf } from '../request-headers.js';
import { newPatientFrom, duplicateCheckQuery, personKey, type CreatePatientRequest } from '../domain/new-patient.js';
import { createPatientBody, patientHeaders } from '../schemas.js';
import { newPatientEvent } from '../domain/patient-events.js';
import { rankMatches, type ScoredPatient } from '../search/rank-matches.js';
import { findSearchCandidates } from '../store/patient-search.js';
import { allocateNhsNumber } from '../store/nhs-number-allocator.js';
import { insertPatient } from '../store/patient-writes.js';
import { DuplicateRequest, type ReplayKey, type StoredOutcome } from '../store/idempotency.js';
import { findReplay, replayKeyOf, saveReplay, sendOutcome } from '../handlers/replays.js';
import type { Patient } from '../fhir-types.js';
import { PDS_BASE } from './paths.js';

/** A person already on file: a match this close is the same person (PDS answers SINGLE_MATCH). */
const SAME_PERSON_SCORE = 0.95;

type CreateResult =
  | { kind: 'matched'; matches: ScoredPatient[] }
  | { kind: 'replayed'; outcome: StoredOutcome }
  | { kind: 'created'; patient: Patient; outcome: StoredOutcome };

/**
 * In one transaction: trace the person and allocate a number only if nobody matches. Requests for
 * the same person queue on an advisory lock, so the second sees the first's record; a request id
 * already answered is replayed.
 */
async function createUnlessKnown(ctx: PlatformContext, key: ReplayKey, draft: ReturnType<typeof newPatientFrom>): Promise<CreateResult> {
  return ctx.db.tx(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pds-create:${personKey(draft.details)}`]);
    const replay = await findReplay(ctx, tx, key);
    if (replay) return { kind: 'replayed', outcome: replay };
    const query = duplicateCheckQuery(draft.details);
    const matches = rankMatches(query, await findSearchCandidates(tx, query)).filter((m) => m.score >= SAME_PERSON_SCORE);
    if (matches.length > 0) return { kind: 'matched', matches };
    for (;;) {
      const patient = draft.recordFor(await allocateNhsNumber(tx));
      if (!(await insertPatient(tx, patient))) continue;
      await enqueueEvent(tx, newPatientEvent(patient));
      const outcome: StoredOutcome = { status: 201, headers: { etag: etagFor(1) }, body: JSON.stringify(patient), nhsNumber: patient.id };
      if (!(await saveReplay(ctx, tx, key, outcome))) throw new DuplicateRequest();
      return { kind: 'created', patient, outcome };
    }
  });
}

/** PDS answers an existing person with HTTP 200 and SINGLE_MATCH (naming the number) or MULTIPLE_MATCHES. */
function matchOutcome(matches: ScoredPatient[]) {
  return matches.length === 1
    ? operationOutcome({ ...PDS_OUTCOMES.SINGLE_MATCH, diagnostics: `Unable to create new patient. NHS number ${matches[0]!.patient.id} found for supplied demographic data.` })
    : operationOutcome({ ...PDS_OUTCOMES.MULTIPLE_MATCHES, diagnostics: 'Unable to create new patient. Multiple matches found for supplied demographic data.' });
}

export function registerCreateRoute(app: FastifyInstance, ctx: PlatformContext) {
  // X-Request-ID, then the body against PatientCreateRequest.yaml, checked at the door: before
  // any duplicate search, and nothing that does not conform is stored.
  const schema = { headers: patientHeaders, body: createPatientBody };
  app.post<{ Body: CreatePatientRequest }>(`${PDS_BASE}/Patient`, {
    schema, bodyLimit: MAX_WRITE_BODY_BYTES, config: { activity: 'patient:create', audit: { action: 'patient.create' } }, onRequest: healthcareWorkersOnly('create'),
  }, async (request, reply) => {
    const requestId = requestIdOf(request);
    const key = replayKeyOf(request, requestId, '');
    const earlier = await findReplay(ctx, ctx.db, key);
    if (earlier) return sendOutcome(reply, earlier);
    const draft = newPatientFrom(request.body, ctx.clock.now().toISOString().slice(0, 10));
    let result: CreateResult;
    try {
      result = await createUnlessKnown(ctx, key, draft);
    } catch (err) {
      // The same request sent twice at once: one creates the patient, the other replays it.
      const winner = err instanceof DuplicateRequest ? await findReplay(ctx, ctx.db, key) : undefined;
      if (winner) return sendOutcome(reply, winner);
      throw err;
    }
    if (result.kind === 'replayed') return sendOutcome(reply, result.outcome);
    if (result.kind === 'matched') {
      request.audited = { nhsNumbers: result.matches.map((m) => m.patient.id), outcome: 'failure',
        detail: { result: result.matches.length === 1 ? 'single-match' : 'multiple-matches' } };
      return reply.code(200).type('application/fhir+json').send(matchOutcome(result.matches));
    }
    request.audited = { resource: `Patient/${result.patient.id}`, nhsNumbers: [result.patient.id] };
    return sendOutcome(reply, result.outcome);
  });
}
