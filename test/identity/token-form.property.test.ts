import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpineError } from '../../src/platform/http/errors.js';
import { CLIENT_ASSERTION_TYPE, CLIENT_CREDENTIALS, ID_TOKEN_TYPE, TOKEN_EXCHANGE, checkForm } from '../../src/services/identity/grant.js';
import { OAUTH_ERRORS } from '../../src/services/identity/errors.js';

/**
 * POST /oauth2/token's form, checked before any key or database work: NHS England's refusal of the
 * first parameter missing or wrong, in the platform's order (grant_type, client_assertion_type,
 * client_assertion, then a token exchange's subject_token_type and subject_token).
 */
const field = (valid: string) => fc.oneof(
  { arbitrary: fc.constant(valid), weight: 4 },
  { arbitrary: fc.constantFrom(undefined, '', [valid], 1, null), weight: 1 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
);
const form = fc.record({
  grant_type: fc.oneof(field(CLIENT_CREDENTIALS), field(TOKEN_EXCHANGE)),
  client_assertion_type: field(CLIENT_ASSERTION_TYPE),
  client_assertion: field('eyJhbGciOiJSUzUxMiJ9.e30.c2ln'),
  subject_token_type: field(ID_TOKEN_TYPE),
  subject_token: field('eyJhbGciOiJSUzI1NiJ9.e30.c2ln'),
}, { requiredKeys: [] });

const given = (value: unknown) => typeof value === 'string' && value.length > 0;

/** The refusal the form must get, worked out from the rules as NHS England states them. */
function expected(f: Record<string, unknown>): keyof typeof OAUTH_ERRORS | undefined {
  if (!given(f.grant_type)) return 'MISSING_GRANT_TYPE';
  if (f.grant_type !== CLIENT_CREDENTIALS && f.grant_type !== TOKEN_EXCHANGE) return 'UNSUPPORTED_GRANT_TYPE';
  if (f.client_assertion_type !== CLIENT_ASSERTION_TYPE) return 'INVALID_ASSERTION_TYPE';
  if (!given(f.client_assertion)) return 'MISSING_ASSERTION';
  if (f.grant_type === TOKEN_EXCHANGE && f.subject_token_type !== ID_TOKEN_TYPE) return 'INVALID_SUBJECT_TOKEN_TYPE';
  if (f.grant_type === TOKEN_EXCHANGE && !given(f.subject_token)) return 'MISSING_SUBJECT_TOKEN';
  return undefined;
}

describe('identity: the token request\'s form', () => {
  it('any form is taken or refused with the first rule it breaks, as an OAuth2 error; never another throw', () => {
    fc.assert(fc.property(fc.oneof(form, fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 1 }))), (f) => {
      const rule = expected(f);
      let taken;
      try {
        taken = checkForm(f);
      } catch (err) {
        assert.ok(err instanceof SpineError, String(err));
        assert.equal(err.spec, OAUTH_ERRORS[rule!], `${rule}: ${err.message}`);
        if (rule === 'UNSUPPORTED_GRANT_TYPE') assert.ok(err.message.startsWith("Unsupported grant_type '"), err.message);
        return;
      }
      assert.equal(rule, undefined, JSON.stringify(f));
      assert.deepEqual(taken, { grantType: f.grant_type, assertion: f.client_assertion });
    }));
  });
});
