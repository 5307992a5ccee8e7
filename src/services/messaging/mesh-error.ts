import { SpineError } from '../../platform/http/errors.js';
import type { MeshErrorSpec } from './errors.js';

/** A SpineError that can also name the message it concerns (`messageID` / `message_id` in the body). */
export class MeshError extends SpineError {
  constructor(spec: MeshErrorSpec, readonly details: { messageId?: string; diagnostics?: string; fields?: string[] } = {}) {
    super(spec, details.diagnostics, { expression: details.fields });
  }
}

export const meshError = (spec: MeshErrorSpec, details?: MeshError['details']) => new MeshError(spec, details);
