import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, V2, mesh } from './support/mesh-client.js';
import { assertMatchesSpec } from './support/spec-schemas.js';

const SEND = '/messageexchange/{mailbox_id}/outbox';

describe('MESH send errors', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const send = (headers: Record<string, string>, body: string | undefined = 'data', version: 1 | 2 = 2) =>
    mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version, body, headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', ...headers } });

  async function inboxCount() {
    const body = await (await mesh(spine.url, `/${MB2}/inbox`, { version: 2 })).json() as { messages: string[] };
    return body.messages.length;
  }

  it('an unknown recipient is 417 with DTS code 12, in v1 and v2 shapes from the spec', async () => {
    const v2 = await send({ 'mex-to': 'X99NOBODY' });
    assert.equal(v2.status, 417);
    const v2Body = await v2.json() as { internal_id: string; detail: unknown[] };
    assertMatchesSpec(SEND, 'post', 417, V2, v2Body);
    assert.deepEqual(v2Body.detail, [{ event: 'SEND', code: '12', msg: 'Unregistered to address' }]);
    assert.ok(v2Body.internal_id);
    const v1 = await send({ 'mex-to': 'X99NOBODY' }, 'data', 1);
    const v1Body = await v1.json();
    assertMatchesSpec(SEND, 'post', 417, 'application/json', v1Body);
    assert.deepEqual(v1Body, { errorEvent: 'SEND', errorCode: '12', errorDescription: 'Unregistered to address' });
  });

  it('a mex-MessageType other than DATA is 417 DTS 11 and stores nothing; DATA, as older clients send it, is accepted', async () => {
    const before = await inboxCount();
    for (const messageType of ['REPORT', 'report', 'Other']) {
      const v2 = await send({ 'mex-messagetype': messageType });
      assert.equal(v2.status, 417, messageType);
      const v2Body = await v2.json() as { detail: unknown[] };
      assertMatchesSpec(SEND, 'post', 417, V2, v2Body);
      assert.deepEqual(v2Body.detail, [{ event: 'SEND', code: '11', msg: 'Invalid Message Type for the transfer', diagnostics: 'mex-MessageType must be DATA: only MESH itself sends REPORTs' }]);
    }
    const v1 = await send({ 'mex-messagetype': 'REPORT' }, 'data', 1);
    assert.deepEqual(await v1.json(), { errorEvent: 'SEND', errorCode: '11', errorDescription: 'Invalid Message Type for the transfer' });
    assert.equal(await inboxCount(), before);

    const data = await send({ 'mex-messagetype': 'Data' });
    assert.equal(data.status, 202);
    const { message_id: id } = await data.json() as { message_id: string };
    const download = await mesh(spine.url, `/${MB2}/inbox/${id}`, { version: 2 });
    assert.equal(download.headers.get('mex-messagetype'), 'DATA');
  });

  it('an empty body is 417 MissingDataFile and stores nothing', async () => {
    const before = await inboxCount();
    const response = await send({}, '', 1);
    assert.equal(response.status, 417);
    assert.deepEqual(await response.json(), { errorEvent: 'COLLECT', errorCode: '02', errorDescription: 'Data file is missing or inaccessible.' });
    assert.equal(await inboxCount(), before);
  });

  it('a missing mex-To is 400 TO_DTS missing (code 08)', async () => {
    const response = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 1, body: 'x', headers: { 'mex-workflowid': 'TEST_WORKFLOW' } });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { errorEvent: 'SEND', errorCode: '08', errorDescription: 'TO_DTS missing' });
  });

  it('a missing mex-WorkflowID is 400', async () => {
    const response = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 2, body: 'x', headers: { 'mex-to': MB2 } });
    assert.equal(response.status, 400);
    assertMatchesSpec(SEND, 'post', 400, 'application/json', await response.json());
  });

  it('control characters or URLs in control headers are 400 MalformedControlFile (TRANSFER 06)', async () => {
    const cases: Array<Record<string, string>> = [{ 'mex-subject': 'tab\there' }, { 'mex-to': 'https://evil.example' }, { 'mex-workflowid': 'http://x' }, { 'mex-content-checksum': 'http://x' }];
    for (const headers of cases) {
      const response = await send(headers, 'data', 1);
      assert.equal(response.status, 400, JSON.stringify(headers));
      assert.deepEqual(await response.json(), { errorEvent: 'TRANSFER', errorCode: '06', errorDescription: 'MalformedControlFile' });
    }
    const v2 = await send({ 'mex-localid': 'a\tb' });
    const body = await v2.json() as { detail: Array<{ loc: string[] }> };
    assertMatchesSpec(SEND, 'post', 400, 'application/json', body);
    assert.deepEqual(body.detail[0]!.loc, ['header', 'mex-localid']);
  });

  it('a mex-Content-Checksum of characters other than ASCII letters, digits, spaces and :-/ is 400 Invalid checksum, before mex-To is looked at', async () => {
    for (const checksum of ['md5=b10a8db1', 'sha256+abc', 'caf\u00e9', 'a_b']) {
      const v1 = await send({ 'mex-content-checksum': checksum, 'mex-to': '' }, 'x', 1);
      assert.equal(v1.status, 400, checksum);
      assert.deepEqual(await v1.json(), { errorEvent: 'SEND', errorCode: 'Invalid checksum', errorDescription: 'Invalid checksum' }, checksum);
    }
    const v2 = await send({ 'mex-content-checksum': 'md5=b10a8db1' });
    const body = await v2.json() as { detail: Array<{ code: string; loc: string[] }> };
    assertMatchesSpec(SEND, 'post', 400, 'application/json', body);
    assert.deepEqual(body.detail.map(({ code, loc }) => ({ code, loc })), [{ code: 'Invalid checksum', loc: ['header', 'mex-content-checksum'] }]);
    assert.equal((await send({ 'mex-content-checksum': 'md5:b10a8db164e0754105b7a99be72e3fe5' })).status, 202);
    assert.equal((await send({ 'mex-content-checksum': ' SHA-256 : 0a/FF ' })).status, 202);
  });

  it('header values longer than the spec allows are 400', async () => {
    assert.equal((await send({ 'mex-subject': 's'.repeat(501) })).status, 400);
    assert.equal((await send({ 'mex-localid': 'l'.repeat(301) })).status, 400);
    assert.equal((await send({ 'mex-to': 'T'.repeat(101) })).status, 400);
    assert.equal((await send({ 'mex-subject': 's'.repeat(500) })).status, 202);
  });

  it('a mex-From other than the authenticated mailbox is 400 (code 07)', async () => {
    const response = await send({ 'mex-from': MB2 }, 'x', 1);
    assert.equal(response.status, 400);
    assert.equal((await response.json() as { errorCode: string }).errorCode, '07');
    assert.equal((await send({ 'mex-from': MB1.toLowerCase() })).status, 202);
  });

  it('a bad chunk range on send is 417 InvalidHeaderChunks', async () => {
    for (const range of ['2:3', '0:2', '3:2', 'a:b', '1', '1:2:3']) {
      const response = await send({ 'mex-chunk-range': range }, 'x', 1);
      assert.equal(response.status, 417, range);
      assert.deepEqual(await response.json(), { errorEvent: 'SEND', errorCode: 'InvalidHeaderChunks', errorDescription: 'Invalid chunk values sent in mex-Chunk-Range header' });
    }
  });

  it('a Content-Encoding other than gzip is 422 UnsupportedContentEncoding', async () => {
    const response = await send({ 'content-encoding': 'br' }, 'x', 1);
    assert.equal(response.status, 422);
    assert.deepEqual(await response.json(), { errorEvent: 'SEND', errorCode: 'UnsupportedContentEncoding', errorDescription: 'Unsupported content encoding' });
  });

  it('a body larger than 100 MB is refused from its Content-Length with 413', async () => {
    const response = await fetch(`${spine.url}/messageexchange/${MB1}/outbox`, {
      method: 'POST',
      headers: { authorization: (await import('./support/mesh-client.js')).meshAuthorization(MB1), 'mex-to': MB2, 'mex-workflowid': 'W', 'content-length': String(100 * 1024 * 1024 + 1), 'content-type': 'application/octet-stream' },
      body: new ReadableStream({ start(controller) { controller.enqueue(new Uint8Array(10)); controller.close(); } }),
      duplex: 'half',
    } as RequestInit).catch((err: Error) => err);
    // Either the server answers 413 before reading, or it closes the connection on the lying length.
    if (response instanceof Response) assert.equal(response.status, 413);
  });

  it('a send with JSON content type is stored as bytes, not parsed', async () => {
    const response = await send({ 'content-type': 'application/json' }, '{"not":"parsed"');
    assert.equal(response.status, 202);
    const { message_id: id } = await response.json() as { message_id: string };
    const download = await mesh(spine.url, `/${MB2}/inbox/${id}`);
    assert.equal(await download.text(), '{"not":"parsed"');
    assert.equal(download.headers.get('content-type'), 'application/json');
  });
});
