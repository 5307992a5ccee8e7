import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { userToken } from '../support/identity.js';
import { call, outcomeOf, startPds, type PdsHarness } from './support/pds.js';

/**
 * PDS spec (RoleId, `NHSD-Session-URID`): optional, ignored in application-restricted access; a
 * healthcare worker who sends it must send a role of the logged-in user.
 */
describe('PDS NHSD-Session-URID', () => {
  let h: PdsHarness;
  let worker: { token: string; role: string };
  before(async () => {
    h = await startPds();
    const { token, principal } = await userToken(h.spine, { roleCode: 'R8000', roleProfileId: '555000000777' });
    worker = { token, role: principal.roleProfileId! };
  });
  after(async () => { await h?.close(); });

  it("a healthcare worker's own role is accepted, another is 403 ACCESS_DENIED, and application-restricted callers' headers are ignored", async () => {
    const read = (bearer: string, urid?: string) => call(h, 'Patient/9000000009', { bearer, headers: urid === undefined ? {} : { 'nhsd-session-urid': urid } });
    assert.equal((await read(worker.token)).status, 200, 'the header is optional');
    assert.equal((await read(worker.token, worker.role)).status, 200);
    for (const other of ['555000000101', 'not-digits']) {
      const refused = await read(worker.token, other);
      assert.equal(refused.status, 403, other);
      assert.deepEqual(
        { code: outcomeOf(refused.json).code, diagnostics: outcomeOf(refused.json).diagnostics },
        { code: 'ACCESS_DENIED', diagnostics: `Access denied: NHSD-Session-URID '${other}' is not a role of the logged-in user` });
    }
    assert.equal((await read(h.appBearer, '555000000101')).status, 200, 'ignored in application-restricted access');
  });
});
