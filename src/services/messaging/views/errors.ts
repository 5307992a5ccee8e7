import type { ApiVersion } from '../protocol/api-version.js';
import type { MeshErrorSpec } from '../errors.js';
import type { FieldLocation } from '../mesh-error.js';

export interface MeshErrorView {
  spec: MeshErrorSpec;
  messageId?: string;
  internalId: string;
  /** Header or parameter names at fault; a 400 names them as the spec's HTTPValidationError `loc`. */
  fields?: string[];
  /** Where those fields are (default: headers, as most of MESH's checked fields are). */
  location?: FieldLocation;
  diagnostics?: string;
}

/**
 * v1: `{messageID?, errorEvent, errorCode, errorDescription}`, but a validation 400 (no MESH code
 * of its own: `MeshErrorSpec.validation`) is the spec's HTTPValidationError `{detail: [{loc, msg,
 * type}]}`; MESH-coded 400s (08 TO_DTS missing, 06 MalformedControlFile, …) keep the v1 shape, as
 * the MESH sandbox raises them. v2: `{message_id?, internal_id,
 * detail: [{event, code, msg}]}` (v2 items may add `diagnostics`: free text the v1 shape has no room for). A 400 is also an HTTPValidationError in the spec, so its v2
 * detail items carry `loc` and `type` too.
 */
export function errorBody(version: ApiVersion, view: MeshErrorView): Record<string, unknown> {
  const description = view.spec.display;
  // As FastAPI (which the spec's HTTPValidationError comes from) writes it: ["query", "max_results"].
  // A place with no field in it is the whole of that place (["body"]); neither, the request as a whole.
  const loc = view.fields?.length ? [view.location ?? 'header', ...view.fields] : [view.location ?? 'request'];
  if (version === 1 && view.spec.validation) {
    // The spec's 400 "Validation Error" (its only 400 body, under v1's application/json).
    return { detail: [{ loc, msg: view.diagnostics ?? description, type: 'value_error' }] };
  }
  if (version === 1) {
    return {
      ...(view.messageId ? { messageID: view.messageId } : {}),
      errorEvent: view.spec.event,
      errorCode: view.spec.code,
      errorDescription: description,
    };
  }
  const item: Record<string, unknown> = { event: view.spec.event, code: view.spec.code, msg: description };
  if (view.diagnostics && view.diagnostics !== description) item.diagnostics = view.diagnostics;
  if (view.spec.status === 400) {
    item.loc = loc;
    item.type = 'value_error';
  }
  return {
    ...(view.messageId ? { message_id: view.messageId } : {}),
    internal_id: view.internalId,
    detail: [item],
  };
}
