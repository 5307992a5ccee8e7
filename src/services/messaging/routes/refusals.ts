import type { FastifyRequest } from 'fastify';
import type { ValidationFailure } from '../../../platform/http/validation.js';
import { MESH_ERRORS, type MeshErrorSpec } from '../errors.js';
import { MeshError, meshError, type FieldLocation } from '../mesh-error.js';
import { normaliseMessageId } from '../protocol/message-id.js';
import { STORED_HEADER_LIMITS } from '../protocol/send-headers.js';
import { PARAMETER_NAMES } from './schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The MESH error a route gives for an invalid field, by the field's spec name (`chunk_number`
     * in an
     * upload's path is `InvalidHeaderChunks`, in a download's `Invalid request parameter`).
     */
    meshRefusals?: Record<string, MeshErrorSpec>;
  }
}

const LOCATION: Record<ValidationFailure['part'], FieldLocation> = { headers: 'header', params: 'path', querystring: 'query', body: 'body' };

// A missing header MESH names with its own code.
const MISSING: Record<string, MeshErrorSpec> = { 'mex-to': MESH_ERRORS.MISSING_TO, 'mex-workflowid': MESH_ERRORS.MISSING_WORKFLOW };

/**
 * A request the door refused (ValidationFailure), in MESH's words: the spec's codes for its
 * control headers (missing `mex-To` 08, missing `mex-WorkflowID` 06, too long or malformed
 * TRANSFER 06), the route's own code where it names one, else 400 "Invalid request parameter"
 * naming the field as the spec does (`chunk_number`, `mex-subject`).
 */
export function meshRefusal(failure: ValidationFailure, request: FastifyRequest): MeshError {
  const field = failure.part === 'headers' ? failure.path.toLowerCase() : (PARAMETER_NAMES[failure.path] ?? failure.path);
  const location = LOCATION[failure.part];
  // The part as a whole (a body that is an array, or text where an object belongs): named by its place alone, as FastAPI's ["body"].
  if (failure.path === '') return meshError(MESH_ERRORS.INVALID_PARAMETER, { location, diagnostics: `the request ${failure.part} is not valid (${failure.keyword})` });
  const routeSpec = request.routeOptions.config?.meshRefusals?.[field];
  if (routeSpec) {
    // Such a refusal concerns the message in the path (MESH names it: `messageID` / `message_id`).
    const params = request.params as { messageId?: unknown } | undefined;
    const messageId = typeof params?.messageId === 'string' && params.messageId.length <= 100 ? normaliseMessageId(params.messageId) : undefined;
    return meshError(routeSpec, { messageId, fields: [field], location, diagnostics: `${field} is not valid` });
  }
  if (failure.kind === 'missing') {
    const spec = MISSING[field];
    return spec ? meshError(spec, { fields: [field] }) : meshError(failure.part === 'headers' ? MESH_ERRORS.MISSING_HEADER : MESH_ERRORS.INVALID_PARAMETER, { fields: [field], location, diagnostics: `missing ${field}` });
  }
  if (failure.part === 'headers' && failure.keyword === 'maxLength') {
    const max = STORED_HEADER_LIMITS[field];
    return meshError(MESH_ERRORS.HEADER_TOO_LONG, { fields: [field], diagnostics: `${field} is longer than ${max} characters` });
  }
  if (failure.part === 'headers' && failure.keyword === 'pattern') return meshError(MESH_ERRORS.MALFORMED_CONTROL_FILE, { fields: [field] });
  const problem = failure.kind === 'unexpected' ? 'is not expected' : `is not valid (${failure.keyword})`;
  return meshError(MESH_ERRORS.INVALID_PARAMETER, { fields: [field], location, diagnostics: `${field} ${problem}` });
}
