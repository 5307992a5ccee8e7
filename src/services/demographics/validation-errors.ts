import type { FastifyReply, FastifyRequest } from 'fastify';
import { classifyError, fhirValidationError, sendOperationOutcome, type ClassifiedError } from '../../platform/http/error-mapper.js';
import { displayValue, type ValidationFailure } from '../../platform/http/validation-failure.js';
import type { ErrorSpec } from '../../platform/http/errors.js';
import { PDS_ERRORS, diagnostics } from './errors.js';

/**
 * A request refused at the door, in PDS's codes: If-Match is 412 PRECONDITION_FAILED, a bad NHS
 * number in the path 400 INVALID_RESOURCE_ID (none at all UNSUPPORTED_SERVICE), a missing X-Request-ID its own sentence, an
 * unknown field ADDITIONAL_PROPERTIES, too few or too many list items TOO_FEW/TOO_MANY_VALUES_SUBMITTED,
 * a PATCH body that is not a list of patches INVALID_UPDATE; the rest MISSING_VALUE / INVALID_VALUE.
 */
export function pdsValidationError(failure: ValidationFailure, request: FastifyRequest): ClassifiedError {
  const shown = displayValue(failure.value);
  if (failure.part === 'headers') {
    if (failure.path === 'If-Match') {
      return { spec: PDS_ERRORS.PRECONDITION_FAILED, failure, diagnostics: failure.kind === 'missing' ? diagnostics.missingIfMatch : diagnostics.invalidHeader(shown, 'If-Match') };
    }
    if (failure.path === 'X-Request-ID' && failure.kind === 'missing') return { spec: PDS_ERRORS.MISSING_VALUE, failure, diagnostics: diagnostics.missingRequestId };
    if (failure.kind === 'missing') return { spec: PDS_ERRORS.MISSING_VALUE, failure, diagnostics: diagnostics.missingValue(failure.path) };
    return { spec: PDS_ERRORS.INVALID_VALUE, failure, diagnostics: diagnostics.invalidHeader(shown, failure.path) };
  }
  // PDS spec error tables (read, update): no NHS number at all is UNSUPPORTED_SERVICE, a bad one INVALID_RESOURCE_ID.
  if (failure.part === 'params' && failure.path === 'id') return { spec: failure.value === '' ? PDS_ERRORS.UNSUPPORTED_SERVICE : PDS_ERRORS.INVALID_RESOURCE_ID, failure };
  if (failure.part === 'body' && request.method === 'PATCH') return patchBodyError(failure);
  if (failure.part === 'body') return { ...patientValueError(failure), failure };
  return fhirValidationError(failure);
}

/**
 * A patient's field that does not conform to Patient.yaml, whether sent in a new record or made by
 * a PATCH (PDS spec error tables: "invalid value in body of post/patch request" INVALID_VALUE;
 * ADDITIONAL_PROPERTIES; TOO_FEW/TOO_MANY_VALUES_SUBMITTED; MISSING_VALUE).
 */
export function patientValueError(failure: ValidationFailure): { spec: ErrorSpec; diagnostics: string } {
  const shown = displayValue(failure.value);
  switch (failure.kind) {
    case 'missing': return { spec: PDS_ERRORS.MISSING_VALUE, diagnostics: diagnostics.missingValue(failure.path) };
    case 'unexpected': return { spec: PDS_ERRORS.ADDITIONAL_PROPERTIES, diagnostics: diagnostics.additionalProperty(failure.path) };
    default:
      if (failure.keyword === 'minItems') return { spec: PDS_ERRORS.TOO_FEW_VALUES_SUBMITTED, diagnostics: diagnostics.invalidValue(shown, failure.path) };
      if (failure.keyword === 'maxItems') return { spec: PDS_ERRORS.TOO_MANY_VALUES_SUBMITTED, diagnostics: diagnostics.invalidValue(shown, failure.path) };
      return { spec: PDS_ERRORS.INVALID_VALUE, diagnostics: diagnostics.invalidValue(shown, failure.path) };
  }
}

/** PDS answers any malformed PATCH body with INVALID_UPDATE ("No patches found" when there are none). */
function patchBodyError(failure: ValidationFailure): ClassifiedError {
  const noPatches = failure.path === '' || failure.path === 'patches';
  if (noPatches) return { spec: PDS_ERRORS.INVALID_UPDATE, failure, diagnostics: diagnostics.noPatches };
  const reason = failure.kind === 'missing' ? diagnostics.missingValue(failure.path)
    : failure.kind === 'unexpected' ? `Additional properties are not allowed ('${failure.path}' was unexpected)`
      : diagnostics.invalidValue(displayValue(failure.value), failure.path);
  return { spec: PDS_ERRORS.INVALID_UPDATE, failure, diagnostics: `Invalid update with error - ${reason}` };
}

/** The PDS error handler: the door's refusals in PDS's words, everything else as every FHIR API. */
export function pdsErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const classified = classifyError(err, request);
  return sendOperationOutcome(reply, classified.failure ? pdsValidationError(classified.failure, request) : classified);
}
