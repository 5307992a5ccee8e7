import { MAX_WRITE_BODY_BYTES } from '../domain/limits.js';
import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { etagFor } from '../../../platform/fhir/etag.js';
import { healthcareWorkersOnly, ifMatchVersion } from '../request-headers.js';
import { searchCoverageSchema, updateCoverageSchema } from '../coverage-schemas.js';
import type { CoverageBody } from '../domain/coverage.js';
import { searchCoverage, updateCoverage } from '../handlers/coverage.js';
import { sendOutcome } from '../handlers/replays.js';
import { parseCoverageSearch } from '../search/coverage-search-params.js';
import type { RawQuery } from '../search/parse-search-params.js';
import { PDS_BASE } from './paths.js';

/**
 * PDS `GET /Coverage` and `POST /Coverage` (the patient's EHIC), authorised as Patient reads and
 * updates (an update for healthcare workers only). Headers and body are checked at the door in PDS's order (If-Match, X-Request-ID, then
 * the body against `Coverage.yaml`); the query, the patient and the version by the handler.
 */
export function registerCoverageRoutes(app: FastifyInstance, ctx: PlatformContext) {
  app.get(`${PDS_BASE}/Coverage`, { schema: searchCoverageSchema, config: { activity: 'patient:read', audit: { action: 'coverage.read' } } }, async (request, reply) => {
    const nhsNumber = parseCoverageSearch(request.query as RawQuery);
    const answer = await searchCoverage(ctx, request, nhsNumber);
    return reply.header('ETag', etagFor(answer.versionId)).type('application/fhir+json').send(answer.bundle);
  });

  app.post<{ Body: CoverageBody }>(`${PDS_BASE}/Coverage`, {
    schema: updateCoverageSchema,
    bodyLimit: MAX_WRITE_BODY_BYTES,
    config: { activity: 'patient:write', checkOrder: ['headers', 'body'], audit: { action: 'coverage.update' } },
    // An update as a PATCH is: application-restricted access (reads and searches) updates no
    // patient's details, whatever its app was granted (found by probing: one replaced an EHIC).
    onRequest: healthcareWorkersOnly('update'),
  }, async (request, reply) => {
    const expected = ifMatchVersion(request);
    const outcome = await updateCoverage(ctx, request, request.body, expected);
    return sendOutcome(reply, outcome, `Patient/${outcome.nhsNumber}/Coverage`);
  });
}
