import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { auditContext } from '../../../platform/audit/entry.js';
import { SpineError } from '../../../platform/http/errors.js';
import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import { etagFor, parseIfMatch } from '../../../platform/fhir/etag.js';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import { PDS_ERRORS, diagnostics } from '../errors.js';
import { requireRequestId } from '../request-headers.js';
import { parsePatchBody } from '../patch/patch-operations.js';
import { applyPatientPatch } from '../patch/apply-patches.js';
import { storedRecord } from '../domain/stored-record.js';
import { eventsForChange } from '../domain/patient-events.js';
import { readPatientForUpdate, replacePatientVersion } from '../store/patient-writes.js';
import { findOutcome, saveOutcome, type StoredOutcome } from '../store/idempotency.js';
import { PDS_BASE } from './paths.js';

const versionMismatch = () => new SpineError(PDS_ERRORS.RESOURCE_VERSION_MISMATCH);

function replay(reply: FastifyReply, outcome: StoredOutcome) {
  return reply.code(outcome.status).headers(outcome.headers).type('application/fhir+json').send(outcome.body);
}

export function registerPatchRoute(app: FastifyInstance, ctx: PlatformContext) {
  app.patch<{ Params: { id: string } }>(`${PDS_BASE}/Patient/:id`, { config: { activity: 'patient:write' } }, async (request, reply) => {
    const requestId = requireRequestId(request);
    const { id } = request.params;
    if (!isValidNhsNumber(id)) throw new SpineError(PDS_ERRORS.INVALID_RESOURCE_ID);
    const ifMatch = request.headers['if-match'];
    if (ifMatch === undefined) throw new SpineError(PDS_ERRORS.PRECONDITION_FAILED, diagnostics.missingIfMatch);
    const expected = parseIfMatch(ifMatch);
    if (expected === undefined) throw new SpineError(PDS_ERRORS.PRECONDITION_FAILED, diagnostics.invalidHeader(ifMatch, 'If-Match'));

    // PDS: a retry with the same X-Request-ID gets the first outcome, not a second update.
    const earlier = await findOutcome(ctx.db, requestId, id);
    if (earlier) return replay(reply, earlier);

    const ops = parsePatchBody(request.body);
    const current = await readPatientForUpdate(ctx.db, id);
    if (!current || current.status !== 'active') {
      throw new SpineError(current?.status === 'invalidated' ? PDS_ERRORS.INVALIDATED_RESOURCE : PDS_ERRORS.RESOURCE_NOT_FOUND);
    }
    if (current.version_id !== expected) throw versionMismatch();
    const today = ctx.clock.now().toISOString().slice(0, 10);
    const next = storedRecord(applyPatientPatch(current.resource, ops, today), expected + 1);
    const body = JSON.stringify(next);
    const outcome: StoredOutcome = { status: 200, headers: { etag: etagFor(expected + 1) }, body };

    const saved = await ctx.db.tx(async (tx) => {
      if (!(await replacePatientVersion(tx, current.resource, expected, next, requestId))) return false;
      for (const event of eventsForChange(current.resource, next)) await enqueueEvent(tx, event);
      // A concurrent duplicate cannot get here (the version check lets one through), so no conflict.
      await saveOutcome(tx, requestId, id, outcome);
      return true;
    });
    if (!saved) {
      // Lost a race: either a retry of this very request won (replay it), or another update did.
      const winner = await findOutcome(ctx.db, requestId, id);
      if (winner) return replay(reply, winner);
      throw versionMismatch();
    }
    await ctx.audit.record({ ...auditContext(request), action: 'patient.update', resource: `Patient/${id}`, nhsNumbers: [id],
      outcome: 'success', detail: { fromVersion: expected, toVersion: expected + 1, paths: ops.map((o) => `${o.op} ${o.path}`) } });
    return replay(reply, outcome);
  });
}
