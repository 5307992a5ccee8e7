import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { clippedFhirErrorHandler } from '../../../platform/http/error-mapper.js';
import { checkNhsNumbers, newTotals } from '../bulk/check.js';

/**
 * `POST /consent/check`: the bulk opt-out check over HTTP (NHS England offers it over MESH only).
 * The body is the MESH file's content (one NHS number a line, `text/plain` or `text/csv`); the
 * answer streams back as it is checked: the lines of those who have not opted out, and for each
 * invalid line an error line (`ERROR line 3: '123' is not a valid NHS number: …`) in its place.
 * Both directions stream with back-pressure, so a list of millions never sits in memory.
 */
const CHECK_HEADERS = {
  type: 'object',
  required: ['content-type'],
  properties: {
    'content-type': { type: 'string', pattern: '^\\s*text/(plain|csv)\\s*(;.*)?$', maxLength: 128 },
    'x-request-id': { type: 'string', maxLength: 128 },
  },
} as const;

export async function checkApiRoutes(app: FastifyInstance, ctx: PlatformContext) {
  // The FHIR error shape, quoting a refused value in part (a header is up to 16 kB).
  app.setErrorHandler(clippedFhirErrorHandler);
  // The body is read as it streams, not collected: the parser hands the raw request stream on.
  app.removeContentTypeParser(['text/plain']);
  for (const type of ['text/plain', 'text/csv']) app.addContentTypeParser(type, { bodyLimit: Number.MAX_SAFE_INTEGER }, (_request, payload, done) => done(null, payload));

  app.post('/consent/check', {
    schema: { headers: CHECK_HEADERS },
    config: { activity: 'consent:check', body: 'stream', audit: { action: 'consent.bulk-check' } },
  }, async (request, reply) => {
    const at = ctx.clock.now();
    const totals = newTotals();
    // Audited before the first byte goes out: the caller, when, and that it was a bulk check (the
    // numbers themselves are the caller's list, not a look-up of one patient).
    request.audited = { resource: 'Consent', nhsNumbers: [], detail: { channel: 'http', at: at.toISOString() } };
    const body = request.body as AsyncIterable<Buffer>;
    const lines = checkNhsNumbers(ctx.db, body, { at, invalid: 'report', totals });
    const stream = Readable.from(lines, { objectMode: false, highWaterMark: 64 * 1024 });
    stream.on('end', () => request.log.info({ ...totals }, 'bulk opt-out check answered'));
    stream.on('error', (err) => request.log.warn({ err, ...totals }, 'bulk opt-out check stopped'));
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(stream);
  });
}
