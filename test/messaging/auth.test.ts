import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { fixedClock } from '../../src/platform/clock.js';
import { MB1, MB2, V2, meshAuthorization } from './support/mesh-client.js';

describe('MESH NHSMESH authorisation', () => {
  const clock = fixedClock(new Date('2026-03-01T12:00:00Z'));
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ clock, env: { MESH_SHARED_KEY: 'Banana' } }); });
  after(async () => { await spine.close(); });

  const inbox = (authorization: string | undefined, mailbox = MB1) =>
    fetch(`${spine.url}/messageexchange/${mailbox}/inbox`, { headers: { accept: V2, ...(authorization ? { authorization } : {}) } });

  async function assertForbidden(response: Response, description: string) {
    assert.equal(response.status, 403);
    const body = await response.json() as { detail: Array<{ msg: string }> };
    assert.equal(body.detail[0]!.msg, description);
  }

  it('a good token opens the mailbox; the shared key comes from MESH_SHARED_KEY', async () => {
    const response = await inbox(meshAuthorization(MB1, { at: clock.now(), sharedKey: 'Banana' }));
    assert.equal(response.status, 200);
    await assertForbidden(await inbox(meshAuthorization(MB1, { at: clock.now(), sharedKey: 'TestKey' })), 'Invalid Authentication Token');
  });

  it('a replayed token is refused, even a second later', async () => {
    const token = meshAuthorization(MB1, { at: clock.now(), sharedKey: 'Banana' });
    assert.equal((await inbox(token)).status, 200);
    await assertForbidden(await inbox(token), 'Error Duplicated Authentication Token');
  });

  it('the same nonce with a new nonce_count is a new token', async () => {
    const nonce = randomUUID();
    assert.equal((await inbox(meshAuthorization(MB1, { at: clock.now(), sharedKey: 'Banana', nonce, nonceCount: 1 }))).status, 200);
    assert.equal((await inbox(meshAuthorization(MB1, { at: clock.now(), sharedKey: 'Banana', nonce, nonceCount: 2 }))).status, 200);
  });

  it('a timestamp more than 2 hours from server time is refused either way; within is accepted', async () => {
    const hours = (h: number) => new Date(clock.now().getTime() + h * 3_600_000);
    await assertForbidden(await inbox(meshAuthorization(MB1, { at: hours(-2.1), sharedKey: 'Banana' })), 'Invalid Authentication Token');
    await assertForbidden(await inbox(meshAuthorization(MB1, { at: hours(2.1), sharedKey: 'Banana' })), 'Invalid Authentication Token');
    assert.equal((await inbox(meshAuthorization(MB1, { at: hours(-1.9), sharedKey: 'Banana' }))).status, 200);
    assert.equal((await inbox(meshAuthorization(MB1, { at: hours(1.9), sharedKey: 'Banana' }))).status, 200);
  });

  it('the mailbox in the token must be the mailbox in the path', async () => {
    await assertForbidden(await inbox(meshAuthorization(MB2, { at: clock.now(), sharedKey: 'Banana' }), MB1), 'Mailbox id does not match token');
  });

  it('a wrong password, an unknown mailbox, a missing or garbled header are all 403', async () => {
    await assertForbidden(await inbox(meshAuthorization(MB1, { at: clock.now(), sharedKey: 'Banana', password: 'wrong' })), 'Invalid Authentication Token');
    await assertForbidden(await inbox(meshAuthorization('X99NONE', { at: clock.now(), sharedKey: 'Banana' }), 'X99NONE'), 'Invalid Authentication Token');
    await assertForbidden(await inbox(undefined), 'Error reading from Authorization header');
    await assertForbidden(await inbox('NHSMESH not-a-token'), 'Error reading from Authorization header');
    await assertForbidden(await inbox('Bearer abc'), 'Error reading from Authorization header');
    const good = meshAuthorization(MB1, { at: clock.now(), sharedKey: 'Banana' });
    const tampered = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    await assertForbidden(await inbox(tampered), 'Invalid Authentication Token');
  });

  it('a refused token does not burn its nonce for the genuine one', async () => {
    const nonce = randomUUID();
    await assertForbidden(await inbox(meshAuthorization(MB1, { at: clock.now(), sharedKey: 'Banana', password: 'wrong', nonce })), 'Invalid Authentication Token');
    assert.equal((await inbox(meshAuthorization(MB1, { at: clock.now(), sharedKey: 'Banana', nonce }))).status, 200);
  });

  it('v1 callers get a v1-shaped 403', async () => {
    const response = await fetch(`${spine.url}/messageexchange/${MB1}/inbox`, { headers: { authorization: 'NHSMESH x' } });
    assert.equal(response.status, 403);
    assert.deepEqual(await response.json(), { errorEvent: 'AUTH', errorCode: '403', errorDescription: 'Error reading from Authorization header' });
  });
});
