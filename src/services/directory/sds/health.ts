import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { OPENSPINE_VERSION } from '../../../platform/http/health.js';
import { PLATFORM_ERRORS, SpineError } from '../../../platform/http/errors.js';
import { DATABASE_RETRY_AFTER_SECONDS } from '../../../platform/db/faults.js';
import * as sdsStore from '../store/sds.js';
import { PLAIN_JSON } from './wire.js';

/**
 * Health of the SDS FHIR API, under its base as NHS England serves them: the SDS's own
 * `/healthcheck` (the process is up) and `/healthcheck/deep` (a real directory look-up, 503 when it
 * fails), and the API platform's `/_ping` (open) and `/_status` (needs an `apikey`, also in sandbox
 * mode). The deep check reports the directory under the SDS's `ldap` key, which clients read.
 */

type Status = 'pass' | 'fail';

const LOOKUP_TIMEOUT_MS = 5_000;

export interface DeepHealth {
  status: Status;
  details: { ldap: { status: Status; links: { ldap: string }; output: string } };
}

class LookupTimeout extends Error {}

/**
 * What the deep check names as the directory it looked in, where NHS England's names its LDAP
 * servers: the kind of store only. Anyone may call the check, and the database's host, port and name
 * are the deployment's internals (the platform's `_status` shows no address either).
 */
const DIRECTORY_LINK = 'postgresql:';

/** The SDS's deep check: an MHS search for values no record has (as the SDS searches LDAP), bounded in time. */
export async function deepHealth(ctx: PlatformContext): Promise<DeepHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new LookupTimeout(`directory look-up timed out after ${LOOKUP_TIMEOUT_MS} ms`)), LOOKUP_TIMEOUT_MS);
  });
  try {
    await Promise.race([
      sdsStore.searchMhsEndpoints(ctx.db, { organization: 'TEST', interactionId: 'TEST', partyKey: 'TEST' }, { records: 1, interactions: 1 }),
      timeout,
    ]);
    return { status: 'pass', details: { ldap: { status: 'pass', links: { ldap: DIRECTORY_LINK }, output: '' } } };
  } catch (err) {
    // The caller (unauthenticated: the SDS serves its health checks openly) learns only that the
    // look-up failed or timed out; the database's own words (relation names, addresses, roles) go
    // to the server log.
    const timedOut = err instanceof LookupTimeout;
    ctx.log.warn({ err }, 'SDS deep healthcheck: the directory look-up failed');
    const output = timedOut ? `the directory did not answer within ${LOOKUP_TIMEOUT_MS} ms` : 'the directory look-up failed';
    return { status: 'fail', details: { ldap: { status: 'fail', links: { ldap: DIRECTORY_LINK }, output } } };
  } finally {
    clearTimeout(timer);
  }
}

/** Route hook: `_status` answers only a caller that sends an API key, sandbox or not (the guard checks its value). */
async function requireApiKeyHeader(request: FastifyRequest) {
  const key = request.headers.apikey;
  if (typeof key !== 'string' || key.trim() === '') {
    throw new SpineError(PLATFORM_ERRORS.ACCESS_DENIED, 'Missing apikey header: _status needs the API key of a registered application');
  }
}

// The SDS serves its health checks without an API key (its spec); _status needs one.
const PUBLIC = { config: { public: true } } as const;

export function registerSdsHealth(app: FastifyInstance, ctx: PlatformContext, base: string, sdsBaseUrl: () => string) {
  // A failing check says when to look again, as every 503 of the platform does.
  const json = (reply: FastifyReply, status: number, body: unknown) =>
    (status === 503 ? reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS)) : reply).code(status).type(PLAIN_JSON).send(body);

  // The SDS answers an empty 200; its sandbox answers {"status": "OK"}.
  app.get(`${base}/healthcheck`, PUBLIC, async (_request, reply) =>
    (ctx.config.sandbox ? json(reply, 200, { status: 'OK' }) : reply.code(200).send()));

  app.get(`${base}/healthcheck/deep`, PUBLIC, async (_request, reply) => {
    const health = await deepHealth(ctx);
    return json(reply, health.status === 'pass' ? 200 : 503, health);
  });

  app.get(`${base}/_ping`, PUBLIC, async (_request, reply) =>
    json(reply, 200, { version: OPENSPINE_VERSION, revision: '1', releaseId: OPENSPINE_VERSION, commitId: '' }));

  app.get(`${base}/_status`, { config: { activity: 'directory:read', apiKey: true }, onRequest: requireApiKeyHeader }, async (_request, reply) => {
    const health = await deepHealth(ctx);
    const responseCode = health.status === 'pass' ? 200 : 503;
    return json(reply, responseCode, {
      status: health.status,
      version: OPENSPINE_VERSION,
      revision: '1',
      releaseId: OPENSPINE_VERSION,
      commitId: '',
      checks: {
        'healthcheckService:status': [{
          status: health.status,
          timeout: 'false',
          responseCode,
          outcome: JSON.stringify(health),
          links: { self: `${sdsBaseUrl()}/healthcheck/deep` },
        }],
      },
    });
  });
}
