import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAppId } from '../../src/services/record-locator/domain/permissions.js';

/** The application id a permission is held under (admin and sandbox paths, the CLI). */
describe('NRL permissions: the application id', () => {
  const allowed = fc.array(fc.constantFrom(...'abcXYZ019._:~-'), { minLength: 1, maxLength: 200 }).map((chars) => chars.join(''));

  it('accepts every id of 1 to 200 letters, digits or ._:~- as it is', () => {
    fc.assert(fc.property(allowed, (id) => assert.deepEqual(parseAppId(id), { ok: true, value: id })));
  });

  it('refuses anything else, naming the field, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary' }), allowed.map((id) => `${id}/`), fc.constant('a'.repeat(201))), (id) => {
      const parsed = parseAppId(id);
      const wellFormed = id.length >= 1 && id.length <= 200 && [...id].every((c) => /[A-Za-z0-9]/.test(c) || '._:~-'.includes(c));
      assert.equal(parsed.ok, wellFormed, id);
      if (!parsed.ok) assert.equal(parsed.field, 'appId');
    }));
  });
});
