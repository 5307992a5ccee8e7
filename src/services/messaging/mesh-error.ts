import { SpineError } from '../../platform/http/errors.js';
import type { MeshErrorSpec } from './errors.js';

/**
 * Where a refused field was, as the spec's HTTPValidationError `loc` begins (FastAPI's words):
 * a path parameter, a query parameter, a header or a field of a JSON body.
 */
export type FieldLocation = 'path' | 'query' | 'header' | 'body';

/** A SpineError that can also name the message it concerns (`messageID` / `message_id` in the body). */
export class MeshError extends SpineError {
  constructor(spec: MeshErrorSpec, readonly details: { messageId?: string; diagnostics?: string; fields?: string[]; location?: FieldLocation } = {}) {
    super(spec, details.diagnostics, { expression: details.fields });
  }
}

export const meshError = (spec: MeshErrorSpec, details?: MeshError['details']) => new MeshError(spec, details);
