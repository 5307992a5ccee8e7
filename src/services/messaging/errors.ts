import { defineErrors, type ErrorSpec } from '../../platform/http/errors.js';

/**
 * The MESH error catalogue. `code` is the DTS error code MESH puts in `errorCode` (v1) and
 * `detail[].code` (v2), `display` its `errorDescription`/`msg`, and `event` the processing step
 * (`errorEvent`). Codes and texts follow the spec's error-code table and the MESH sandbox.
 */
export interface MeshErrorSpec extends ErrorSpec {
  event: 'SEND' | 'TRANSFER' | 'COLLECT' | 'RECEIVE' | 'AUTH' | 'REQUEST';
  /**
   * A 400 with no MESH error code of its own: the spec's "Validation Error", an HTTPValidationError
   * `{detail: [{loc, msg, type}]}` (FastAPI's; the MESH sandbox answers its request validation so
   * for v1 and v2 alike), so v1 gets that shape too, not `{errorEvent, errorCode, errorDescription}`.
   */
  validation?: true;
}

const meshErrors = <const T extends Record<string, MeshErrorSpec>>(catalogue: T): T => defineErrors(catalogue);

export const MESH_ERRORS = meshErrors({
  // Authorisation: every failure is 403 (spec: "Any repeated use of a token results in a 403").
  AUTH_HEADER_UNREADABLE: { status: 403, event: 'AUTH', code: '403', display: 'Error reading from Authorization header', issueCode: 'forbidden' },
  AUTH_MAILBOX_MISMATCH: { status: 403, event: 'AUTH', code: '403', display: 'Mailbox id does not match token', issueCode: 'forbidden' },
  AUTH_INVALID_TOKEN: { status: 403, event: 'AUTH', code: '403', display: 'Invalid Authentication Token', issueCode: 'forbidden' },
  AUTH_DUPLICATED_TOKEN: { status: 403, event: 'AUTH', code: '403', display: 'Error Duplicated Authentication Token', issueCode: 'forbidden' },
  AUTH_INACTIVE_MAILBOX: { status: 403, event: 'AUTH', code: '403', display: 'Request Received from Inactive Mailbox', issueCode: 'forbidden' },
  AUTH_CLIENT_CERTIFICATE: { status: 403, event: 'AUTH', code: '403', display: 'A client certificate signed by a trusted CA is required', issueCode: 'forbidden' },

  // Send.
  MALFORMED_CONTROL_FILE: { status: 400, event: 'TRANSFER', code: '06', display: 'MalformedControlFile', issueCode: 'invalid' },
  HEADER_TOO_LONG: { status: 400, event: 'TRANSFER', code: '06', display: 'Malformed control file', issueCode: 'invalid' },
  INVALID_CHECKSUM: { status: 400, event: 'SEND', code: 'Invalid checksum', display: 'Invalid checksum', issueCode: 'invalid' },
  MISSING_TO: { status: 400, event: 'SEND', code: '08', display: 'TO_DTS missing', issueCode: 'required' },
  MISSING_WORKFLOW: { status: 400, event: 'SEND', code: '06', display: 'mex-WorkflowID missing', issueCode: 'required' },
  INVALID_FROM: { status: 400, event: 'SEND', code: '07', display: 'Invalid From Address in the control file', issueCode: 'invalid' },
  // The spec's send takes a body "optionally encoded with content-encoding": one that says gzip and
  // does not inflate is a bad request (its 400 Validation Error), naming the header.
  BODY_NOT_GZIP: { status: 400, event: 'SEND', code: '400', display: 'Body is not gzip-encoded as its Content-Encoding says', issueCode: 'invalid', validation: true },
  UNSUPPORTED_CONTENT_ENCODING: { status: 422, event: 'SEND', code: 'UnsupportedContentEncoding', display: 'Unsupported content encoding', issueCode: 'not-supported' },
  INVALID_HEADER_CHUNKS: { status: 417, event: 'SEND', code: 'InvalidHeaderChunks', display: 'Invalid chunk values sent in mex-Chunk-Range header', issueCode: 'invalid' },
  SENDER_NOT_ALLOWED: { status: 417, event: 'SEND', code: '16', display: 'Sender is not allowed to send messages of this type', issueCode: 'forbidden' },
  WORKFLOW_NOT_REGISTERED: { status: 417, event: 'SEND', code: '17', display: 'Workflow ID not registered for mailbox', issueCode: 'forbidden' },
  // Spec error-code table: "11 Invalid Message Type for the transfer, should be DATA" (sandbox wording).
  INVALID_MESSAGE_TYPE: { status: 417, event: 'SEND', code: '11', display: 'Invalid Message Type for the transfer', issueCode: 'invalid' },
  UNREGISTERED_RECIPIENT: { status: 417, event: 'SEND', code: '12', display: 'Unregistered to address', issueCode: 'not-found' },
  MISSING_DATA_FILE: { status: 417, event: 'COLLECT', code: '02', display: 'Data file is missing or inaccessible.', issueCode: 'required' },
  CONTENT_ENCODING_CHANGED: { status: 417, event: 'SEND', code: '06', display: 'cannot change content encoding', issueCode: 'invalid' },
  CHUNK_OUT_OF_RANGE: { status: 406, event: 'SEND', code: 'InvalidHeaderChunks', display: 'Chunk number is greater than the chunk total', issueCode: 'invalid' },
  MESSAGE_FINALISED: { status: 423, event: 'SEND', code: 'MessageFinalised', display: 'Message has been finalised; no more chunks can be uploaded', issueCode: 'conflict' },
  // Spec "Outbox workflow": "The upper limit of a single chunked message is 100GB". The spec gives
  // no error for going past it: the per-request limit's status and code, which say the same thing.
  MESSAGE_TOO_LARGE: { status: 413, event: 'SEND', code: 'MessageTooLarge', display: 'Message larger than MESH accepts in all its chunks', issueCode: 'too-long' },
  CHUNK_TOO_LARGE: { status: 413, event: 'SEND', code: 'MessageTooLarge', display: 'A single request may carry at most 100MB', issueCode: 'too-long' },
  // Ours (protocol/limits.ts MAX_INFLATED_CHUNK_BYTES): a gzip body stops being inflated, and is refused, past 1GB.
  CHUNK_INFLATES_TOO_LARGE: { status: 413, event: 'SEND', code: 'MessageTooLarge', display: 'A gzip chunk may inflate to at most 1GB', issueCode: 'too-long' },
  // The code follows the status, as for MESH's other 503s (mesh-plugin.ts, asMeshSpec).
  UPLOADS_BUSY: { status: 503, event: 'SEND', code: '503', display: 'Too many uploads in progress; retry later', issueCode: 'transient' },
  NOT_SENDER: { status: 403, event: 'SEND', code: '07', display: 'Invalid From Address, the mailbox does not match the authorization header', issueCode: 'forbidden' },

  // Receive.
  MESSAGE_DOES_NOT_EXIST: { status: 404, event: 'RECEIVE', code: '20', display: 'Message does not exist', issueCode: 'not-found' },
  MESSAGE_GONE: { status: 410, event: 'RECEIVE', code: '20', display: 'Message no longer available for download', issueCode: 'not-found' },
  NOT_RECIPIENT: { status: 403, event: 'RECEIVE', code: '403', display: 'Mailbox is not the recipient of this message', issueCode: 'forbidden' },
  // Tracking by local id (deprecated endpoint): "Multiple Choices, the `local_id` is not unique".
  LOCAL_ID_NOT_UNIQUE: { status: 300, event: 'REQUEST', code: '300', display: 'Multiple messages were sent with this local id; track them by message id', issueCode: 'multiple-matches' },
  CHUNK_DOES_NOT_EXIST: { status: 404, event: 'RECEIVE', code: '20', display: 'Chunk does not exist', issueCode: 'not-found' },

  // Requests in general.
  BAD_ACCEPT: { status: 400, event: 'REQUEST', code: '400', display: 'Accept header api format incorrect', issueCode: 'invalid' },
  INVALID_PARAMETER: { status: 400, event: 'REQUEST', code: '400', display: 'Invalid request parameter', issueCode: 'invalid', validation: true },
  MISSING_HEADER: { status: 400, event: 'REQUEST', code: '400', display: 'Required header missing', issueCode: 'required', validation: true },
  NOT_FOUND: { status: 404, event: 'REQUEST', code: '404', display: 'Not Found', issueCode: 'not-found' },
  MAILBOX_DOES_NOT_EXIST: { status: 404, event: 'REQUEST', code: '404', display: 'mailbox does not exist', issueCode: 'not-found' },
  METHOD_NOT_ALLOWED: { status: 405, event: 'REQUEST', code: '405', display: 'Method Not Allowed', issueCode: 'not-supported' },
  INTERNAL_ERROR: { status: 500, event: 'REQUEST', code: '500', display: 'An internal error occurred. Please contact support.', issueCode: 'exception' },
});

export function isMeshErrorSpec(spec: ErrorSpec): spec is MeshErrorSpec {
  return typeof (spec as Partial<MeshErrorSpec>).event === 'string';
}
