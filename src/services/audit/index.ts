import type { FastifyInstance } from 'fastify';
import type { PlatformContext, ServiceModule } from '../../platform/service.js';
import { searchAuditRecords } from '../../platform/audit/store.js';
import { searchset } from '../../platform/fhir/bundle.js';
import { PLATFORM_ERRORS, SpineError } from '../../platform/http/errors.js';
import { readerOf } from '../../platform/http/read-your-writes.js';
import { auditScopeFor } from './access.js';
import { toAuditEvent } from './audit-event.js';
import { capabilityStatement } from './capability.js';
import { parseAuditEventQuery } from './search-params.js';
import { auditEventParams, auditEventSearchQuerystring } from './schemas.js';
import { serveOpenApi } from '../../platform/http/openapi.js';
import { refuseOtherMethods } from '../../platform/http/method-not-allowed.js';

const BASE = '/audit/FHIR/R4';
const FHIR_JSON = 'application/fhir+json';

/**
 * The audit trail, read back as FHIR AuditEvent: "who looked at my record" by patient, and a
 * user's or application's activity by agent, for privacy officers. The trail itself is written by
 * the platform's audit writer (src/platform/audit); its tables belong to the platform.
 */
async function routes(app: FastifyInstance, ctx: PlatformContext) {
  await serveOpenApi(app, {
    path: `${BASE}/openapi.json`,
    title: 'OpenSpine audit API (FHIR AuditEvent)',
    description: 'Who accessed a patient\'s record, and what a user or application accessed: the Spine\'s audit trail as FHIR AuditEvents.',
  });
  const eventUrl = (seq: number) => `${ctx.config.publicBaseUrl}${BASE}/AuditEvent/${seq}`;
  const nextPageUrl = (url: string, lastSeq: number) => {
    const next = new URL(url, ctx.config.publicBaseUrl);
    next.searchParams.set('_before', String(lastSeq));
    return `${ctx.config.publicBaseUrl}${next.pathname}${next.search}`;
  };

  app.get(`${BASE}/metadata`, { config: { public: true } }, async (_request, reply) =>
    reply.type(FHIR_JSON).send(capabilityStatement(ctx.config.publicBaseUrl, ctx.clock.now())));

  // Reading the trail is itself an access to patient data: the platform audits each answer before
  // it goes out (config.audit), with what the handler puts in request.audited.
  app.get(`${BASE}/AuditEvent`, { schema: { querystring: auditEventSearchQuerystring }, config: { activity: 'audit:read', audit: { action: 'audit.search' } } }, async (request, reply) => {
    const query = parseAuditEventQuery(request.query as Record<string, string | string[]>);
    const onlyBy = auditScopeFor(request.principal!);
    // Entries that committed with their writes are chained first, so the search shows them.
    await ctx.audit.chainPending();
    // One more than a page: whether there is a next page, without an offset scan.
    // A search of the trail tolerates a little lag: it may be served by the read replica.
    const found = await ctx.db.lagTolerantRead(readerOf(request), (db) => searchAuditRecords(db, { ...query, onlyBy, limit: query.count + 1, beforeSeq: query.before }));
    const records = found.records.slice(0, query.count);
    // The answer shows every patient its records name: the entry names them all, so this look is in
    // each one's "who looked at my record", not only in the searched patient's.
    const shownPatients = new Set([...(query.nhsNumber ? [query.nhsNumber] : []), ...records.flatMap((record) => record.nhsNumbers)]);
    request.audited = {
      resource: 'AuditEvent',
      nhsNumbers: [...shownPatients],
      detail: { query: request.query, scope: onlyBy ? 'own' : 'all', returned: records.length },
    };
    const entries = records.map((record) => ({ fullUrl: eventUrl(record.seq), search: { mode: 'match' as const }, resource: toAuditEvent(record) }));
    const bundle = searchset(entries, { total: found.total, self: `${ctx.config.publicBaseUrl}${request.url}`, now: ctx.clock.now() });
    if (found.records.length > query.count) bundle.link!.push({ relation: 'next', url: nextPageUrl(request.url, records[records.length - 1]!.seq) });
    return reply.type(FHIR_JSON).send(bundle);
  });

  app.get<{ Params: { id: string } }>(`${BASE}/AuditEvent/:id`, { schema: { params: auditEventParams }, config: { activity: 'audit:read', audit: { action: 'audit.read' } } }, async (request, reply) => {
    const seq = /^[1-9][0-9]{0,14}$/.test(request.params.id) ? Number(request.params.id) : undefined;
    const onlyBy = auditScopeFor(request.principal!);
    const found = seq === undefined ? undefined : (await searchAuditRecords(ctx.db, { seq, onlyBy, limit: 1 })).records[0];
    // Someone else's record is "not found" to a caller who may not see it: its existence is not disclosed.
    if (!found) throw new SpineError(PLATFORM_ERRORS.NOT_FOUND, `AuditEvent '${request.params.id}' not found`);
    request.audited = { resource: `AuditEvent/${found.seq}`, nhsNumbers: found.nhsNumbers };
    return reply.type(FHIR_JSON).send(toAuditEvent(found));
  });

  // The trail is read-only: any other method on these paths is 405 with Allow (FHIR's answer to an
  // interaction a server does not support), not 404 "No such endpoint". Behind audit:read, as the reads
  // are: without a credential it is 401.
  refuseOtherMethods(app, [
    { url: `${BASE}/AuditEvent`, methods: ['GET'] },
    { url: `${BASE}/AuditEvent/:id`, methods: ['GET'] },
  ], { access: { activity: 'audit:read', audit: { action: 'audit.invalid-method' } } });
  refuseOtherMethods(app, [{ url: `${BASE}/metadata`, methods: ['GET'] }]);
}

export const auditService: ServiceModule = {
  name: 'audit',
  // The audit tables are the platform's (every process writes them); this service only reads them.
  migrations: [],
  routes,
};
