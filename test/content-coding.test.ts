import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { userToken } from './support/identity.js';
import { freshOrder, workerHeaders } from './prescriptions/support.js';

/**
 * JSON bodies are read as sent. A compressed one (Content-Encoding gzip, deflate, br) was refused
 * as JSON that is not JSON (400), and a plain one labelled compressed was taken; either is the
 * client's mistake about the coding, which RFC 9110 answers 415. MESH, which carries compressed
 * messages as they are, reads its bodies as bytes and is not concerned.
 */
describe('a JSON body in a content coding the APIs do not decode', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine?.close(); });

  const unsupported = (status: number, body: any, coding: string) => {
    assert.equal(status, 415, JSON.stringify(body));
    assert.equal(body.issue[0].code, 'not-supported');
    assert.equal(body.issue[0].details.coding[0].code, 'UNSUPPORTED_MEDIA_TYPE');
    assert.equal(body.issue[0].diagnostics, `Unsupported Content-Encoding '${coding}': a body is read as sent`);
  };

  it('EPS: a gzipped order, and a plain one labelled deflate, are 415 in EPS\'s shape; identity is taken', async () => {
    const gp = await workerHeaders(spine, 'A83008', 'R8000');
    const text = JSON.stringify(freshOrder());
    const send = (coding: string | undefined, body: Uint8Array | string) => fetch(`${spine.url}/fhir-prescribing/FHIR/R4/$prepare`, {
      method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { ...gp, 'x-request-id': randomUUID(), 'content-type': 'application/fhir+json', ...(coding ? { 'content-encoding': coding } : {}) },
    });
    for (const [coding, body] of [['gzip', gzipSync(text)], ['deflate', text]] as const) {
      const answer = await send(coding, body);
      unsupported(answer.status, await answer.json(), coding);
    }
    assert.equal((await send('identity', text)).status, 200);
  });

  it('PDS: a gzipped PATCH is 415 in PDS\'s shape and changes nothing', async () => {
    const { token } = await userToken(spine, { roleCode: 'R8000' });
    const read = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID() } });
    const etag = read.headers.get('etag')!;
    const answer = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, {
      method: 'PATCH', body: new Uint8Array(gzipSync(JSON.stringify({ patches: [{ op: 'replace', path: '/gender', value: 'male' }] }))),
      headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID(), 'if-match': etag, 'content-type': 'application/json-patch+json', 'content-encoding': 'gzip' },
    });
    unsupported(answer.status, await answer.json(), 'gzip');
    const after = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID() } });
    assert.equal(after.headers.get('etag'), etag);
  });
});
