import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, V2, mesh, sendMessage } from './support/mesh-client.js';
import { assertMatchesSpec } from './support/spec-schemas.js';

type V2Error = { internal_id: string; message_id?: string; detail: Array<{ event: string; code: string; msg: string; loc?: string[] }> };

const SEND = '/messageexchange/{mailbox_id}/outbox';
const SEND_LIMITS: Record<string, number> = {
  'mex-to': 100, 'mex-workflowid': 300, 'mex-subject': 500, 'mex-localid': 300, 'mex-partnerid': 500,
  'mex-filename': 300, 'mex-content-checksum': 100, 'mex-content-type': 100, 'mex-chunk-range': 20,
};

describe('MESH input checked at the door, refused in MESH\'s error shape', () => {
  let spine: TestSpine;
  let messageId: string;
  before(async () => {
    spine = await startTestSpine();
    messageId = await sendMessage(spine.url, MB1, MB2, 'door test');
  });
  after(async () => { await spine.close(); });

  const send = (headers: Record<string, string>, version: 1 | 2 = 2) =>
    mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version, body: 'data', headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', ...headers } });

  it('a download chunk number that is not a whole number from 1 is 400 Invalid request parameter at ["path", "chunk_number"]', async () => {
    // Also numbers not written as the spec's integer, which JavaScript's Number read as chunk 1.
    for (const chunk of ['0', '-1', '1.5', 'abc', '1234567890', '1e0', '01', '1.0', '%2B1', '0x1']) {
      const v2 = await mesh(spine.url, `/${MB2}/inbox/${messageId}/${chunk}`, { version: 2 });
      assert.equal(v2.status, 400, chunk);
      const body = await v2.json() as V2Error;
      assert.deepEqual(body.detail.map(({ event, code, msg, loc }) => ({ event, code, msg, loc })),
        [{ event: 'REQUEST', code: '400', msg: 'Invalid request parameter', loc: ['path', 'chunk_number'] }], chunk);
      // v1: the spec's 400 for this call is only its HTTPValidationError (under application/json, v1's type).
      const v1 = await mesh(spine.url, `/${MB2}/inbox/${messageId}/${chunk}`, { version: 1 });
      assert.equal(v1.status, 400, chunk);
      const v1Body = await v1.json() as { detail: Array<{ loc: string[]; type: string }> };
      assertMatchesSpec('/messageexchange/{mailbox_id}/inbox/{message_id}/{chunk_number}', 'get', 400, 'application/json', v1Body);
      assert.deepEqual(Object.keys(v1Body), ['detail'], chunk);
      assert.deepEqual(v1Body.detail.map(({ loc, type }) => ({ loc, type })), [{ loc: ['path', 'chunk_number'], type: 'value_error' }], chunk);
    }
    const first = await mesh(spine.url, `/${MB2}/inbox/${messageId}/1`, { version: 2 });
    assert.equal(first.status, 200);
    assert.equal(await first.text(), 'door test');
  });

  it('an upload chunk number that is not a whole number from 1 is 417 InvalidHeaderChunks for that message', async () => {
    for (const chunk of ['0', 'abc', '2.5', '2.0', '02', '2e0']) {
      const response = await mesh(spine.url, `/${MB1}/outbox/${messageId}/${chunk}`, { method: 'POST', version: 1, body: 'x', headers: { 'mex-chunk-range': '2:2' } });
      assert.equal(response.status, 417, chunk);
      assert.deepEqual(await response.json(), { messageID: messageId, errorEvent: 'SEND', errorCode: 'InvalidHeaderChunks', errorDescription: 'Invalid chunk values sent in mex-Chunk-Range header' });
    }
    const longRange = await mesh(spine.url, `/${MB1}/outbox/${messageId}/2`, { method: 'POST', version: 2, body: 'x', headers: { 'mex-chunk-range': `2:${'9'.repeat(30)}` } });
    assert.equal(longRange.status, 417);
    assert.equal((await longRange.json() as V2Error).detail[0]!.code, 'InvalidHeaderChunks');
  });

  it('a handshake without a required client header is 400 naming the first missing one, in the spec\'s order', async () => {
    const client = { 'mex-clientversion': 'test==1.0', 'mex-osname': 'Linux', 'mex-osversion': '6.1' };
    for (const missing of Object.keys(client)) {
      const headers = Object.fromEntries(Object.entries(client).filter(([name]) => name !== missing));
      const response = await mesh(spine.url, `/${MB1}`, { method: 'POST', version: 2, headers });
      assert.equal(response.status, 400, missing);
      assert.deepEqual((await response.json() as V2Error).detail.map(({ code, msg, loc }) => ({ code, msg, loc })),
        [{ code: '400', msg: 'Required header missing', loc: ['header', missing] }], missing);
    }
    const none = await mesh(spine.url, `/${MB1}`, { method: 'GET', version: 1 });
    assert.equal(none.status, 400);
    const v1Body = await none.json();
    assertMatchesSpec('/messageexchange/{mailbox_id}', 'post', 400, 'application/json', v1Body);
    assert.deepEqual(v1Body, { detail: [{ loc: ['header', 'mex-clientversion'], msg: 'missing mex-clientversion', type: 'value_error' }] });
    assert.equal((await mesh(spine.url, `/${MB1}`, { method: 'POST', version: 2, headers: client })).status, 200);
  });

  it('inbox and rich listing parameters outside the spec\'s schemas are 400 Invalid request parameter at ["query", name]', async () => {
    const cases: Array<[string, string]> = [
      [`/${MB2}/inbox?max_results=9`, 'max_results'], [`/${MB2}/inbox?max_results=5001`, 'max_results'], [`/${MB2}/inbox?max_results=ten`, 'max_results'],
      [`/${MB2}/inbox?max_results=10&max_results=20`, 'max_results'], [`/${MB2}/inbox?continue_from=short`, 'continue_from'],
      // Numbers JavaScript's Number reads but the spec's integer is not written as: they were taken (1e3 as 1000).
      ...['1e3', '%2B50', '%2050', '50%20', '050', '50.0', '0x32'].map((text): [string, string] => [`/${MB2}/inbox?max_results=${text}`, 'max_results']),
      [`/${MB2}/inbox/rich?max_results=1e1`, 'max_results'],
      [`/${MB2}/inbox?workflow_filter=!`, 'workflow_filter'], [`/${MB2}/inbox/rich?max_results=101`, 'max_results'],
      [`/${MB2}/inbox/rich?start_time=yesterday`, 'start_time'], [`/${MB1}/outbox/rich?max_results=0`, 'max_results'],
      [`/${MB1}/outbox/rich?start_time=2020-01-01&start_time=2021-01-01`, 'start_time'],
      // Refused by the handler rather than the schema, still where the parameter is.
      [`/${MB2}/inbox?continue_from=${'x'.repeat(24)}`, 'continue_from'], [`/${MB2}/inbox/rich?start_time=2020-13-45`, 'start_time'],
      // Found by probing: a day that does not exist rolled over (to 2 March) and was taken, as was year 0000.
      [`/${MB2}/inbox/rich?start_time=2026-02-30`, 'start_time'], [`/${MB1}/outbox/rich?start_time=0000-01-01T00:00:00Z`, 'start_time'],
    ];
    for (const [path, field] of cases) {
      const response = await mesh(spine.url, path, { version: 2 });
      assert.equal(response.status, 400, path);
      assert.deepEqual((await response.json() as V2Error).detail.map(({ code, msg, loc }) => ({ code, msg, loc })),
        [{ code: '400', msg: 'Invalid request parameter', loc: ['query', field] }], path);
      // v1: the spec's HTTPValidationError, as the MESH sandbox answers a parameter its schema refuses
      // (a v1 continue_from is a message id: one not in the inbox starts the list again).
      if (path.endsWith(`continue_from=${'x'.repeat(24)}`)) continue;
      const v1 = await mesh(spine.url, path, { version: 1 });
      assert.equal(v1.status, 400, path);
      const v1Body = await v1.json() as { detail: Array<{ loc: string[]; msg: string; type: string }> };
      if (!path.includes('/rich')) assertMatchesSpec('/messageexchange/{mailbox_id}/inbox', 'get', 400, 'application/json', v1Body);
      assert.deepEqual(Object.keys(v1Body), ['detail'], path);
      assert.deepEqual(v1Body.detail.map(({ loc, type }) => ({ loc, type })), [{ loc: ['query', field], type: 'value_error' }], path);
      assert.match(v1Body.detail[0]!.msg, new RegExp(field), path);
    }
    const fine = await mesh(spine.url, `/${MB2}/inbox?max_results=10&workflow_filter=TEST_WORKFLOW`, { version: 2 });
    assert.equal(fine.status, 200);
    assert.equal((await fine.json() as { links: { self: string } }).links.self, `/messageexchange/${MB2}/inbox?max_results=10&workflow_filter=TEST_WORKFLOW`);
  });

  it('a query parameter that is not percent-encoded UTF-8 (a lone surrogate, %FF, %zz) is 400 Invalid request parameter naming it, not looked up as its raw text', async () => {
    const cases: Array<[string, string]> = [
      [`/${MB1}/outbox/tracking?messageID=%ED%A0%80`, 'messageID'], [`/${MB1}/outbox/tracking?messageID=${messageId}%FF`, 'messageID'],
      [`/${MB2}/inbox?workflow_filter=%3DTEST%ED%B0%80`, 'workflow_filter'], [`/${MB2}/inbox?max_results=10&continue_from=%zz${'a'.repeat(30)}`, 'continue_from'],
      [`/${MB2}/inbox/rich?start_time=2026-01-01%E2%82`, 'start_time'], [`/${MB2}/inbox?%ED%A0%80=1`, '%ED%A0%80'],
    ];
    for (const [path, field] of cases) {
      const v2 = await mesh(spine.url, path, { version: 2 });
      assert.equal(v2.status, 400, path);
      assert.deepEqual((await v2.json() as V2Error).detail.map(({ code, msg, loc }) => ({ code, msg, loc })),
        [{ code: '400', msg: 'Invalid request parameter', loc: ['query', field] }], path);
      const v1 = await mesh(spine.url, path, { version: 1 });
      assert.equal(v1.status, 400, path);
      assert.deepEqual((await v1.json() as { detail: Array<{ loc: string[] }> }).detail.map(({ loc }) => loc), [['query', field]], path);
    }
    // Percent-encoded UTF-8, and a literal % sent as %25, are as they were.
    assert.equal((await mesh(spine.url, `/${MB1}/outbox/tracking?messageID=${messageId}`, { version: 2 })).status, 200);
    assert.equal((await mesh(spine.url, `/${MB2}/inbox?workflow_filter=%3D%E2%82%AC%25ED`, { version: 2 })).status, 200);
  });

  it('authentication comes before validation: a bad chunk number without a valid token is 403', async () => {
    const anonymous = await mesh(spine.url, `/${MB2}/inbox/${messageId}/abc`, { version: 1, as: false });
    assert.equal(anonymous.status, 403);
    assert.equal((await anonymous.json() as { errorEvent: string }).errorEvent, 'AUTH');
    const otherMailbox = await mesh(spine.url, `/${MB2}/inbox/${messageId}/abc`, { version: 1, as: MB1 });
    assert.equal(otherMailbox.status, 403);
  });

  it('each control header of a send is refused one character past the spec\'s limit (400 TRANSFER 06) and accepted at it', async () => {
    for (const [name, max] of Object.entries(SEND_LIMITS)) {
      const tooLong = await send({ [name]: 'A'.repeat(max + 1) });
      assert.equal(tooLong.status, 400, name);
      const body = await tooLong.json() as V2Error;
      assertMatchesSpec(SEND, 'post', 400, 'application/json', body);
      assert.deepEqual(body.detail.map(({ event, code, loc }) => ({ event, code, loc })), [{ event: 'TRANSFER', code: '06', loc: ['header', name] }], name);
    }
    const atLimit = await send({ 'mex-subject': 'S'.repeat(500), 'mex-localid': 'L'.repeat(300), 'mex-filename': 'f'.repeat(300) });
    assert.equal(atLimit.status, 202);
  });

  it('a Content-Type standing in for an absent mex-Content-Type is held to its limit (400 TRANSFER 06 naming content-type), never stored', async () => {
    const stored = async (localId: string) => (await spine.ctx.db.query<{ content_type: string | null }>('SELECT content_type FROM messaging.messages WHERE local_id = $1', [localId])).rows;
    const tooLong = `text/plain; p=${'x'.repeat(101 - 'text/plain; p='.length)}`;
    for (const version of [1, 2] as const) {
      const refused = await send({ 'content-type': tooLong, 'mex-localid': `ct-long-${version}` }, version);
      assert.equal(refused.status, 400);
      const body = await refused.json() as V2Error & Record<string, unknown>;
      if (version === 2) {
        assertMatchesSpec(SEND, 'post', 400, 'application/json', body);
        assert.deepEqual(body.detail.map(({ event, code, loc }) => ({ event, code, loc })), [{ event: 'TRANSFER', code: '06', loc: ['header', 'content-type'] }]);
      } else {
        assert.deepEqual(body, { errorEvent: 'TRANSFER', errorCode: '06', errorDescription: 'Malformed control file' });
      }
      assert.deepEqual(await stored(`ct-long-${version}`), []);
    }
    // The same Content-Type is not kept when mex-Content-Type is given, so it is not refused; an empty mex-Content-Type gives none.
    assert.equal((await send({ 'content-type': tooLong, 'mex-content-type': 'text/csv', 'mex-localid': 'ct-mex' })).status, 202);
    assert.deepEqual(await stored('ct-mex'), [{ content_type: 'text/csv' }]);
    assert.equal((await send({ 'content-type': tooLong, 'mex-content-type': '', 'mex-localid': 'ct-empty-mex' })).status, 400);
    const atLimit = tooLong.slice(0, 100);
    assert.equal((await send({ 'content-type': atLimit, 'mex-localid': 'ct-at-limit' })).status, 202);
    assert.deepEqual(await stored('ct-at-limit'), [{ content_type: atLimit }]);
  });

  it('keeps MESH\'s order of send checks: malformed, then too long, then mex-To, then mex-WorkflowID', async () => {
    const tooLongAndNoTo = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 1, body: 'x', headers: { 'mex-workflowid': 'TEST_WORKFLOW', 'mex-subject': 'x'.repeat(501) } });
    assert.deepEqual(await tooLongAndNoTo.json(), { errorEvent: 'TRANSFER', errorCode: '06', errorDescription: 'Malformed control file' });
    const malformedAndTooLong = await send({ 'mex-subject': 'x'.repeat(501), 'mex-localid': 'a\tb' }, 1);
    assert.deepEqual(await malformedAndTooLong.json(), { errorEvent: 'TRANSFER', errorCode: '06', errorDescription: 'MalformedControlFile' });
    const neither = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 1, body: 'x' });
    assert.deepEqual(await neither.json(), { errorEvent: 'SEND', errorCode: '08', errorDescription: 'TO_DTS missing' });
    const noWorkflow = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 1, body: 'x', headers: { 'mex-to': MB2 } });
    assert.deepEqual(await noWorkflow.json(), { errorEvent: 'SEND', errorCode: '06', errorDescription: 'mex-WorkflowID missing' });
  });

  it('tracking without messageID, or with an oversized message id in the path, is 400 naming the parameter where it is (query, path)', async () => {
    const noId = await mesh(spine.url, `/${MB1}/outbox/tracking`, { version: 2 });
    assert.equal(noId.status, 400);
    assert.deepEqual((await noId.json() as V2Error).detail[0]!.loc, ['query', 'messageID']);
    const longId = await mesh(spine.url, `/${MB2}/inbox/${'A'.repeat(101)}`, { version: 2 });
    assert.equal(longId.status, 400);
    assert.deepEqual((await longId.json() as V2Error).detail[0]!.loc, ['path', 'message_id']);
    const longLocalId = await mesh(spine.url, `/${MB1}/outbox/tracking/${'L'.repeat(301)}`, { version: 1 });
    assert.equal(longLocalId.status, 400);
  });

  it('a header value of the wrong shape at any declared send header is a 400 naming that header (property)', async () => {
    const names = Object.keys(SEND_LIMITS);
    // A control character (the one a fetch client lets through: tab), or a URL where an address belongs.
    const URL_CHECKED = ['mex-to', 'mex-workflowid', 'mex-content-checksum'];
    const wrong = fc.constantFrom(...names).chain((name) => fc.oneof(
      fc.record({ name: fc.constant(name), value: fc.string({ minLength: SEND_LIMITS[name]! + 1, maxLength: SEND_LIMITS[name]! + 40, unit: fc.constantFrom('a', 'Z', '9', '-', ' ') }).map((s) => `x${s.trim()}${'y'.repeat(SEND_LIMITS[name]!)}`) }),
      fc.record({ name: fc.constant(name), value: fc.string({ maxLength: 5, unit: fc.constantFrom('a', 'b') }).map((s) => `a${s}\tz`) }),
      ...(URL_CHECKED.includes(name) ? [fc.record({ name: fc.constant(name), value: fc.tuple(fc.constantFrom('http://', 'HTTPS://', 'Http://'), fc.string({ maxLength: 8, unit: fc.constantFrom('x', '.', '/') })).map(([scheme, rest]) => `${scheme}${rest}`) })] : []),
    ));
    await fc.assert(fc.asyncProperty(wrong, async ({ name, value }) => {
      const response = await send({ [name]: value });
      const body = await response.json() as V2Error;
      assert.equal(response.status, 400, `${name}: ${JSON.stringify(body)}`);
      assert.deepEqual(body.detail[0]!.loc, ['header', name]);
    }), { numRuns: 40 });
  });

  it('serves MESH\'s OpenAPI document, without credentials, from the schemas the door checks', async () => {
    const response = await fetch(`${spine.url}/messageexchange/openapi.json`);
    assert.equal(response.status, 200);
    const document = await response.json() as { openapi: string; paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; required?: boolean; schema: Record<string, unknown> }> }>> };
    assert.match(document.openapi, /^3\./);
    const sendParameters = document.paths['/messageexchange/{mailbox}/outbox']!.post!.parameters!;
    const mexTo = sendParameters.find((p) => p.in === 'header' && p.name === 'mex-to')!;
    assert.equal(mexTo.required, true);
    assert.equal(mexTo.schema.maxLength, 100);
    assert.equal(sendParameters.find((p) => p.name === 'mex-subject')!.schema.maxLength, 500);
    const chunk = document.paths['/messageexchange/{mailbox}/inbox/{messageId}/{chunk}']!.get!.parameters!.find((p) => p.in === 'path' && p.name === 'chunk')!;
    assert.deepEqual({ type: chunk.schema.type, minimum: chunk.schema.minimum }, { type: 'integer', minimum: 1 });
    const tracking = document.paths['/messageexchange/{mailbox}/outbox/tracking']!.get!.parameters!.find((p) => p.in === 'query')!;
    assert.deepEqual({ name: tracking.name, required: tracking.required }, { name: 'messageID', required: true });
    assert.ok(!Object.keys(document.paths).some((path) => path.includes('openapi')));
    // A v2 Accept does not change it, and it needs no NHSMESH header.
    assert.equal((await fetch(`${spine.url}/messageexchange/openapi.json`, { headers: { accept: V2 } })).status, 200);
  });
});

describe('MESH sandbox testing routes checked at the door', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine.close(); });

  const post = (path: string, body: unknown) => fetch(`${spine.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: V2 }, body: JSON.stringify(body) });

  it('a wrong type at any declared field of an event or a report is a MESH 400 naming the field (property)', async () => {
    const messageId = await sendMessage(spine.url, MB1, MB2, 'event target');
    const good = {
      event: { status: 'error', code: '02', event: 'TRANSFER', description: 'd', linked_message_id: 'X' },
      report: { mailbox_id: MB1, code: '02', description: 'd', workflow_id: 'W', subject: 's', local_id: 'l', status: 'error', file_name: 'f', linked_message_id: 'X' },
    };
    const wrongValue = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.string(), { maxKeys: 2 }));
    const target = fc.constantFrom(
      ...Object.keys(good.event).map((field) => ({ path: `/messageexchange/admin/message/${messageId}/event`, body: good.event as Record<string, unknown>, field })),
      ...Object.keys(good.report).map((field) => ({ path: '/messageexchange/admin/report', body: good.report as Record<string, unknown>, field })),
    );
    await fc.assert(fc.asyncProperty(target, wrongValue, async ({ path, body, field }, value) => {
      const response = await post(path, { ...body, [field]: value });
      const error = await response.json() as V2Error;
      assert.equal(response.status, 400, `${path} ${field}=${JSON.stringify(value)}: ${JSON.stringify(error)}`);
      assert.equal(error.detail[0]!.code, '400');
      assert.deepEqual(error.detail[0]!.loc, ['body', field]);
    }), { numRuns: 60 });
  });

  it('an oversized mailbox or message id in an admin path is a MESH 400 naming it', async () => {
    const mailbox = await fetch(`${spine.url}/admin/mailbox/${'M'.repeat(101)}`, { headers: { accept: V2 } });
    assert.equal(mailbox.status, 400);
    assert.deepEqual((await mailbox.json() as V2Error).detail[0]!.loc, ['path', 'mailbox_id']);
    const message = await fetch(`${spine.url}/messageexchange/admin/message/${'M'.repeat(101)}`, { headers: { accept: V2 } });
    assert.equal(message.status, 400);
    assert.deepEqual((await message.json() as V2Error).detail[0]!.loc, ['path', 'message_id']);
  });
});
