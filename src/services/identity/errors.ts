import { defineErrors, type ErrorSpec } from '../../platform/http/errors.js';

const invalidRequest = (status: 400 | 401, display: string): ErrorSpec =>
  ({ status, code: 'invalid_request', display, issueCode: status === 401 ? 'forbidden' : 'invalid' });

/**
 * POST /oauth2/token errors, worded exactly as NHS England's API platform words them (its
 * `NHSDigital/identity-service-api` tests). `code` is the OAuth2 `error`, `display` the
 * `error_description`. The wire shape is `{error, error_description}`, not an OperationOutcome.
 */
export const OAUTH_ERRORS = defineErrors({
  MISSING_GRANT_TYPE: invalidRequest(400, 'Missing grant_type'),
  // Diagnostics carry the full description: "Unsupported grant_type 'X'".
  UNSUPPORTED_GRANT_TYPE: invalidRequest(400, 'Unsupported grant_type'),
  // The missing closing quote is NHS England's own wording, kept so clients matching on it still match.
  INVALID_ASSERTION_TYPE: invalidRequest(400, "Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
  MISSING_ASSERTION: invalidRequest(400, 'Missing client_assertion'),
  MALFORMED_JWT: invalidRequest(400, 'Malformed JWT in client_assertion'),
  UNDECODABLE_JWT: invalidRequest(400, 'Failed to decode JWT'),
  MISSING_ALG: invalidRequest(400, "Missing 'alg' header in JWT"),
  INVALID_ALG: invalidRequest(400, "Invalid 'alg' header in JWT - unsupported JWT algorithm - must be 'RS512'"),
  MISSING_KID: invalidRequest(400, "Missing 'kid' header in JWT"),
  MISSING_ISS_SUB: invalidRequest(400, 'Missing or non-matching iss/sub claims in JWT'),
  MISSING_JTI: invalidRequest(400, 'Missing jti claim in JWT'),
  REUSED_JTI: invalidRequest(400, 'Non-unique jti claim in JWT'),
  MISSING_EXP: invalidRequest(400, 'Missing exp claim in JWT'),
  EXPIRED: invalidRequest(400, 'Invalid exp claim in JWT - JWT has expired'),
  EXP_TOO_FAR: invalidRequest(400, 'Invalid exp claim in JWT - more than 5 minutes in future'),
  // Not in NHS England's list (RFC 7523 §3 requires the check); worded as their exp errors are.
  INVALID_NBF: invalidRequest(400, 'Invalid nbf claim in JWT - JWT is not yet valid'),
  UNKNOWN_KID: invalidRequest(401, "Invalid 'kid' header in JWT - no matching public key"),
  UNKNOWN_ISS: invalidRequest(401, 'Invalid iss/sub claims in JWT'),
  INVALID_AUD: invalidRequest(401, 'Missing or invalid aud claim in JWT'),
  // NHS England answers a signature that does not verify with this generic error.
  BAD_SIGNATURE: { status: 401, code: 'unknown_error', display: 'An unknown error occurred processing this request. Contact us for assistance diagnosing this issue: https://digital.nhs.uk/developer/help-and-support', issueCode: 'forbidden' },

  // No OAuth2 error code covers throttling; this mirrors the platform's TOO_MANY_REQUESTS, with Retry-After.
  RATE_LIMITED: { status: 429, code: 'too_many_requests', display: 'Too many token requests', issueCode: 'throttled' },

  // Shed under overload, or the database is unreachable: RFC 6749's code for a server that cannot
  // handle the request for now (the NHS API platform's OAuth error schema lists it), with Retry-After.
  TEMPORARILY_UNAVAILABLE: { status: 503, code: 'temporarily_unavailable', display: 'The service is temporarily unavailable; retry later', issueCode: 'transient' },
  // Anything else that went wrong on the server.
  SERVER_ERROR: { status: 500, code: 'server_error', display: 'An unexpected error occurred', issueCode: 'exception' },

  // Token exchange (RFC 8693 §2.2.2: an invalid or unacceptable subject_token is `invalid_request`).
  INVALID_SUBJECT_TOKEN_TYPE: invalidRequest(400, "Missing or invalid subject_token_type - must be 'urn:ietf:params:oauth:token-type:id_token'"),
  MISSING_SUBJECT_TOKEN: invalidRequest(400, 'Missing subject_token'),
  INVALID_SUBJECT_TOKEN: invalidRequest(400, 'Invalid subject_token'),
  UNTRUSTED_ISSUER: invalidRequest(400, "Invalid 'iss' claim in subject_token - not a trusted identity provider"),
  // NHS England's words for an ID token without `aud`, and for one it will not accept (its
  // AssignMessage.InvalidSubjectToken): ours is one addressed to another application.
  MISSING_SUBJECT_TOKEN_AUD: invalidRequest(400, 'Missing aud claim in JWT'),
  SUBJECT_TOKEN_NOT_FOR_CLIENT: invalidRequest(400, 'subject_token is invalid'),
  MISSING_SUBJECT_TOKEN_JTI: invalidRequest(400, "Missing 'jti' claim in subject_token"),
  REUSED_SUBJECT_TOKEN: invalidRequest(400, 'Non-unique jti claim in subject_token - an ID token is exchanged once'),
  INVALID_SELECTED_ROLE: invalidRequest(400, 'Selected role is not one of the user\'s role profiles'),
  MISSING_SELECTED_ROLE: invalidRequest(400, "No role selected: send the NHSD-Session-URID header or a 'selected_roleid' claim"),
});
export type OAuthErrorKey = keyof typeof OAUTH_ERRORS;

/** Admin API errors (FHIR OperationOutcome, like the rest of the Spine). */
export const IDENTITY_ERRORS = defineErrors({
  INVALID_VALUE: { status: 400, code: 'INVALID_VALUE', display: 'Provided value is invalid', issueCode: 'value' },
  DUPLICATE: { status: 409, code: 'DUPLICATE_RESOURCE', display: 'Resource already exists', issueCode: 'duplicate' },
  DEMO_ISSUER_DISABLED: { status: 404, code: 'RESOURCE_NOT_FOUND', display: 'Resource not found', issueCode: 'not-found', severity: 'information' },
  UNKNOWN_APPLICATION: { status: 404, code: 'RESOURCE_NOT_FOUND', display: 'Resource not found', issueCode: 'not-found', severity: 'information' },
  UNKNOWN_USER: { status: 404, code: 'RESOURCE_NOT_FOUND', display: 'Resource not found', issueCode: 'not-found', severity: 'information' },
});
