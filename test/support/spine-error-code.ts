import assert from 'node:assert/strict';
import { SpineError } from '../../src/platform/http/errors.js';

/** 'ok', or the code of the SpineError a check refused with (anything else thrown fails the test): for property tests of validators. */
export function spineErrorCodeOf(check: () => unknown): string {
  try {
    check();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof SpineError, `not a SpineError: ${String(err)}`);
    return err.spec.code;
  }
}
