import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { Activity } from '../auth/activities.js';
import { PLATFORM_ERRORS, SpineError } from './errors.js';

/**
 * The methods a path may be sent that it may not offer. GET is refused only where a path does not
 * offer it (the OAuth2 token endpoint, POST only); HEAD comes with it either way (Fastify serves HEAD
 * beside every GET route, so HEAD is refused where GET is).
 */
const REFUSABLE: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export interface OfferedPath {
  /** The route's URL within the scope, e.g. `/audit/FHIR/R4/AuditEvent/:id`. */
  url: string;
  /** What the path offers; HEAD comes with GET (Fastify serves it). */
  methods: readonly HTTPMethods[];
}

/** The `Allow` header of a path: what it offers, HEAD beside GET. */
export const allowHeader = (methods: readonly HTTPMethods[]) =>
  [...new Set(methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))].join(', ');

/** The platform's 405 (FHIR R4's answer to an interaction a server does not support on a resource), in its OperationOutcome. */
export const methodNotAllowed = (method: string, allow: string) =>
  new SpineError(PLATFORM_ERRORS.METHOD_NOT_ALLOWED, `${method} is not supported here; the methods allowed are ${allow}`, { headers: { Allow: allow } });

export interface RefusalOptions {
  /** Builds the error (an API with its own error catalogue, the SDS's, passes its own); default the platform's 405. */
  refusal?: (method: string, allow: string) => SpineError;
  /**
   * Who gets the 405: public by default, where the API answers it to anyone (the SDS's 405, as NHS
   * England's SDS does); or the API's own activity, so a caller without a credential is 401 as on
   * its other routes (the audit API). A patient-data activity needs an audit action, as every
   * such route does (nothing is recorded: the refusal touches no record).
   */
  access?: { public: true } | { activity: Activity; audit?: { action: string } };
}

/**
 * A method a FHIR API does not offer on a path it serves is 405 Method Not Allowed with `Allow`
 * (RFC 9110 §15.5.6), as an OperationOutcome in the scope's error shape, not the platform's 404 "No
 * such endpoint" for a path that is there. The scope's error handler renders it. Reads no body.
 */
export function refuseOtherMethods(app: FastifyInstance, paths: readonly OfferedPath[], options: RefusalOptions = {}) {
  const refusal = options.refusal ?? methodNotAllowed;
  const access = options.access ?? { public: true };
  for (const { url, methods } of paths) {
    const refused = REFUSABLE.filter((method) => !methods.includes(method));
    const allow = allowHeader(methods);
    const parameters = [...url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const params = parameters.length > 0
      ? { type: 'object', properties: Object.fromEntries(parameters.map((name) => [name, { type: 'string' }])) }
      : undefined;
    app.route({
      method: [...refused],
      url,
      schema: { hide: true, ...(params ? { params } : {}) },
      config: { ...access, body: 'none' },
      handler: async (request) => { throw refusal(request.method, allow); },
    });
  }
}
