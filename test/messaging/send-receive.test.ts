import { describe, it, before, after } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { MB1, MB2, MB3, V2, mesh, meshAuthorization, sendMessage } from './support/mesh-client.js';
import { rawGet } from './support/raw-http.js';
import { assertMatchesSpec } from './support/spec-schemas.js';

const P = '/messageexchange/{mailbox_id}';

describe('MESH send, list, download, acknowledge', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('handshake answers v1 {mailboxId} and v2 with no body', async () => {
    const handshakeHeaders = { 'mex-clientversion': 'test==1.0', 'mex-osname': 'Linux', 'mex-osversion': '6.1' };
    const v1 = await mesh(spine.url, `/${MB1}`, { method: 'POST', version: 1, headers: handshakeHeaders });
    assert.equal(v1.status, 200);
    assert.deepEqual(await v1.json(), { mailboxId: MB1 });
    const v2 = await mesh(spine.url, `/${MB1}`, { method: 'POST', version: 2, headers: handshakeHeaders });
    assert.equal(v2.status, 200);
    assert.equal(await v2.text(), '');
    const missing = await mesh(spine.url, `/${MB1}`, { method: 'POST', version: 2 });
    assert.equal(missing.status, 400);
  });

  it('a message goes from sender to recipient and leaves the inbox once acknowledged', async () => {
    const send = await mesh(spine.url, `/${MB1}/outbox`, {
      method: 'POST', version: 2, body: 'hello MESH',
      headers: { 'content-type': 'text/plain', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-localid': 'local-1', 'mex-subject': 'greeting', 'mex-filename': 'hello.txt' },
    });
    assert.equal(send.status, 202);
    const sent = await send.json() as { message_id: string };
    assertMatchesSpec(`${P}/outbox`, 'post', 202, V2, sent);
    assert.match(sent.message_id, /^\d{20}_[0-9A-F]{6}$/);

    const inbox = await mesh(spine.url, `/${MB2}/inbox`, { version: 2 });
    assert.equal(inbox.status, 200);
    assert.match(inbox.headers.get('content-type') ?? '', /^application\/vnd\.mesh\.v2\+json/);
    const listed = await inbox.json() as { messages: string[]; approx_inbox_count: number; links: { self: string } };
    assertMatchesSpec(`${P}/inbox`, 'get', 200, V2, listed);
    assert.ok(listed.messages.includes(sent.message_id));
    assert.equal(listed.approx_inbox_count, listed.messages.length);

    const download = await mesh(spine.url, `/${MB2}/inbox/${sent.message_id}`, { version: 2 });
    assert.equal(download.status, 200);
    assert.equal(await download.text(), 'hello MESH');
    assert.equal(download.headers.get('mex-from'), MB1);
    assert.equal(download.headers.get('mex-to'), MB2);
    assert.equal(download.headers.get('mex-workflowid'), 'TEST_WORKFLOW');
    assert.equal(download.headers.get('mex-messageid'), sent.message_id);
    assert.equal(download.headers.get('mex-messagetype'), 'DATA');
    assert.equal(download.headers.get('mex-localid'), 'local-1');
    assert.equal(download.headers.get('mex-subject'), 'greeting');
    assert.equal(download.headers.get('mex-filename'), 'hello.txt');
    assert.equal(download.headers.get('mex-chunk-range'), '1:1');
    assert.equal(download.headers.get('mex-statussuccess'), 'SUCCESS');
    assert.equal(download.headers.get('content-type'), 'text/plain');

    const head = await mesh(spine.url, `/${MB2}/inbox/${sent.message_id}`, { method: 'HEAD', version: 2 });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('mex-messageid'), sent.message_id);

    const tracking = await mesh(spine.url, `/${MB1}/outbox/tracking?messageID=${sent.message_id}`, { version: 2 });
    const tracked = await tracking.json() as Record<string, unknown>;
    assertMatchesSpec(`${P}/outbox/tracking`, 'get', 200, V2, tracked);
    assert.equal(tracked.status, 'accepted');

    const ack = await mesh(spine.url, `/${MB2}/inbox/${sent.message_id}/status/acknowledged`, { method: 'PUT', version: 1 });
    assert.equal(ack.status, 200);
    assert.deepEqual(await ack.json(), { messageId: sent.message_id });

    const after = await (await mesh(spine.url, `/${MB2}/inbox`, { version: 1 })).json() as { messages: string[] };
    assertMatchesSpec(`${P}/inbox`, 'get', 200, 'application/json', after);
    assert.ok(!after.messages.includes(sent.message_id));
    const gone = await mesh(spine.url, `/${MB2}/inbox/${sent.message_id}`, { version: 2 });
    assert.equal(gone.status, 410);
    const goneBody = await gone.json() as { message_id: string; detail: Array<{ event: string; code: string }> };
    assert.equal(goneBody.message_id, sent.message_id);
    assert.equal(goneBody.detail[0]!.event, 'RECEIVE');

    const trackedV1 = await (await mesh(spine.url, `/${MB1}/outbox/tracking?messageID=${sent.message_id}`, { version: 1 })).json() as Record<string, unknown>;
    assertMatchesSpec(`${P}/outbox/tracking`, 'get', 200, 'application/json', trackedV1);
    assert.equal(trackedV1.status, 'Acknowledged');
    assert.equal(trackedV1.fileSize, 10);
    assert.equal(trackedV1.dtsId, sent.message_id);

    // Every step is audited: who did what to which message, never the body, no patient named. The
    // send's entry committed with the message and was chained after it, maybe after a later step's.
    await spine.ctx.audit.chainPending();
    const audit = await spine.ctx.db.query<{ action: string; nhs_numbers: string[]; app_id: string; detail: Record<string, unknown> }>(
      'SELECT action, nhs_numbers, app_id, detail FROM audit.events WHERE resource = $1 ORDER BY recorded_at, seq', [`MeshMessage/${sent.message_id}`]);
    // The HEAD is audited as a download, and the download after the acknowledgement (410) too, as a failure.
    assert.deepEqual(audit.rows.map((r) => r.action), ['message.send', 'message.download', 'message.download', 'message.track', 'message.acknowledge', 'message.download', 'message.track']);
    assert.deepEqual(audit.rows.map((r) => r.app_id), [MB1, MB2, MB2, MB1, MB2, MB2, MB1]);
    assert.equal(audit.rows[2]!.detail.method, 'HEAD');
    assert.equal(audit.rows[5]!.detail.error, '20');
    assert.ok(audit.rows.every((r) => r.nhs_numbers.length === 0 && !JSON.stringify(r.detail).includes('hello MESH')));
    assert.equal(audit.rows[0]!.detail.to, MB2);
    const outbox = await spine.ctx.db.query(`SELECT event_type FROM platform.outbox WHERE payload->>'messageId' = $1 ORDER BY 1`, [sent.message_id]);
    assert.deepEqual(outbox.rows.map((r) => r.event_type), ['mesh-message-accepted', 'mesh-message-acknowledged']);
  });

  it('tracking names both organisations from the directory; v2 times are ISO 8601 date-times (the schema), v1 times MESH timestamps', async () => {
    const before = Date.now();
    const id = await sendMessage(spine.url, MB1, MB3, 'to another organisation');
    const directory = directoryApi(spine.ctx.db);
    const senderOrg = (await directory.getOrganisation('X26'))?.name;
    const recipientOrg = (await directory.getOrganisation('X27'))?.name;
    assert.ok(senderOrg && recipientOrg && senderOrg !== recipientOrg, 'the seeded directory names X26 and X27');

    const v2 = await (await mesh(spine.url, `/${MB1}/outbox/tracking?messageID=${id}`, { version: 2 })).json() as Record<string, string>;
    assertMatchesSpec(`${P}/outbox/tracking`, 'get', 200, V2, v2);
    assert.equal(v2.recipient, MB3);
    assert.equal(v2.recipient_org_code, 'X27');
    assert.equal(v2.recipient_org_name, recipientOrg);
    // The spec's schema says `format: date-time` ("iso timestamp") and the MESH sandbox serialises
    // datetimes; the spec's example shows expiry_time and upload_timestamp as 20200606122153 but
    // status_timestamp as 2020-06-01T12:21:52. We follow the schema, in UTC with its zone.
    const isoUtc = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    for (const field of ['upload_timestamp', 'expiry_time', 'status_timestamp']) assert.match(v2[field]!, isoUtc, field);
    const uploaded = Date.parse(v2.upload_timestamp!);
    assert.ok(uploaded >= before - 1000 && uploaded <= Date.now() + 1000);
    assert.equal(Date.parse(v2.expiry_time!) - uploaded, 5 * 24 * 3600 * 1000, 'expires from the inbox 5 days after upload');

    const v1 = await (await mesh(spine.url, `/${MB1}/outbox/tracking?messageID=${id}`, { version: 1 })).json() as Record<string, unknown>;
    assertMatchesSpec(`${P}/outbox/tracking`, 'get', 200, 'application/json', v1);
    assert.deepEqual(
      [v1.sender, v1.senderOrgCode, v1.senderOrgName, v1.senderBillingEntity, v1.recipient, v1.recipientOrgCode, v1.recipientOrgName, v1.recipientBillingEntity],
      [MB1, 'X26', senderOrg, 'England', MB3, 'X27', recipientOrg, 'England'],
    );
    const meshTime = (iso: string) => iso.slice(0, 19).replace(/[-T:]/g, '');
    assert.equal(v1.uploadTimestamp, meshTime(v2.upload_timestamp!));
    assert.equal(v1.expiryTime, meshTime(v2.expiry_time!));
  });

  it('a final (200) download carries the spec\'s ETag, the SHA-1 of the bytes sent, and every download and HEAD the sandbox\'s Last-Modified', async () => {
    const sha1Etag = (bytes: Buffer) => `"${createHash('sha1').update(bytes).digest('hex')}"`;
    const httpDate = /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/;
    const before = Math.floor(Date.now() / 1000) * 1000;
    // The spec's own example: these 27 bytes are served with etag "866243ab74e0107a4d5835f8d6552e7f20c39ee1".
    const example = 'm you in the future,\n\nBob.\n';
    const id = await sendMessage(spine.url, MB1, MB2, example);
    const download = await rawGet(`${spine.url}/messageexchange/${MB2}/inbox/${id}`, { authorization: meshAuthorization(MB2), accept: V2 });
    assert.equal(download.status, 200);
    assert.equal(download.body.toString(), example);
    assert.equal(download.headers.etag, '"866243ab74e0107a4d5835f8d6552e7f20c39ee1"');
    const lastModified = download.headers['last-modified'] as string;
    assert.match(lastModified, httpDate);
    assert.ok(Date.parse(lastModified) >= before && Date.parse(lastModified) <= Date.now());
    const head = await mesh(spine.url, `/${MB2}/inbox/${id}`, { method: 'HEAD', version: 2 });
    assert.equal(head.headers.get('last-modified'), lastModified);

    // Gzipped on the fly for a v2 client that admits gzip: the tag is of the bytes as sent.
    const zipped = await rawGet(`${spine.url}/messageexchange/${MB2}/inbox/${id}`, { authorization: meshAuthorization(MB2), accept: V2, 'accept-encoding': 'gzip' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.etag, sha1Etag(zipped.body));

    // A chunked message: the 206 has no ETag (as in the spec's example), the final 200 has one.
    const first = await mesh(spine.url, `/${MB1}/outbox`, {
      method: 'POST', version: 2, body: 'part one, ', headers: { 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': '1:2' },
    });
    const { message_id: chunked } = await first.json() as { message_id: string };
    assert.equal((await mesh(spine.url, `/${MB1}/outbox/${chunked}/2`, { method: 'POST', version: 2, body: 'part two', headers: { 'mex-chunk-range': '2:2' } })).status, 202);
    const partial = await rawGet(`${spine.url}/messageexchange/${MB2}/inbox/${chunked}`, { authorization: meshAuthorization(MB2), accept: V2 });
    assert.equal(partial.status, 206);
    assert.equal(partial.headers.etag, undefined);
    assert.match(partial.headers['last-modified'] as string, httpDate);
    const last = await rawGet(`${spine.url}/messageexchange/${MB2}/inbox/${chunked}/2`, { authorization: meshAuthorization(MB2), accept: V2 });
    assert.equal(last.status, 200);
    assert.equal(last.headers.etag, sha1Etag(Buffer.from('part two')));
  });

  it('only the recipient may download or acknowledge: 403; unknown ids 404', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'private');
    const asSender = await mesh(spine.url, `/${MB1}/inbox/${id}`, { version: 2 });
    assert.equal(asSender.status, 403);
    const ackOther = await mesh(spine.url, `/${MB3}/inbox/${id}/status/acknowledged`, { method: 'PUT', version: 2 });
    assert.equal(ackOther.status, 403);
    const unknown = await mesh(spine.url, `/${MB2}/inbox/20200101000000000000_ABCDEF`, { version: 1 });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { messageID: '20200101000000000000_ABCDEF', errorEvent: 'RECEIVE', errorCode: '20', errorDescription: 'Message does not exist' });
  });

  it('v1 send answers {messageID}; acknowledging twice is harmless and v2 ack has no body', async () => {
    const id = await sendMessage(spine.url, MB1, MB3, 'v1', {}, 1);
    const first = await mesh(spine.url, `/${MB3}/inbox/${id}/status/acknowledged`, { method: 'PUT', version: 2 });
    assert.equal(first.status, 200);
    assert.equal(await first.text(), '');
    const second = await mesh(spine.url, `/${MB3}/inbox/${id}/status/acknowledged`, { method: 'PUT', version: 2 });
    assert.equal(second.status, 200);
  });

  it('an unsupported vnd.mesh Accept is 400', async () => {
    const response = await mesh(spine.url, `/${MB1}/inbox`, { headers: { accept: 'application/vnd.mesh.v9+json' } });
    assert.equal(response.status, 400);
    const body = await response.json() as Record<string, unknown>;
    assert.equal(body.errorDescription, 'Accept header api format incorrect');
  });

  it('an Accept that refuses v2 (q=0) is answered in v1; a weighted v2 over application/json in v2', async () => {
    const refused = await mesh(spine.url, `/${MB1}/inbox`, { headers: { accept: `${V2};q=0` } });
    assert.equal(refused.status, 200);
    assert.equal(refused.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(Object.keys(await refused.json() as object), ['messages']);
    const preferred = await mesh(spine.url, `/${MB1}/inbox`, { headers: { accept: `application/json;q=0.5, ${V2};q=0.9` } });
    assert.equal(preferred.status, 200);
    assert.match(preferred.headers.get('content-type') ?? '', /^application\/vnd\.mesh\.v2\+json/);
    assert.ok('links' in (await preferred.json() as object));
    const refusedError = await mesh(spine.url, `/${MB1}/inbox/20200101000000000000_ABCDEF`, { headers: { accept: `${V2};q=0, application/vnd.mesh.v9+json;q=0` } });
    assert.equal(refusedError.status, 404);
    assert.equal((await refusedError.json() as Record<string, unknown>).errorCode, '20');
  });

  it('endpoint lookup and workflow search answer from the directory without auth', async () => {
    const v2 = await mesh(spine.url, '/endpointlookup/X26/TEST_WORKFLOW', { version: 2, as: false });
    assert.equal(v2.status, 200);
    const lookup = await v2.json() as { results: Array<{ mailbox_id: string }> };
    assertMatchesSpec('/messageexchange/endpointlookup/{ods_code}/{workflow_id}', 'get', 200, V2, lookup);
    assert.deepEqual(lookup.results.map((r) => r.mailbox_id), [MB2]);
    const v1 = await (await mesh(spine.url, '/endpointlookup/X26/TEST_WORKFLOW', { version: 1, as: false })).json();
    assertMatchesSpec('/messageexchange/endpointlookup/{ods_code}/{workflow_id}', 'get', 200, 'application/json', v1);
    const search = await (await mesh(spine.url, '/workflowsearch/TEST_WORKFLOW2', { version: 2, as: false })).json() as { results: Array<{ mailbox_id: string }> };
    assertMatchesSpec('/messageexchange/workflowsearch/{workflow_id}', 'get', 200, V2, search);
    assert.deepEqual(search.results.map((r) => r.mailbox_id).sort(), [MB1, MB2, MB3]);
    const ping = await mesh(spine.url, '/_ping', { as: false });
    assert.equal(ping.status, 200);
  });

  it('endpoint lookup and workflow search leave out a mailbox of a disabled organisation, which MESH will not deliver to (417 DTS 12)', async () => {
    const directory = directoryApi(spine.ctx.db);
    await directory.upsertOrganisation({ odsCode: 'Y9901', name: 'Closed trust', role: 'nhs-trust', active: true });
    await directory.upsertOrganisation({ odsCode: 'Y9902', name: 'Open trust', role: 'nhs-trust', active: true });
    for (const [mailboxId, odsCode] of [['Y9901MB', 'Y9901'], ['Y9902MB', 'Y9902']] as const) {
      await directory.upsertMailbox({ mailboxId, mailboxName: mailboxId, odsCode, orgCode: odsCode, password: 'secret', active: true });
    }
    await directory.upsertWorkflow({ workflowId: 'LOOKUP_WF', senders: [MB1], receivers: ['Y9901MB', 'Y9902MB'] });
    await directory.upsertOrganisation({ odsCode: 'Y9901', name: 'Closed trust', role: 'nhs-trust', active: false });
    // The mailbox cache forgets within 5 s: wait until MESH refuses the disabled organisation's mailbox as a recipient.
    const send = () => mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 2, body: 'x', headers: { 'content-type': 'application/octet-stream', 'mex-to': 'Y9901MB', 'mex-workflowid': 'LOOKUP_WF' } });
    let refused = await send();
    for (let i = 0; i < 60 && refused.status !== 417; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      refused = await send();
    }
    assert.equal(refused.status, 417);
    assert.deepEqual((await refused.json() as { detail: Array<{ code: string }> }).detail.map((d) => d.code), ['12']);

    const lookup = async (path: string) => ((await (await mesh(spine.url, path, { version: 2, as: false })).json()) as { results: Array<{ mailbox_id: string }> }).results.map((r) => r.mailbox_id);
    assert.deepEqual(await lookup('/endpointlookup/Y9901/LOOKUP_WF'), []);
    assert.deepEqual(await lookup('/endpointlookup/Y9902/LOOKUP_WF'), ['Y9902MB']);
    assert.deepEqual(await lookup('/workflowsearch/LOOKUP_WF'), ['Y9902MB']);
  });

  it('an unknown MESH path is a MESH-shaped 404', async () => {
    const response = await mesh(spine.url, `/${MB1}/nowhere/at/all/really`, { version: 2 });
    assert.equal(response.status, 404);
    const body = await response.json() as { detail: unknown[] };
    assert.ok(Array.isArray(body.detail));
  });
});
