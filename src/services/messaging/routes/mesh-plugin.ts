import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classifyError } from '../../../platform/http/error-mapper.js';
import { serveOpenApi } from '../../../platform/http/openapi.js';
import { RequestValidationError } from '../../../platform/http/validation.js';
import type { ErrorSpec } from '../../../platform/http/errors.js';
import { authenticateMailbox, checkClientCertificate } from '../auth/authenticate.js';
import { MESH_ERRORS, isMeshErrorSpec, type MeshErrorSpec } from '../errors.js';
import { MeshError, meshError } from '../mesh-error.js';
import { apiVersionFromAccept, MEDIA_TYPE } from '../protocol/api-version.js';
import { errorBody } from '../views/errors.js';
import type { MeshDeps } from '../handlers/deps.js';
import { registerPublicRoutes } from './public.js';
import { registerOutboxRoutes } from './outbox.js';
import { registerInboxRoutes } from './inbox.js';
import { knownPaths } from './known-paths.js';
import { meshRefusal } from './refusals.js';
import { publishedWholeNumbers } from './schemas.js';
import './context.js';

/** Platform errors (Fastify's own, unknown failures) in MESH terms, keeping their HTTP status. */
function asMeshSpec(spec: ErrorSpec): MeshErrorSpec {
  if (isMeshErrorSpec(spec)) return spec;
  switch (spec.status) {
    case 400: return MESH_ERRORS.INVALID_PARAMETER;
    case 404: return MESH_ERRORS.NOT_FOUND;
    case 405: return MESH_ERRORS.METHOD_NOT_ALLOWED;
    case 413: return MESH_ERRORS.CHUNK_TOO_LARGE;
    case 500: return MESH_ERRORS.INTERNAL_ERROR;
    // e.g. 503 when the database is unavailable or the service sheds load: the code follows the status, as MESH's request errors do.
    default: return { ...MESH_ERRORS.INTERNAL_ERROR, status: spec.status, code: String(spec.status), display: spec.display };
  }
}

/** Any error, in MESH's v1/v2 error shape (by the request's Accept). */
export function sendMeshError(request: FastifyRequest, reply: FastifyReply, thrown: unknown) {
  // Refused at the door: the failure in MESH's codes, named as the spec names the field.
  const err = thrown instanceof RequestValidationError ? meshRefusal(thrown.failure, request) : thrown;
  const classified = classifyError(err, request);
  const spec = asMeshSpec(classified.spec);
  // A request refused before the MESH hooks ran (load shedding) has no version yet: read its Accept.
  const version = request.meshVersion ?? apiVersionFromAccept(request.headers.accept) ?? 1;
  const details = err instanceof MeshError ? err.details : {};
  if (classified.headers) reply.headers(classified.headers);
  return reply.code(spec.status).type(MEDIA_TYPE[version]).send(errorBody(version, {
    spec,
    messageId: details.messageId,
    internalId: String(request.id),
    fields: details.fields,
    location: details.location,
    diagnostics: classified.diagnostics,
  }));
}

/**
 * `/messageexchange`: its own body handling (raw streams, 100 MB a request), its own NHSMESH
 * authentication and mutual-TLS check, and MESH-shaped errors (v1/v2 by Accept).
 */
export async function meshPlugin(app: FastifyInstance, deps: MeshDeps) {
  // Bodies are opaque bytes of any content type, streamed to storage as they arrive.
  // Every MESH route is authenticated here, by its NHSMESH header (onRequest below), except the
  // few the spec leaves open: say so to the platform's route protection check.
  const known = knownPaths();
  app.addHook('onRoute', (route) => {
    known.add(route.method, route.url);
    const open = route.config?.meshPublic === true || route.config?.public === true;
    // An authenticated route's handler says what it did to which message (handlers/audit.ts): the platform audits it.
    // MESH takes gzip chunks and answers any other coding itself (422 UnsupportedContentEncoding).
    route.config = { ...route.config, readsContentCoding: true, ...(open ? { meshPublic: true, public: true } : { authenticatedBy: 'NHSMESH', audit: route.config?.audit ?? { action: 'message.access' } }) };
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.addHook('onRequest', async (request) => {
    const version = apiVersionFromAccept(request.headers.accept);
    request.meshVersion = version ?? 1;
    checkClientCertificate(deps.ctx, request);
    if (!version) throw meshError(MESH_ERRORS.BAD_ACCEPT, { fields: ['accept'] });
    if (!request.routeOptions.url) return;
    if (!request.routeOptions.config?.meshPublic) {
      const params = request.params as { mailbox?: string };
      const inStatement = request.routeOptions.config?.meshNonceInStatement === true;
      const { mailbox, nonce } = await authenticateMailbox(deps.ctx, deps.mailboxes, deps.nonces, request.headers.authorization, params.mailbox ?? '', !inStatement);
      request.meshMailbox = mailbox;
      if (inStatement) request.meshNonce = nonce;
      else request.meshNonceClaimed = nonce;
    }
  });
  app.setErrorHandler((err: FastifyError, request, reply) => sendMeshError(request, reply, err));
  app.setNotFoundHandler((request, reply) => {
    if (!request.meshVersion) request.meshVersion = apiVersionFromAccept(request.headers.accept) ?? 1;
    const path = request.url.split('?')[0]!;
    // A path MESH serves, asked with a method it does not take there: 405 with Allow (RFC 9110
    // 15.5.6), as the MESH sandbox answers; the spec lists no 405. Nothing is read or authenticated.
    const allowed = known.methodsAt(path);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendMeshError(request, reply, meshError(MESH_ERRORS.METHOD_NOT_ALLOWED, { diagnostics: `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}` }));
    }
    return sendMeshError(request, reply, meshError(MESH_ERRORS.NOT_FOUND, { diagnostics: `No such endpoint: ${request.method} ${path}` }));
  });

  // Authentication (onRequest) comes before the door (preValidation), as MESH checks the token first.
  await serveOpenApi(app, {
    path: '/openapi.json',
    title: 'Message Exchange for Social Care and Health (MESH) API',
    description: 'OpenSpine MESH: the routes, path parameters and control headers it checks, with the MESH API specification\'s limits.',
    published: publishedWholeNumbers,
  });
  registerPublicRoutes(app, deps);
  registerOutboxRoutes(app, deps);
  registerInboxRoutes(app, deps);
}
