import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/activities.js';
import type { Db } from '../db/pool.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the caller is for read-your-writes when a service authenticated it itself (`identifyCaller`). */
    readerIdentity?: string;
  }
  interface FastifyContextConfig {
    /** A POST that only reads (a search by POST): its caller has written nothing. */
    readOnly?: true;
  }
}

// RFC 9110 §9.2.1: the methods that do not ask for a change.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Who a caller is for read-your-writes: the application, and the user for user-restricted access. */
export function callerIdentity(principal: Principal): string {
  return principal.userId === undefined ? principal.appId : `${principal.appId}/${principal.userId}`;
}

/** Names the caller for read-your-writes, for a service that authenticates its callers itself (NRL behind a gateway). */
export function identifyCaller(request: FastifyRequest, identity: string): void {
  request.readerIdentity = identity;
}

/** Who reads, for `Db.lagTolerantRead`: the name the caller's writes are remembered under. */
export function readerOf(request: FastifyRequest): string | undefined {
  if (request.readerIdentity !== undefined) return request.readerIdentity;
  return request.principal ? callerIdentity(request.principal) : undefined;
}

/**
 * Read-your-writes with a read replica: a caller's lag-tolerant reads after its own write stay on
 * the primary until the replica has replayed it, at whichever process they arrive (db/replica.ts).
 *
 * A request is taken to have written when its method is unsafe (POST, PUT, PATCH, DELETE) and it
 * succeeded (below 400): the platform cannot see inside a service's SQL, and a write it missed
 * would be a stale read. A refusal wrote nothing; a write that failed after its commit (its audit
 * record could not be written: 503) is the one case missed, and its client retries it. Routes that
 * read by POST say so (`config.readOnly`). Before the answer
 * goes out, the caller's mark is stored where every process looks; a failure to store it is
 * logged, not turned into an error, because the write itself has committed.
 * Without a replica there is nothing to remember and no hook is added.
 */
export function registerReadYourWrites(app: FastifyInstance, db: Db) {
  if (!db.reads.replicated) return;
  app.addHook('onSend', async (request, reply, payload) => {
    if (SAFE_METHODS.has(request.method) || request.routeOptions.config?.readOnly) return payload;
    if (reply.statusCode >= 400) return payload;
    const identity = readerOf(request);
    if (identity === undefined) return payload;
    try {
      await db.rememberWrite(identity);
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'could not remember the caller\'s write: its next reads may come from the replica');
    }
    return payload;
  });
}
