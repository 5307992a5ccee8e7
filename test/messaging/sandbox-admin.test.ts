import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, MB3, V2, mesh, meshAuthorization, sendMessage } from './support/mesh-client.js';
import { rawGet } from './support/raw-http.js';
import { fixedClock } from '../../src/platform/clock.js';
import { sweepExpiredMessages } from '../../src/services/messaging/index.js';

/** The MESH sandbox's own mailboxes file (spec/nhs/mesh/sandbox), to compare mailbox details with. */
const SANDBOX_MAILBOXES = readFileSync(fileURLToPath(new URL('../../spec/nhs/mesh/sandbox/store/data/mailboxes.jsonl', import.meta.url)), 'utf8')
  .split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as Record<string, string>);

const PREFIXES = ['', '/messageexchange'];

/** A test harness's call: no NHSMESH header, JSON in and out. */
function admin(spine: TestSpine, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${spine.url}${path}`, {
    method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const inboxOf = async (spine: TestSpine, mailbox: string) => ((await (await mesh(spine.url, `/${mailbox}/inbox`, { version: 2 })).json()) as { messages: string[] }).messages;

describe('MESH sandbox testing routes (sandbox mode)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine.close(); });

  it('GET /admin/mailbox/{id} answers the mailbox as the sandbox\'s MailboxDetails, at both prefixes, never its password', async () => {
    for (const prefix of PREFIXES) {
      for (const line of SANDBOX_MAILBOXES) {
        const response = await admin(spine, 'GET', `${prefix}/admin/mailbox/${line.mailbox_id!.toLowerCase()}`);
        assert.equal(response.status, 200);
        const body = await response.json() as Record<string, unknown>;
        const { password: _password, ...expected } = line;
        assert.deepEqual({ ...body, org_name: undefined }, { ...expected, active: true, org_name: undefined });
        assert.equal(typeof body.org_name, 'string');
        assert.ok(!('password' in body));
      }
      const unknown = await admin(spine, 'GET', `${prefix}/admin/mailbox/X99NOBODY`, undefined, { accept: V2 });
      assert.equal(unknown.status, 404);
      assert.deepEqual((await unknown.json() as { detail: Array<{ msg: string }> }).detail[0]!.msg, 'mailbox does not exist');
    }
  });

  it('GET /admin/message/{id} answers the sandbox\'s MessageDetails; 404 for an unknown id', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'details please', { 'mex-localid': 'L-42', 'mex-subject': 'results', 'mex-filename': 'r.txt' });
    for (const prefix of PREFIXES) {
      const response = await admin(spine, 'GET', `${prefix}/admin/message/${id.toLowerCase()}`);
      assert.equal(response.status, 200);
      const body = await response.json() as Record<string, unknown>;
      assert.deepEqual(
        { ...body, expiry_time: undefined, upload_timestamp: undefined },
        {
          checksum: '', chunk_count: 1, content_encoding: '', expiry_time: undefined, filename: 'r.txt', file_size: 14, is_compressed: false,
          is_encrypted: false, local_id: 'L-42', message_id: id, message_type: 'Data', recipient: MB2, recipient_name: 'TESTMB2',
          recipient_ods_code: 'X26', recipient_org_code: 'X26', sender: MB1, sender_name: 'TESTMB1', sender_ods_code: 'X26',
          sender_org_code: 'X26', status: 'Accepted', status_success: 'SUCCESS', subject: 'results', upload_timestamp: undefined,
          workflow_id: 'TEST_WORKFLOW',
        });
      assert.equal(Date.parse(body.expiry_time as string) - Date.parse(body.upload_timestamp as string), 5 * 24 * 3600 * 1000);
    }
    assert.equal((await admin(spine, 'GET', '/admin/message/20200101000000000000_ABCDEF')).status, 404);
  });

  it('GET /admin/message/{id} of a message that expired uncollected says Undeliverable, a sandbox status, not Expired', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'never collected');
    const sixDaysOn = new Date(Date.now() + 6 * 24 * 3600 * 1000);
    await sweepExpiredMessages({ ...spine.ctx, clock: fixedClock(sixDaysOn) });
    const body = await (await admin(spine, 'GET', `/admin/message/${id}`)).json() as Record<string, unknown>;
    assert.equal(body.status, 'Undeliverable');
  });

  it('POST /admin/message/{id}/event "acknowledged" takes the message out of the inbox, as a recipient\'s acknowledge would', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'ack me');
    assert.ok((await inboxOf(spine, MB2)).includes(id));
    const response = await admin(spine, 'POST', `/messageexchange/admin/message/${id}/event`, { status: 'acknowledged' });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '');
    assert.ok(!(await inboxOf(spine, MB2)).includes(id));
    assert.equal((await mesh(spine.url, `/${MB2}/inbox/${id}`, { version: 2 })).status, 410);
    const details = await (await admin(spine, 'GET', `/admin/message/${id}`)).json() as Record<string, unknown>;
    assert.equal(details.status, 'Acknowledged');
    assert.equal(typeof details.download_timestamp, 'string');
    const tracked = await (await mesh(spine.url, `/${MB1}/outbox/tracking?messageID=${id}`, { version: 2 })).json() as { status: string };
    assert.equal(tracked.status, 'acknowledged');
  });

  it('an "error" event fails the message: out of the inbox, status Error with its diagnostic and linked id', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'doomed');
    const response = await admin(spine, 'POST', `/admin/message/${id}/event`, { status: 'error', code: '99', event: 'TRANSFER', description: 'the recipient system refused it', linked_message_id: 'LINKED_1' });
    assert.equal(response.status, 200);
    assert.ok(!(await inboxOf(spine, MB2)).includes(id));
    const details = await (await admin(spine, 'GET', `/admin/message/${id}`)).json() as Record<string, unknown>;
    assert.equal(details.status, 'Error');
    assert.equal(details.status_success, 'ERROR');
    assert.equal(details.failure_diagnostic, 'the recipient system refused it');
    assert.equal(details.linked_msg_id, 'LINKED_1');
    assert.equal(typeof details.failure_date, 'string');
    const tracked = await (await mesh(spine.url, `/${MB1}/outbox/tracking?messageID=${id}`, { version: 1 })).json() as Record<string, unknown>;
    assert.deepEqual([tracked.status, tracked.statusSuccess, tracked.statusCode, tracked.statusDescription], ['Error', 'ERROR', '99', 'the recipient system refused it']);
  });

  it('an "accepted" event delivers a message still uploading, once', async () => {
    const first = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 2, body: 'chunk one', headers: { 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': '1:2' } });
    const { message_id: id } = await first.json() as { message_id: string };
    assert.ok(!(await inboxOf(spine, MB2)).includes(id));
    for (let i = 0; i < 2; i += 1) assert.equal((await admin(spine, 'POST', `/admin/message/${id}/event`, { status: 'accepted' })).status, 200);
    assert.equal((await inboxOf(spine, MB2)).filter((m) => m === id).length, 1);
    assert.equal(await (await mesh(spine.url, `/${MB2}/inbox/${id}`, { version: 2 })).text(), 'chunk one');
  });

  it('an event with an unknown status, or no body, is a MESH 400; for an unknown message a 404', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'x');
    for (const body of [{ status: 'bogus' }, {}, { status: 'error', code: 42 }, undefined]) {
      const response = await admin(spine, 'POST', `/admin/message/${id}/event`, body, { accept: V2 });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(((await response.json()) as { detail: Array<{ code: string }> }).detail[0]!.code, '400');
    }
    const unknown = await admin(spine, 'POST', '/admin/message/20200101000000000000_ABCDEF/event', { status: 'acknowledged' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { messageID: '20200101000000000000_ABCDEF', errorEvent: 'RECEIVE', errorCode: '20', errorDescription: 'Message does not exist' });
  });

  it('POST /messageexchange/admin/report puts a non-delivery REPORT into the inbox, as the expiry sweep would', async () => {
    const original = await sendMessage(spine.url, MB1, MB2, 'never collected');
    const response = await admin(spine, 'POST', '/messageexchange/admin/report', {
      mailbox_id: MB1.toLowerCase(), code: '14', description: 'ignored for non-delivery', workflow_id: 'TEST_WORKFLOW', subject: 'results', local_id: 'L-7', linked_message_id: original,
    });
    assert.equal(response.status, 200);
    const { message_id: reportId } = await response.json() as { message_id: string };
    assert.ok((await inboxOf(spine, MB1)).includes(reportId));
    const raw = await rawGet(`${spine.url}/messageexchange/${MB1}/inbox/${reportId}`, { authorization: meshAuthorization(MB1), accept: V2, 'accept-encoding': 'gzip' });
    assert.equal(raw.status, 200);
    assert.equal(raw.body.length, 0, 'a REPORT has no body, and it is not gzipped');
    assert.equal(raw.headers['content-encoding'], undefined);
    const report = await mesh(spine.url, `/${MB1}/inbox/${reportId}`, { version: 2 });
    assert.equal(report.status, 200);
    assert.equal(await report.text(), '');
    const h = (name: string) => report.headers.get(name);
    assert.deepEqual(
      [h('mex-messagetype'), h('mex-statuscode'), h('mex-statusevent'), h('mex-statusdescription'), h('mex-statussuccess'), h('mex-linkedmsgid'), h('mex-subject'), h('mex-localid'), h('mex-workflowid'), h('mex-to')],
      ['REPORT', '14', 'SEND', 'Message not collected by recipient after 5 days', 'ERROR', original, 'NDR: results', 'L-7', 'TEST_WORKFLOW', MB1]);
    // From MESH's central mailbox, which has no id: no mex-From at all, never an empty one (the MESH
    // sandbox leaves empty headers out); no file name was given, so MESH's default.
    assert.equal(h('mex-from'), null);
    assert.equal(h('mex-filename'), `${reportId}.dat`);
    assert.ok(Object.values(raw.headers).every((value) => value !== ''), 'no header is sent empty');
  });

  it('an "error" report carries the given code and description at the TRANSFER step', async () => {
    const response = await admin(spine, 'POST', '/messageexchange/admin/report', { mailbox_id: MB3, code: 'X1', description: 'custom failure', workflow_id: 'ANY', status: 'error', file_name: 'f.dat' });
    const { message_id: reportId } = await response.json() as { message_id: string };
    const report = await mesh(spine.url, `/${MB3}/inbox/${reportId}`, { version: 2 });
    await report.arrayBuffer();
    assert.deepEqual([report.headers.get('mex-statuscode'), report.headers.get('mex-statusevent'), report.headers.get('mex-statusdescription'), report.headers.get('mex-filename')],
      ['X1', 'TRANSFER', 'custom failure', 'f.dat']);
    const details = await (await admin(spine, 'GET', `/admin/message/${reportId}`)).json() as Record<string, unknown>;
    assert.deepEqual([details.message_type, details.status_code, details.status_event, details.status_success], ['Report', 'X1', 'TRANSFER', 'ERROR']);
  });

  it('a report field that a download header could not carry (a control character, a character past Latin-1) is a 400 naming it, and nothing reaches the inbox', async () => {
    const before = await inboxOf(spine, MB2);
    const base = { mailbox_id: MB2, code: 'X1', description: 'd', workflow_id: 'W', status: 'error' };
    for (const field of ['code', 'description', 'workflow_id', 'subject', 'local_id', 'file_name', 'linked_message_id']) {
      for (const value of ['line1\r\nline2', 'tab\there', 'snow\u2603man']) {
        const response = await admin(spine, 'POST', '/messageexchange/admin/report', { ...base, [field]: value }, { accept: V2 });
        assert.equal(response.status, 400, `${field} ${JSON.stringify(value)}: ${await response.clone().text()}`);
        const body = await response.json() as { detail: Array<{ loc: string[] }> };
        assert.deepEqual(body.detail[0]!.loc, ['body', field]);
      }
    }
    assert.deepEqual(await inboxOf(spine, MB2), before);
    // Latin-1 is what a header carries, so an accented subject is sent and downloads with it.
    const accepted = await admin(spine, 'POST', '/messageexchange/admin/report', { ...base, subject: 'café' });
    const { message_id: reportId } = await accepted.json() as { message_id: string };
    const report = await rawGet(`${spine.url}/messageexchange/${MB2}/inbox/${reportId}`, { authorization: meshAuthorization(MB2), accept: V2 });
    assert.equal(report.status, 200);
    assert.equal(report.headers['mex-subject'], 'café');
  });

  it('a body that is not an object (an array, a number, JSON sent as text/plain) is 400 at ["body"], saying so, never a field with no name', async () => {
    const [id] = await inboxOf(spine, MB2).then((ids) => (ids.length ? ids : sendMessage(spine.url, MB1, MB2, 'x').then((one) => [one])));
    const cases: Array<[string, string, string]> = [['application/json', '[]', 'array'], ['application/json', '5', 'number'], ['text/plain', '{"status":"error"}', 'text']];
    for (const [type, body, what] of cases) {
      for (const path of [`/messageexchange/admin/message/${id}/event`, '/messageexchange/admin/report']) {
        const response = await fetch(`${spine.url}${path}`, { method: 'POST', headers: { 'content-type': type, accept: V2 }, body });
        assert.equal(response.status, 400, `${path} ${what}`);
        assert.deepEqual((await response.json() as { detail: unknown[] }).detail, [{
          event: 'REQUEST', code: '400', msg: 'Invalid request parameter', diagnostics: 'the request body is not valid (type)', loc: ['body'], type: 'value_error',
        }], `${path} ${what}`);
      }
    }
  });

  it('a report for an unknown mailbox is 404, a malformed one 400, and the root has no report route', async () => {
    assert.equal((await admin(spine, 'POST', '/messageexchange/admin/report', { mailbox_id: 'X99NOBODY', code: '1', description: 'd', workflow_id: 'W' })).status, 404);
    assert.equal((await admin(spine, 'POST', '/messageexchange/admin/report', { mailbox_id: MB1, code: '1', workflow_id: 'W' })).status, 400);
    assert.equal((await admin(spine, 'POST', '/messageexchange/admin/report', { mailbox_id: MB1, code: '1', description: 'd', workflow_id: 'W', status: 'acknowledged' })).status, 400);
    assert.equal((await admin(spine, 'POST', '/admin/report', { mailbox_id: MB1, code: '1', description: 'd', workflow_id: 'W' })).status, 404);
  });

  it('DELETE /admin/reset/{mailbox} empties that mailbox only; DELETE /admin/reset empties all; unknown mailbox 404', async () => {
    const toMb2 = await sendMessage(spine.url, MB1, MB2, 'one');
    const toMb3 = await sendMessage(spine.url, MB2, MB3, 'two');
    for (const prefix of PREFIXES) {
      const response = await admin(spine, 'DELETE', `${prefix}/admin/reset/${MB3.toLowerCase()}`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { message: `mailbox ${MB3} reset` });
    }
    assert.deepEqual(await inboxOf(spine, MB3), []);
    assert.equal((await admin(spine, 'GET', `/admin/message/${toMb3}`)).status, 404, 'its messages are gone, sent or received');
    assert.ok((await inboxOf(spine, MB2)).includes(toMb2), 'other mailboxes keep theirs');
    assert.equal((await admin(spine, 'DELETE', '/admin/reset/X99NOBODY')).status, 404);
    const all = await admin(spine, 'DELETE', '/admin/reset');
    assert.equal(all.status, 200);
    assert.deepEqual(await all.json(), { message: 'all mailboxes reset' });
    for (const mailbox of [MB1, MB2, MB3]) assert.deepEqual(await inboxOf(spine, mailbox), []);
  });
});

describe('MESH sandbox testing routes outside sandbox mode', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('every one is 404 at both prefixes', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'stays');
    const calls: Array<[string, string, unknown?]> = [
      ['DELETE', '/admin/reset'], ['DELETE', `/admin/reset/${MB1}`], ['POST', `/admin/message/${id}/event`, { status: 'acknowledged' }],
      ['GET', `/admin/mailbox/${MB1}`], ['GET', `/admin/message/${id}`],
    ];
    for (const prefix of PREFIXES) {
      for (const [method, path, body] of calls) {
        const response = await admin(spine, method, `${prefix}${path}`, body);
        assert.equal(response.status, 404, `${method} ${prefix}${path}`);
        await response.arrayBuffer();
      }
    }
    assert.equal((await admin(spine, 'POST', '/messageexchange/admin/report', { mailbox_id: MB1, code: '1', description: 'd', workflow_id: 'W' })).status, 404);
    assert.ok((await inboxOf(spine, MB2)).includes(id), 'nothing was done');
  });
});
