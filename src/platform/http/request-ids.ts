import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Fastify's request id is the client's X-Request-ID when it sent one (so logs join up), else a new UUID. */
export function requestIdFrom(request: { headers: Record<string, string | string[] | undefined> }): string {
  const sent = request.headers['x-request-id'];
  return typeof sent === 'string' && sent.length > 0 && sent.length <= 200 ? sent : randomUUID();
}

/** Sets X-Request-ID and X-Correlation-ID on the reply, as the request sent them. */
export function echoRequestIds(request: FastifyRequest, reply: FastifyReply) {
  const requestId = request.headers['x-request-id'];
  if (typeof requestId === 'string') reply.header('X-Request-ID', requestId);
  const correlationId = request.headers['x-correlation-id'];
  if (typeof correlationId === 'string') reply.header('X-Correlation-ID', correlationId);
}

/**
 * X-Request-ID and X-Correlation-ID are echoed on every response, errors included (a request the
 * router refuses, which no hook sees, echoes them in framework-errors.ts).
 */
export function registerRequestIdEcho(app: FastifyInstance) {
  // A callback hook, not an async one: no promise a response for two headers.
  app.addHook('onSend', (request: FastifyRequest, reply, payload, done) => {
    echoRequestIds(request, reply);
    done(null, payload);
  });
}
