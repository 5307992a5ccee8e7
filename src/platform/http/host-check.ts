import type { FastifyInstance } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from './errors.js';

/** `localhost`, `127.0.0.1` or `[::1]`, each with or without a port: what a browser sends to a loopback server. */
const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

export function isLoopbackHostHeader(host: string): boolean {
  return LOOPBACK_HOST.test(host);
}

/**
 * DNS rebinding defence for the loopback-only modes (demo and sandbox, whose credentials are well
 * known or not needed): a web page whose own name is made to resolve to 127.0.0.1 reaches this port
 * from the browser, but its requests still carry its own name in `Host`, so only loopback names are
 * answered. A request with no `Host` (HTTP/1.0) comes from no browser and is let through.
 */
export function registerLoopbackHostCheck(app: FastifyInstance) {
  app.addHook('onRequest', (request, _reply, done) => {
    const host = request.headers.host;
    if (host === undefined || isLoopbackHostHeader(host)) return done();
    done(new SpineError(PLATFORM_ERRORS.FORBIDDEN,
      `Host '${host.slice(0, 100)}' is not a loopback name: in demo and sandbox modes the Spine answers requests to localhost, 127.0.0.1 or [::1] only`));
  });
}
