import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { SpineError } from '../../../platform/http/errors.js';
import { readerOf } from '../../../platform/http/read-your-writes.js';
import { searchset } from '../../../platform/fhir/bundle.js';
import { operationOutcome } from '../../../platform/fhir/operation-outcome.js';
import { PDS_ERRORS, PDS_OUTCOMES, diagnostics } from '../errors.js';
import { patientHeaders, patientSearchQuerystring } from '../schemas.js';
import { SEARCH_PARAMETERS, parameterNames, parseSearchParams, type RawQuery } from '../search/parse-search-params.js';
import { rankMatches } from '../search/rank-matches.js';
import { CANDIDATE_CAP, findSearchCandidates } from '../store/patient-search.js';
import { searchView } from '../views/patient-views.js';
import { PDS_BASE, fullUrlFor } from './paths.js';

/** PDS: healthcare workers get up to 50 results (default 50); application-restricted callers exactly 1. */
const MAX_RESULTS_USER = 50;

export function registerSearchRoute(app: FastifyInstance, ctx: PlatformContext) {
  // X-Request-ID is checked at the door; the parameters keep PDS's own order of checks (parse-search-params.ts).
  const schema = { headers: patientHeaders, querystring: patientSearchQuerystring(SEARCH_PARAMETERS) };
  app.get(`${PDS_BASE}/Patient`, { schema, config: { activity: 'patient:search', audit: { action: 'patient.search' } } }, async (request, reply) => {
    const query = parseSearchParams(request.query as RawQuery);
    const appRestricted = request.principal?.accessMode === 'application';
    if (appRestricted && query.maxResults !== undefined && query.maxResults !== 1) {
      throw new SpineError(PDS_ERRORS.INVALID_VALUE_FORBIDDEN, diagnostics.invalidValue(String(query.maxResults), '_max-results'));
    }
    const limit = appRestricted ? 1 : query.maxResults ?? MAX_RESULTS_USER;
    // A non-fuzzy, non-exact search keeps every row SQL finds, so limit + 1 rows tell "too many".
    const everyRowMatches = !query.fuzzy && !query.exact;
    // A search tolerates a little lag: it may be served by the read replica (not after the caller's own write).
    const candidates = await ctx.db.lagTolerantRead(readerOf(request), (db) => findSearchCandidates(db, query, everyRowMatches ? limit + 1 : CANDIDATE_CAP + 1));
    const matches = candidates.length > CANDIDATE_CAP ? undefined : rankMatches(query, candidates);
    const detail = { parameters: parameterNames(request.query as RawQuery).sort(), fuzzy: query.fuzzy };

    if (matches === undefined || matches.length > limit) {
      request.audited = { nhsNumbers: [], detail: { ...detail, result: 'too-many-matches' } };
      return reply.type('application/fhir+json').send(operationOutcome(PDS_OUTCOMES.TOO_MANY_MATCHES));
    }
    const bundle = searchset(matches.map((m) => ({
      fullUrl: fullUrlFor(ctx.config.publicBaseUrl, `Patient/${m.patient.id}`),
      search: { score: m.score },
      resource: searchView(m.patient),
    })), { now: ctx.clock.now() });
    // PDS audits every patient a search returns; the response waits for the record.
    request.audited = { nhsNumbers: matches.map((m) => m.patient.id), detail: { ...detail, matches: matches.length } };
    return reply.type('application/fhir+json').send(bundle);
  });
}
