import { defineErrors, SpineError, type ErrorSpec } from '../../platform/http/errors.js';

/**
 * The EPS FHIR API's error codes (fhir-prescribing.yaml and fhir-dispensing.yaml "Errors", and
 * examples/**\/errors): Spine codes in `https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode`
 * (the spec's examples write it without `/R4`), EPS business codes in `EPS-IssueCode`, and the
 * cancellation refusals in `medicationrequest-status-history`.
 */
export const SPINE_CODES = 'https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode';
export const SPINE_CODES_R4 = 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode';
export const EPS_ISSUE_CODES = 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode';
export const STATUS_HISTORY_CODES = 'https://fhir.nhs.uk/CodeSystem/medicationrequest-status-history';

const spine = (status: number, code: string, display: string, issueCode: string): ErrorSpec => ({ status, code, display, issueCode, system: SPINE_CODES });
const eps = (status: number, code: string, display: string, issueCode: string): ErrorSpec => ({ status, code, display, issueCode, system: EPS_ISSUE_CODES });

export const EPS_ERRORS = defineErrors({
  /*
   * Displays: an example's where the spec has one (examples/**), else the spec's table of the operation
   * answering it, else its general "Errors" tables, word for word, full stop included
   * (test/prescriptions/error-displays.test.ts pins each against the spec's own text).
   */
  // Prescribing ($process-message prescription-order): its table ("4XX"), all 400.
  DUPLICATE_PRESCRIPTION_ID: spine(400, 'DUPLICATE_PRESCRIPTION_ID', 'Duplicate prescription ID exists.', 'duplicate'),
  FAILURE_TO_PROCESS_MESSAGE: spine(400, 'FAILURE_TO_PROCESS_MESSAGE', 'Unable to process message. Information missing or invalid', 'processing'),
  MISSING_DIGITAL_SIGNATURE: spine(400, 'MISSING_DIGITAL_SIGNATURE', 'Digital signature not found.', 'invalid'),
  INVALID_DIGITAL_SIGNATURE: spine(400, 'FAILURE_TO_PROCESS_MESSAGE', 'Unable to process message. Information missing or invalid - digital signature is invalid', 'processing'),
  /** examples/spec/errors/example-a-validation-error-missing-field (R4 system, as the example writes it). */
  MISSING_FIELD: { status: 400, code: 'MISSING_FIELD', display: "ResourceType Bundle must contain 'entry' field", issueCode: 'value', system: SPINE_CODES_R4 },
  /** examples/errors/2-*-400_Invalid_Course_of_Therapy_mixed. */
  COURSE_OF_THERAPY_MIXED: {
    status: 400, code: 'INVALID_VALUE', issueCode: 'invalid', severity: 'fatal', system: SPINE_CODES_R4,
    display: "Course of therapy type must either match for all MedicationRequests or be a mixture of 'acute' and 'continuous'.",
  },
  MISSING_VALUE: spine(400, 'MISSING_VALUE', 'Required value is missing', 'value'),
  /**
   * The prescription-order table's one MISSING_VALUE row, in its words: several dosage instructions without
   * their sequence numbers (MISSING_VALUE's other uses, the door's, have Spine's generic words).
   */
  MISSING_DOSAGE_SEQUENCE: spine(400, 'MISSING_VALUE', 'The request contains multiple dosage instruction lines but no corresponding dosage sequence number.', 'value'),
  /** examples/errors/3-…-Dispense-400_Invalid_Value: INVALID_VALUE as an `invalid` issue, its coding without a display. */
  INVALID_VALUE_INVALID: { status: 400, code: 'INVALID_VALUE', display: '', issueCode: 'invalid', system: SPINE_CODES },
  INVALID_VALUE: spine(400, 'INVALID_VALUE', 'Provided value is invalid', 'value'),
  /** Verification errors: no details coding, the diagnostics say it all (examples/errors/4-…invalid_intent). */
  VERIFICATION: { status: 400, code: '', display: '', issueCode: 'value' },
  /** Tracking's search parameters (examples/spec/errors/task/query-error.json): `invalid`, no details coding. */
  QUERY_INVALID: { status: 400, code: '', display: '', issueCode: 'invalid' },
  // Dispensing: spec "Dispensing Errors".
  RESOURCE_NOT_FOUND: spine(400, 'RESOURCE_NOT_FOUND', 'Resource not found', 'not-found'),
  PRESCRIPTION_NOT_FOUND: eps(400, 'PRESCRIPTION_NOT_FOUND', 'The requested prescription could not be found.', 'not-found'),
  ITEM_NOT_FOUND: eps(400, 'ITEM_NOT_FOUND', 'The requested item could not be found.', 'not-found'),
  PRESCRIPTION_WITH_ANOTHER_DISPENSER: eps(400, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER', 'Prescription is with another dispenser', 'business-rule'),
  PRESCRIPTION_INVALID_STATE_TRANSITION: eps(400, 'PRESCRIPTION_INVALID_STATE_TRANSITION', 'The requested operation is not valid for the current state of the prescription.', 'business-rule'),
  /** A claim line's item status (the spec's table: `/Task/$release`, `/Claim`; its description as the prescription's). */
  PRESCRIPTION_INVALID_LINE_STATE_TRANSITION: eps(400, 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION', 'The requested operation is not valid for the current state of the prescription.', 'business-rule'),
  INVALID_MESSAGE: eps(400, 'INVALID_MESSAGE', 'The message is not valid.', 'structure'),
  MISMATCH_AUTHORISED_REPEAT_COUNTS: eps(400, 'MISMATCH_AUTHORISED_REPEAT_COUNTS', 'The repeat count in this message does not match the repeat count in the original prescription.', 'business-rule'),
  /*
   * The return's own table (fhir-dispensing.yaml and the combined spec, `/FHIR/R4/Task#return` "4XX", all
   * 400): a return (a Task `rejected`) is answered in its codes and words where the general tables give the
   * same refusal another (handlers/return-errors.ts); a withdrawal (`/FHIR/R4/Task#withdraw`, "Invalid
   * request.", no table) in the general tables'. The table gives no system or issue code: EPS-IssueCode,
   * and the issue code of the general tables' same refusal (PRESCRIPTION_INVALID_STATE_TRANSITION,
   * PRESCRIPTION_NOT_FOUND, INVALID_MESSAGE, FAILURE_TO_PROCESS_MESSAGE, MISMATCH_AUTHORISED_REPEAT_COUNTS).
   */
  INVALID_STATE_TRANSITION: eps(400, 'INVALID_STATE_TRANSITION', 'Invalid State Transition for Prescription.', 'business-rule'),
  RETURN_PRESCRIPTION_NOT_FOUND: eps(400, 'PRESCRIPTION_NOT_FOUND', 'Prescription not found.', 'not-found'),
  /** A return the door refuses: not of Return.yaml's types (routes/scope.ts). */
  RETURN_INVALID_MESSAGE: eps(400, 'INVALID_MESSAGE', 'Invalid Message.', 'structure'),
  /** A return's value missing or invalid (the readers' MISSING_VALUE and INVALID_VALUE), or another patient's. */
  UNABLE_TO_PROCESS_MESSAGE: eps(400, 'UNABLE_TO_PROCESS_MESSAGE', 'Unable to process message. Information missing or invalid.', 'processing'),
  /** A return's repeat counts not the prescription's (a withdrawal's are MISMATCH_AUTHORISED_REPEAT_COUNTS). */
  MAX_REPEAT_MISMATCH: eps(400, 'MAX_REPEAT_MISMATCH', 'Mismatch in authorised repeat counts.', 'business-rule'),
  DISPENSE_AMEND_IDENTIFIER_MISMATCH: eps(400, 'DISPENSE_AMEND_IDENTIFIER_MISMATCH', 'Replacement target does not match existing claim reference on record.', 'business-rule'),
  /**
   * The same code for a dispense notification amendment or a withdrawal not naming the last
   * notification: the spec lists the code for `/Claim` only, with the claim's wording; NHS England's
   * implementation answers Spine's error 0021 with it and this display
   * (electronic-prescription-service-api, coordinator spine-response-handler.ts).
   */
  NOT_LAST_DISPENSE: eps(400, 'DISPENSE_AMEND_IDENTIFIER_MISMATCH', 'Dispense Amendment/Cancellation Request does not pertain to Last Dispense', 'business-rule'),
  CLAIM_AMEND_PERIOD_ISSUE: eps(400, 'CLAIM_AMEND_PERIOD_ISSUE', 'Claim amendment is not permitted outside of the claim period.', 'business-rule'),
  /**
   * Spec "Nominated Release Errors": a nominated release with nothing left for the pharmacy. An
   * `informational` issue, answered 200 as EPS answers an outcome of informational issues only.
   */
  NO_MORE_PRESCRIPTIONS: {
    status: 200, code: 'NO_MORE_PRESCRIPTIONS', display: 'No more prescriptions available for nominated download.', issueCode: 'informational', severity: 'information', system: EPS_ISSUE_CODES,
  },
  // Cancellation refusals answered as an OperationOutcome (spec: R-0008, R-5000).
  'R-0008': { status: 400, code: 'R-0008', display: 'Prescription/item not found', issueCode: 'not-found', system: STATUS_HISTORY_CODES },
  'R-5000': { status: 400, code: 'R-5000', display: 'Unable to process message. Information missing or invalid', issueCode: 'processing', system: STATUS_HISTORY_CODES },
  // Platform-wide (both specs' "Platform wide errors", which give EPS's words; PDS's 401 says "Access Denied - Unauthorised").
  ACCESS_DENIED: spine(401, 'ACCESS_DENIED', 'User does not have permission for a particular request.', 'forbidden'),
  FORBIDDEN: spine(403, 'FORBIDDEN', 'Insufficient authorization.', 'forbidden'),
  NOT_FOUND: spine(404, 'NOT_FOUND', 'Route not found.', 'not-found'),
});

/** An EPS error with its diagnostics and the FHIRPath of what was wrong. */
export const epsError = (spec: ErrorSpec, diagnostics?: string, expression?: string) =>
  new SpineError(spec, diagnostics, expression === undefined ? {} : { expression: [expression] });

/** FAILURE_TO_PROCESS_MESSAGE with its reason in the display, as examples/errors/1-…INVALID_CHECKSUM writes it. */
export const failureToProcess = (detail: string) =>
  new SpineError({ ...EPS_ERRORS.FAILURE_TO_PROCESS_MESSAGE, display: `${EPS_ERRORS.FAILURE_TO_PROCESS_MESSAGE.display} - ${detail}` });
