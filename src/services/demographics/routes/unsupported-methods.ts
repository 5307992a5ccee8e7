import type { FastifyInstance, FastifyRequest, HTTPMethods, onRequestHookHandler } from 'fastify';
import { SpineError } from '../../../platform/http/errors.js';
import { diagnostics, invalidMethod, type RefusedAction } from '../errors.js';
import { PDS_BASE } from './paths.js';

/** PDS's paths and the methods its spec offers on each (the routes of this folder). */
const OFFERED: ReadonlyArray<{ path: string; methods: readonly HTTPMethods[] }> = [
  { path: '/Patient', methods: ['GET', 'POST'] },
  { path: '/Patient/:id', methods: ['GET', 'PATCH'] },
  { path: '/Patient/:id/RelatedPerson', methods: ['GET'] },
  { path: '/Coverage', methods: ['GET', 'POST'] },
];

const ACTIONS: Partial<Record<HTTPMethods, RefusedAction>> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

const refusal = (request: FastifyRequest) =>
  new SpineError(invalidMethod(ACTIONS[request.method as HTTPMethods]!, request.principal!.accessMode), diagnostics.invalidMethod);

/**
 * Runs after the platform's authentication (a route hook follows the root's), before the body is
 * read: whatever is sent, the answer is the method's refusal.
 */
const refuse: onRequestHookHandler = (request, _reply, done) => done(refusal(request));

/**
 * A method PDS does not offer on one of its paths (DELETE or PUT on a patient, a POST to a
 * patient's related people) is 403 INVALID_METHOD, as NHS England's PDS test suite expects of a
 * POST to a patient's related people, not the platform's 404 for an unknown endpoint. The spec has
 * no 405; the caller still needs a PDS activity, so an unauthenticated call is 401 as on any route.
 */
export function registerUnsupportedMethods(app: FastifyInstance) {
  for (const { path, methods } of OFFERED) {
    const refused = (Object.keys(ACTIONS) as HTTPMethods[]).filter((method) => !methods.includes(method));
    const params = path.includes(':id') ? { type: 'object', properties: { id: { type: 'string' } } } : undefined;
    app.route({
      method: refused,
      url: `${PDS_BASE}${path}`,
      schema: { hide: true, ...(params ? { params } : {}) },
      config: { activity: 'patient:read', body: 'none', audit: { action: 'patient.invalid-method' } },
      onRequest: refuse,
      handler: async (request) => { throw refusal(request); },
    });
  }
}
