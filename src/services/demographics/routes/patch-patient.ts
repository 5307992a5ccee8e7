import { MAX_WRITE_BODY_BYTES } from '../domain/limits.js';
import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { SpineError } from '../../../platform/http/errors.js';
import { etagFor } from '../../../platform/fhir/etag.js';
import { eventStatement } from '../../../platform/events/outbox.js';
import { WriteBatch } from '../../../platform/db/write-batch.js';
import { PDS_ERRORS } from '../errors.js';
import { healthcareWorkersOnly, ifMatchVersion, requestIdOf } from '../request-headers.js';
import { patchPatientBody, patchPatientHeaders, patientIdParams } from '../schemas.js';
import { parsePatchBody } from '../patch/patch-operations.js';
import { applyPatientPatch } from '../patch/apply-patches.js';
import { storedRecord } from '../domain/stored-record.js';
import { readView } from '../views/patient-views.js';
import { eventsForChange } from '../domain/patient-events.js';
import { readPatientForUpdate, replacePatientVersion } from '../store/patient-writes.js';
import type { ReplayKey, StoredOutcome } from '../store/idempotency.js';
import { findReplay, replayKeyOf, replayStatement, sendOutcome } from '../handlers/replays.js';
import { PDS_BASE } from './paths.js';

const versionMismatch = () => new SpineError(PDS_ERRORS.RESOURCE_VERSION_MISMATCH);

/**
 * Applies a PATCH to the version the client read, all or nothing, with its events and its
 * replayable outcome in one transaction. Of two updates racing on one version exactly one
 * passes the version check; the other gets 409 (or, if it was a retry of the winner, its outcome).
 */
async function updatePatient(ctx: PlatformContext, body: unknown, id: string, expected: number, key: ReplayKey, caller: { mayRecordFormalDeath: boolean }) {
  const ops = parsePatchBody(body);
  const current = await readPatientForUpdate(ctx.db, id);
  if (!current || current.status !== 'active') {
    throw new SpineError(current?.status === 'invalidated' ? PDS_ERRORS.INVALIDATED_RESOURCE : PDS_ERRORS.RESOURCE_NOT_FOUND);
  }
  if (current.version_id !== expected) return winnerOrMismatch(ctx, key);
  const today = ctx.clock.now().toISOString().slice(0, 10);
  const next = storedRecord(applyPatientPatch(current.resource, ops, today, caller), expected + 1);
  // The updated record as a read returns it: a restricted patient's location-sensitive fields stay hidden.
  const outcome: StoredOutcome = { status: 200, headers: { etag: etagFor(expected + 1) }, body: JSON.stringify(readView(next)), nhsNumber: id };
  const saved = await ctx.db.tx(async (tx) => {
    // The version check first; then the kept version, history, events and replayable outcome in one statement.
    const writes = new WriteBatch();
    if (!(await replacePatientVersion(tx, writes, current.resource, expected, next, key.requestId))) return false;
    for (const event of eventsForChange(current.resource, next)) writes.add(eventStatement(event));
    writes.add(replayStatement(ctx, key, outcome));
    await writes.run(tx);
    return true;
  });
  if (saved) return { outcome, paths: ops.map((o) => `${o.op} ${o.path}`) };
  return winnerOrMismatch(ctx, key);
}

/**
 * The version moved since the client read it. If the update that moved it was this very request
 * sent again at the same time (same caller, same X-Request-ID), whether it committed before our read
 * or during our write, its outcome is ours; otherwise 409.
 */
async function winnerOrMismatch(ctx: PlatformContext, key: ReplayKey) {
  const winner = await findReplay(ctx, ctx.db, key);
  if (winner) return { outcome: winner, paths: [] as string[] };
  throw versionMismatch();
}

/**
 * PDS's order of checks, kept at the door: If-Match present (412), X-Request-ID, Content-Type
 * application/json-patch+json, the body a list of patches, then the NHS number; then the record
 * and the version If-Match names (409).
 */
const patchSchema = { headers: patchPatientHeaders, params: patientIdParams, body: { content: { 'application/json-patch+json': { schema: patchPatientBody } } } };

export async function registerPatchRoute(app: FastifyInstance, ctx: PlatformContext) {
  await app.register(async (scope) => registerPatch(scope, ctx));
}

function registerPatch(app: FastifyInstance, ctx: PlatformContext) {
  // PDS sandbox: a PATCH with Content-Type missing or other than application/json-patch+json is
  // 400. A body of any other media type is read as text, so the door's header check refuses it
  // (instead of Fastify's 415 before any check).
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.patch<{ Params: { id: string } }>(`${PDS_BASE}/Patient/:id`, {
    schema: patchSchema,
    bodyLimit: MAX_WRITE_BODY_BYTES,
    config: { activity: 'patient:write', checkOrder: ['headers', 'body', 'params'], audit: { action: 'patient.update' } },
    onRequest: healthcareWorkersOnly('update'),
  }, async (request, reply) => {
    const requestId = requestIdOf(request);
    const { id } = request.params;
    const expected = ifMatchVersion(request);
    // PDS: a retry with the same X-Request-ID gets the first outcome, not a second update.
    const key = replayKeyOf(request, requestId, id);
    const earlier = await findReplay(ctx, ctx.db, key);
    if (earlier) return sendOutcome(reply, earlier);

    // From here the request is about this patient: a refused update is an attempt on patient data
    // all the same, audited with its error's code.
    request.audited = { resource: `Patient/${id}`, nhsNumbers: [id] };
    const mayRecordFormalDeath = request.principal?.activities.includes('patient:formal-death') === true;
    const result = await updatePatient(ctx, request.body, id, expected, key, { mayRecordFormalDeath });
    // A concurrent duplicate's outcome is audited as the replay it is, when it is sent.
    if (!result.outcome.replayed) request.audited.detail = { fromVersion: expected, paths: result.paths };
    return sendOutcome(reply, result.outcome);
  });
}
