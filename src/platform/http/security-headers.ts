import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Helmet's response headers (HSTS, `X-Content-Type-Options: nosniff`, `X-Frame-Options`, the
 * cross-origin policies, …) on every answer. Content-Security-Policy is left to the pages that
 * need one (the console sets its own, with a nonce); the APIs answer JSON.
 *
 * With that policy off, helmet's headers do not depend on the request, so they are taken from
 * helmet once, at start, and each reply gets the same set. `@fastify/helmet` built a new helmet
 * middleware for every request, in two hooks (one of them async): 4.5% of the server's CPU on an
 * NRL search (bench/README.md).
 */
export function securityHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: number | string | readonly string[]) { headers[name.toLowerCase()] = String(value); },
    removeHeader(name: string) { delete headers[name.toLowerCase()]; },
  };
  helmet({ contentSecurityPolicy: false })({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return Object.freeze(headers);
}

export function registerSecurityHeaders(app: FastifyInstance) {
  const headers = securityHeaders();
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}
