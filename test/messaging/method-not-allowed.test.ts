import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { knownPaths } from '../../src/services/messaging/routes/known-paths.js';
import { MB1, MB2, V2, mesh, meshAuthorization, sendMessage } from './support/mesh-client.js';

describe('MESH: a method a known path does not take is 405 with Allow (as the MESH sandbox answers), an unknown path 404', () => {
  let spine: TestSpine;
  let id: string;
  before(async () => {
    spine = await startTestSpine();
    id = await sendMessage(spine.url, MB1, MB2, 'allow me');
  });
  after(async () => { await spine.close(); });

  it('each MESH path asked with a method it does not take: 405, Allow naming what it takes, MESH\'s v1 and v2 error shapes', async () => {
    const cases: Array<[string, string, string]> = [
      ['DELETE', `/${MB2}/inbox`, 'GET, HEAD'],
      ['POST', `/${MB2}/inbox`, 'GET, HEAD'],
      ['GET', `/${MB1}/outbox`, 'POST'],
      ['PUT', `/${MB2}/inbox/${id}`, 'GET, HEAD'],
      ['GET', `/${MB2}/inbox/${id}/status/acknowledged`, 'PUT'],
      ['PATCH', `/${MB1}/outbox/tracking`, 'GET, HEAD'],
      ['DELETE', `/${MB2}`, 'GET, HEAD, POST'],
      ['POST', '/endpointlookup/X26/TEST_WORKFLOW', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const v2 = await mesh(spine.url, path, { method, version: 2 });
      assert.equal(v2.status, 405, `${method} ${path}`);
      assert.equal(v2.headers.get('allow'), allow, `${method} ${path}`);
      const body = await v2.json() as { internal_id: string; detail: Array<{ event: string; code: string; msg: string }> };
      assert.equal(typeof body.internal_id, 'string');
      assert.deepEqual(body.detail.map(({ event, code, msg }) => ({ event, code, msg })), [{ event: 'REQUEST', code: '405', msg: 'Method Not Allowed' }], `${method} ${path}`);
      const v1 = await mesh(spine.url, path, { method, version: 1 });
      assert.equal(v1.status, 405);
      assert.deepEqual(await v1.json(), { errorEvent: 'REQUEST', errorCode: '405', errorDescription: 'Method Not Allowed' });
    }
  });

  it('a path MESH does not serve, with any method, is still 404', async () => {
    for (const [method, path] of [['GET', `/${MB2}/nothing`], ['DELETE', `/${MB2}/inbox/${id}/1/extra`], ['PUT', '/a/b/c/d/e/f']]) {
      const response = await mesh(spine.url, path!, { method, version: 2, as: false });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal(response.headers.get('allow'), null);
    }
  });

  it('a 405 authenticates nothing and spends no token: the same header then lists the inbox', async () => {
    const authorization = meshAuthorization(MB2);
    const refused = await fetch(`${spine.url}/messageexchange/${MB2}/inbox`, { method: 'DELETE', headers: { authorization, accept: V2 } });
    assert.equal(refused.status, 405);
    const listed = await fetch(`${spine.url}/messageexchange/${MB2}/inbox`, { headers: { authorization, accept: V2 } });
    assert.equal(listed.status, 200);
    assert.ok(((await listed.json()) as { messages: string[] }).messages.includes(id));
  });
});

describe('knownPaths (property)', () => {
  const segment = fc.stringMatching(/^[A-Za-z0-9_%.~-]{1,12}$/);
  it('a path matches a pattern exactly when it has as many segments and agrees on every literal one', () => {
    fc.assert(fc.property(fc.array(fc.oneof(segment, segment.map((s) => `:${s}`)), { minLength: 1, maxLength: 5 }), fc.array(segment, { minLength: 1, maxLength: 6 }), (pattern, path) => {
      const known = knownPaths();
      known.add(['GET', 'post'], `/${pattern.join('/')}`);
      const expected = pattern.length === path.length && pattern.every((p, i) => p.startsWith(':') || p === path[i]);
      assert.deepEqual(known.methodsAt(`/${path.join('/')}`), expected ? ['GET', 'POST'] : []);
      // Filling each parameter with any segment always matches.
      const filled = pattern.map((p, i) => (p.startsWith(':') ? path[i % path.length]! : p));
      assert.deepEqual(known.methodsAt(`/${filled.join('/')}`), ['GET', 'POST']);
      assert.deepEqual(known.methodsAt(`/${[...filled, ''].join('/')}`), pattern.length === 0 ? ['GET', 'POST'] : []);
    }));
  });
});
