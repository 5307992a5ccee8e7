import { SpineError, type ErrorSpec } from '../../../platform/http/errors.js';
import { EPS_ERRORS } from '../errors.js';

/**
 * A return's refusal in its own table's terms (fhir-dispensing.yaml `/FHIR/R4/Task#return` "4XX": INVALID_STATE_TRANSITION,
 * PRESCRIPTION_NOT_FOUND, INVALID_MESSAGE, UNABLE_TO_PROCESS_MESSAGE, MAX_REPEAT_MISMATCH), where the general
 * "Dispensing Errors" table, which lists `/Task` for returns and withdrawals alike, gives the same refusal
 * another code or words: the operation's own table is the more particular. What the return table has no row for
 * is answered as the general tables say (their verification errors for `/Task`, PRESCRIPTION_WITH_ANOTHER_DISPENSER,
 * FORBIDDEN, a reused X-Request-ID, 503s).
 */
export function inReturnTable(err: SpineError): SpineError {
  const { spec } = err;
  const as = (to: ErrorSpec, diagnostics = err.diagnostics) => new SpineError(to, diagnostics, err.options);
  if (spec === EPS_ERRORS.PRESCRIPTION_NOT_FOUND) return as(EPS_ERRORS.RETURN_PRESCRIPTION_NOT_FOUND);
  if (spec === EPS_ERRORS.PRESCRIPTION_INVALID_STATE_TRANSITION) return as(EPS_ERRORS.INVALID_STATE_TRANSITION);
  // FAILURE_TO_PROCESS_MESSAGE carries its reason in its display (errors.ts failureToProcess): the table's display is
  // its own, word for word, so the reason goes to the diagnostics.
  if (spec.code === EPS_ERRORS.FAILURE_TO_PROCESS_MESSAGE.code) {
    const base = `${EPS_ERRORS.FAILURE_TO_PROCESS_MESSAGE.display} - `;
    return as(EPS_ERRORS.UNABLE_TO_PROCESS_MESSAGE, err.diagnostics ?? (spec.display.startsWith(base) ? spec.display.slice(base.length) : undefined));
  }
  // A value of the Task missing or invalid ("Information missing or invalid."); not the X-Request-ID header's.
  const ofTheTask = err.options.expression?.some((e) => e.startsWith('Task.')) === true;
  if (ofTheTask && (spec === EPS_ERRORS.MISSING_VALUE || spec === EPS_ERRORS.INVALID_VALUE || spec === EPS_ERRORS.INVALID_VALUE_INVALID)) {
    return as(EPS_ERRORS.UNABLE_TO_PROCESS_MESSAGE);
  }
  return err;
}
