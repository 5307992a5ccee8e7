import type { OverloadAnswer } from '../../platform/http/shed-answers.js';

/**
 * The token endpoint's shed answer in OAuth2's error shape (RFC 6749 §5.2), with its no-store
 * headers. `temporarily_unavailable` is OAuth2's own word for an overloaded server (§4.1.2.1).
 */
export const OAUTH_OVERLOAD_ANSWER: OverloadAnswer = {
  prefix: '/oauth2/',
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify({ error: 'temporarily_unavailable', error_description: 'The service is overloaded; retry after 1 s' }),
  headers: { pragma: 'no-cache' },
};
