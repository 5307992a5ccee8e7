import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SpineError } from '../../platform/http/errors.js';
import { capabilityStatement } from '../../platform/fhir/capability.js';
import type { PlatformContext } from '../../platform/service.js';
import { EXPORT_ERRORS } from './errors.js';
import { EXPORT_TYPES, parseKickoff } from './kickoff-params.js';
import { findJob, cancelJob, insertJob, listFiles, streamSegments, type ExportJob } from './store.js';
import type { ExportRunner } from './worker.js';

/**
 * FHIR Bulk Data Access (`$export`, v2) under `/export/FHIR/R4`, for secondary uses: an
 * asynchronous kick-off (202, `Content-Location` of the status URL), status polling (202 with
 * `X-Progress` and `Retry-After`, then 200 with the manifest), ndjson file downloads, and DELETE to
 * cancel. Every call needs `export:bulk`, and a job is visible only to the application that
 * started it (404 to any other). Patients with a national data opt-out are never exported.
 */
const RETENTION_MS = 24 * 60 * 60 * 1000;
// Segments (64 KB, `ndjson-files.ts`) a download reads per statement.
const COPY_SEGMENTS = 16;
// What a download reads ahead of its client: the socket is kept fed from it (rather than stalling
// at every 64 KB chunk), and a slow client holds no more than this in memory.
const DOWNLOAD_BUFFER_BYTES = 1024 * 1024;

const KICKOFF_QUERY = {
  type: 'object',
  properties: {
    _type: { type: 'string', maxLength: 256 },
    _since: { type: 'string', maxLength: 64 },
    _outputFormat: { type: 'string', maxLength: 64 },
    _elements: { type: 'string', maxLength: 256 },
    _typeFilter: { type: 'string', maxLength: 1024 },
    patient: { type: 'string', maxLength: 256 },
    includeAssociatedData: { type: 'string', maxLength: 256 },
    _until: { type: 'string', maxLength: 64 },
  },
  additionalProperties: false,
} as const;
const KICKOFF_HEADERS = {
  type: 'object',
  properties: { prefer: { type: 'string', maxLength: 256 }, accept: { type: 'string', maxLength: 256 } },
} as const;
const JOB_PARAMS = { type: 'object', required: ['job'], properties: { job: { type: 'string', maxLength: 64 } } } as const;
const FILE_PARAMS = {
  type: 'object', required: ['job', 'file'],
  properties: { job: { type: 'string', maxLength: 64 }, file: { type: 'string', pattern: '^[0-9]{1,6}\\.ndjson$' } },
} as const;
const NO_QUERY = { type: 'object', additionalProperties: false } as const;

export async function exportRoutes(app: FastifyInstance, ctx: PlatformContext, runner: () => ExportRunner | undefined) {
  const base = () => `${ctx.config.publicBaseUrl}/export/FHIR/R4`;
  const statusUrl = (id: string) => `${base()}/$export-status/${id}`;
  // The platform writes the entry (config.audit) before the answer goes out; the handler says what it touched.
  const audit = (request: FastifyRequest, action: string, resource: string, detail: Record<string, unknown>) => {
    request.audited = { action, resource, nhsNumbers: [], detail };
  };

  /** The caller's own job, or 404 (another application's job is not theirs to know of). */
  const ownJob = async (request: FastifyRequest, id: string): Promise<ExportJob> => {
    const job = await findJob(ctx.db, id);
    if (!job || job.appId !== request.principal?.appId || job.state === 'cancelled' || job.expiresAt.getTime() < ctx.clock.now().getTime()) {
      throw new SpineError(EXPORT_ERRORS.NO_SUCH_EXPORT, `No export ${id}`);
    }
    return job;
  };

  app.get('/metadata', { config: { public: true } }, async (_request, reply) => reply.type('application/fhir+json').send(capabilityStatement({
    software: 'OpenSpine bulk export',
    description: 'FHIR Bulk Data $export (v2) of PDS patients and NRL pointers for secondary uses; patients with a national data opt-out are removed',
    url: base(),
    resources: EXPORT_TYPES.map((type) => ({ type })),
    security: 'OAuth2 access token from POST /oauth2/token with export:bulk; the files need the same token (requiresAccessToken)',
    now: ctx.clock.now(),
  })));

  const kickoff = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const prefer = String(request.headers.prefer ?? '');
    if (!/(^|[,;\s])respond-async($|[,;\s])/.test(prefer)) {
      throw new SpineError(EXPORT_ERRORS.PREFER_REQUIRED, "Bulk Data kick-off needs the header 'Prefer: respond-async'");
    }
    const accept = request.headers.accept;
    if (accept !== undefined && !/application\/fhir\+json|application\/json|\*\/\*/.test(accept)) {
      throw new SpineError(EXPORT_ERRORS.NOT_ACCEPTABLE, `Accept '${accept}' is not served: use application/fhir+json`);
    }
    const now = ctx.clock.now();
    const parsed = parseKickoff(request.query as Record<string, unknown>, now);
    if (!parsed.ok) throw new SpineError(EXPORT_ERRORS.INVALID_PARAMETER, `Invalid parameter '${parsed.parameter}': ${parsed.problem}`);
    const principal = request.principal!;
    const id = randomUUID();
    const requestUrl = `${ctx.config.publicBaseUrl}${request.url}`;
    await insertJob(ctx.db, {
      id, appId: principal.appId, requestUrl, types: parsed.value.types, since: parsed.value.since, transactionTime: now,
      requestedBy: { appName: principal.appName, odsCode: principal.odsCode, userId: principal.userId, roleCode: principal.roleCode },
      expiresAt: new Date(now.getTime() + RETENTION_MS),
    }, now);
    await audit(request, 'export.kick-off', `$export/${id}`, { types: parsed.value.types, since: parsed.value.since?.toISOString() });
    runner()?.wake();
    return reply.code(202).header('content-location', statusUrl(id)).type('application/fhir+json').send({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', diagnostics: `Export ${id} accepted: poll ${statusUrl(id)}` }],
    });
  };
  const kickoffOptions = { schema: { querystring: KICKOFF_QUERY, headers: KICKOFF_HEADERS }, config: { activity: 'export:bulk' as const, audit: { action: 'export.bulk' } } };
  app.get('/$export', kickoffOptions, kickoff);
  app.get('/Patient/$export', kickoffOptions, kickoff);

  app.get<{ Params: { job: string } }>('/$export-status/:job', { schema: { params: JOB_PARAMS, querystring: NO_QUERY }, config: { activity: 'export:bulk', audit: { action: 'export.bulk' } } }, async (request, reply) => {
    const job = await ownJob(request, request.params.job);
    if (job.state === 'failed') throw new SpineError(EXPORT_ERRORS.EXPORT_FAILED, `Export ${job.id} failed (${job.failure ?? 'unknown'}): start a new one`);
    if (job.state !== 'completed') {
      await audit(request, 'export.status', `$export/${job.id}`, { state: job.state });
      const progress = Object.entries(job.progress).map(([k, v]) => `${k} ${v}`).join(', ');
      return reply.code(202).header('x-progress', progress ? `in progress: ${progress}` : 'queued').header('retry-after', '2').send();
    }
    const files = await listFiles(ctx.db, job.id);
    await audit(request, 'export.status', `$export/${job.id}`, { files: files.length });
    return reply.code(200).header('expires', job.expiresAt.toUTCString()).type('application/json').send({
      transactionTime: job.transactionTime.toISOString(),
      request: job.requestUrl,
      requiresAccessToken: true,
      output: files.map((f) => ({ type: f.type, url: `${base()}/$export-file/${job.id}/${f.fileNo}.ndjson`, count: f.count })),
      error: [],
    });
  });

  app.delete<{ Params: { job: string } }>('/$export-status/:job', { schema: { params: JOB_PARAMS, querystring: NO_QUERY }, config: { activity: 'export:bulk', audit: { action: 'export.bulk' } } }, async (request, reply) => {
    const job = await ownJob(request, request.params.job);
    await cancelJob(ctx.db, job.id);
    await audit(request, 'export.cancel', `$export/${job.id}`, {});
    return reply.code(202).send();
  });

  app.get<{ Params: { job: string; file: string } }>('/$export-file/:job/:file', { schema: { params: FILE_PARAMS, querystring: NO_QUERY }, config: { activity: 'export:bulk', audit: { action: 'export.bulk' } } }, async (request, reply) => {
    const job = await ownJob(request, request.params.job);
    const fileNo = Number.parseInt(request.params.file, 10);
    const file = job.state === 'completed' ? (await listFiles(ctx.db, job.id)).find((f) => f.fileNo === fileNo) : undefined;
    if (!file) throw new SpineError(EXPORT_ERRORS.NO_SUCH_EXPORT, `Export ${job.id} has no file ${request.params.file}`);
    await audit(request, 'export.download', `$export/${job.id}/${file.fileNo}`, { type: file.type, count: file.count, bytes: file.bytes });
    // Streamed from the store as the client takes it, a statement per COPY_SEGMENTS segments
    // (so a slow client holds a connection for one batch at a time, not the whole file).
    async function* fileBytes() {
      for (let n = 0; n < file!.segments; n += COPY_SEGMENTS) {
        yield* streamSegments(ctx.db, job.id, file!.fileNo, n, Math.min(file!.segments, n + COPY_SEGMENTS));
      }
    }
    return reply.type('application/fhir+ndjson').header('content-length', String(file.bytes)).send(Readable.from(fileBytes(), { objectMode: false, highWaterMark: DOWNLOAD_BUFFER_BYTES }));
  });
}
