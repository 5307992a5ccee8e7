import type { FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { SpineError } from '../../../platform/http/errors.js';
import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import { etagFor } from '../../../platform/fhir/etag.js';
import { PDS_ERRORS } from '../errors.js';
import { requestIdOf } from '../request-headers.js';
import { coverageFor, type CoverageBody } from '../domain/coverage.js';
import { readPatientRow, resolvePatient } from '../store/patient-reads.js';
import { readCoverage, replaceCoverage } from '../store/coverage.js';
import type { StoredOutcome } from '../store/idempotency.js';
import { coverageSearchBundle, type CoverageSearchBundle } from '../views/coverage-views.js';
import { findReplay, replayKeyOf, saveReplay } from './replays.js';

/**
 * PDS `/Coverage`: a patient's EHIC. Reads and updates are audited as Patient ones are (failed
 * look-ups and refused updates too), under the routes' `coverage.read` and `coverage.update`:
 * the handlers say what each request was about in `request.audited`.
 */

export interface CoverageAnswer { bundle: CoverageSearchBundle; versionId: number }

/**
 * The record an NHS number leads to (a superseded number is followed to the survivor), or the PDS
 * error: 400 INVALID_RESOURCE_ID, 404 INVALIDATED_RESOURCE, 404 RESOURCE_NOT_FOUND.
 */
async function coverageHolder(ctx: PlatformContext, request: FastifyRequest, nhsNumber: string): Promise<string> {
  if (!isValidNhsNumber(nhsNumber)) throw new SpineError(PDS_ERRORS.INVALID_RESOURCE_ID);
  const row = await resolvePatient(ctx.db.pool, nhsNumber);
  if (row?.status === 'active') return row.nhsNumber;
  const invalidated = row?.status === 'invalidated' || (row === undefined && (await readPatientRow(ctx.db.pool, nhsNumber))?.status === 'invalidated');
  request.audited = { resource: `Patient/${nhsNumber}/Coverage`, nhsNumbers: [nhsNumber], outcome: 'failure',
    detail: { reason: invalidated ? 'invalidated' : 'not-found' } };
  throw new SpineError(invalidated ? PDS_ERRORS.INVALIDATED_RESOURCE : PDS_ERRORS.RESOURCE_NOT_FOUND);
}

const auditOf = (asked: string, holder: string) =>
  ({ resource: `Patient/${holder}/Coverage`, nhsNumbers: asked === holder ? [holder] : [asked, holder] });

/** GET /Coverage?subscriber:identifier={nhsNumber}: the patient's EHIC, if any, and its version. */
export async function searchCoverage(ctx: PlatformContext, request: FastifyRequest, nhsNumber: string): Promise<CoverageAnswer> {
  const holder = await coverageHolder(ctx, request, nhsNumber);
  const stored = await readCoverage(ctx.db, holder);
  request.audited = { ...auditOf(nhsNumber, holder), detail: { found: stored.coverage !== undefined, versionId: stored.versionId } };
  return { bundle: coverageSearchBundle(ctx.config.publicBaseUrl, holder, stored, ctx.clock.now()), versionId: stored.versionId };
}

/**
 * POST /Coverage: replaces the patient's EHIC if `expectedVersion` (If-Match) is the coverage's
 * current version, else 409 RESOURCE_VERSION_MISMATCH. The body has passed `Coverage.yaml`. PDS
 * spec (coverage-post.yaml, 503): a client re-sends with the same X-Request-ID, so a retry from
 * the same caller gets the first 201 back rather than a 409 from its own update.
 */
export async function updateCoverage(ctx: PlatformContext, request: FastifyRequest, body: CoverageBody, expectedVersion: number): Promise<StoredOutcome> {
  const nhsNumber = body.subscriber.identifier.value;
  const key = replayKeyOf(request, requestIdOf(request), `Coverage/${nhsNumber}`);
  const earlier = await findReplay(ctx, ctx.db, key);
  if (earlier) return earlier;
  const holder = await coverageHolder(ctx, request, nhsNumber);
  const audit = auditOf(nhsNumber, holder);
  const coverage = coverageFor(body, holder);
  const versionId = expectedVersion + 1;
  const bundle = coverageSearchBundle(ctx.config.publicBaseUrl, holder, { versionId, coverage }, ctx.clock.now());
  const outcome: StoredOutcome = { status: 201, headers: { etag: etagFor(versionId) }, body: JSON.stringify(bundle), nhsNumber: holder };
  const saved = await ctx.db.tx(async (tx) => {
    if (!(await replaceCoverage(tx, holder, expectedVersion, coverage, key.requestId))) return false;
    return saveReplay(ctx, tx, key, outcome);
  });
  if (!saved) {
    // The same request sent twice at once: one updates, the other replays it.
    const winner = await findReplay(ctx, ctx.db, key);
    if (winner) return winner;
    request.audited = { ...audit, outcome: 'failure', detail: { error: PDS_ERRORS.RESOURCE_VERSION_MISMATCH.code, ifMatch: expectedVersion } };
    throw new SpineError(PDS_ERRORS.RESOURCE_VERSION_MISMATCH);
  }
  request.audited = { ...audit, detail: { fromVersion: expectedVersion, versionId } };
  return outcome;
}
