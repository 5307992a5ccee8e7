import type { FastifyReply, FastifyRequest } from 'fastify';
import { classifyErrorClipped } from '../../../platform/http/error-mapper.js';

/**
 * MNS's error shapes (`responses/*.yaml`): 400 `{validationErrors: {field: message}}` for a body or
 * header that fails its schema, 401 Apigee's `{fault: {faultstring, detail: {errorcode}}}`, and
 * otherwise `{errors: "…"}`.
 */
export function mnsErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  // A refused value is quoted by its first 100 characters and its length, never whole (a 100 kB
  // hydration header came back whole in validationErrors).
  const classified = classifyErrorClipped(err, request);
  if (classified.headers) reply.headers(classified.headers);
  const { status } = classified.spec;
  reply.code(status).type('application/json');
  if (status === 401) {
    const missing = !request.headers.authorization;
    return reply.send({ fault: { faultstring: missing ? 'Missing access token' : 'Invalid access token', detail: { errorcode: missing ? 'oauth.v2.MissingAccessToken' : 'oauth.v2.InvalidAccessToken' } } });
  }
  if (classified.failure) {
    const field = classified.failure.path || classified.failure.part;
    const message = classified.failure.kind === 'missing' ? `Please provide ${field}` : classified.diagnostics ?? `Invalid ${field}`;
    return reply.code(400).send({ validationErrors: { [field]: message } });
  }
  if (classified.spec.code === 'VALIDATION' && classified.diagnostics) {
    const [field, ...rest] = classified.diagnostics.split(': ');
    return reply.send({ validationErrors: { [field!]: rest.join(': ') } });
  }
  return reply.send({ errors: classified.diagnostics ?? classified.spec.display });
}
