import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, MB3, V2, mesh, meshAuthorization } from './support/mesh-client.js';

/**
 * An upload larger than one segment streams into the database inside its transaction. A mailbox
 * that opens more slow uploads than the pool has connections must not take the Spine down with
 * it: found by probing, 20 such uploads from one mailbox held every connection, and every API
 * (PDS, `_status`, other mailboxes) answered 503 for as long as they trickled.
 */
describe('MESH: slow uploads cannot hold the whole database pool', () => {
  let spine: TestSpine;
  // A pool of 8: 2 upload slots, 1 for one mailbox. No admission limit: this is about the pool alone.
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true }, env: { OPENSPINE_DB_POOL_MAX: '8', OPENSPINE_MAX_IN_FLIGHT: '0' } }); });
  after(async () => { await spine.close(); });

  /** A send that declares a 2 MB body and sends 3 bytes of it, then waits; its answer, if any, collects in `answer`. */
  function slowUpload(mailbox: string): { socket: Socket; answer: () => string } {
    const { port } = new URL(spine.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (data) => { received += data.toString(); });
    socket.on('error', () => undefined);
    socket.write([
      `POST /messageexchange/${mailbox}/outbox HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Authorization: ${meshAuthorization(mailbox)}`,
      `mex-To: ${MB3}`, 'mex-WorkflowID: SLOW_UPLOAD', 'Content-Type: application/octet-stream', 'Content-Length: 2000000', '', 'abc',
    ].join('\r\n'));
    return { socket, answer: () => received };
  }

  it('twice the pool of slow uploads from one mailbox: the rest of the Spine still answers, the excess is a MESH 503 with Retry-After', async () => {
    const held = Array.from({ length: 16 }, () => slowUpload(MB1));
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const status = await fetch(`${spine.url}/_status`);
      assert.equal(status.status, 200, await status.text());
      const patient = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, { headers: { 'x-request-id': crypto.randomUUID() } });
      assert.equal(patient.status, 200, await patient.text());
      // Another mailbox still sends, a small body and one that streams.
      for (const body of ['small', 'x'.repeat(1_500_000)]) {
        const sent = await mesh(spine.url, `/${MB2}/outbox`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', 'mex-to': MB3, 'mex-workflowid': 'SLOW_UPLOAD' } });
        assert.equal(sent.status, 202, await sent.text());
      }

      // The uploads beyond the mailbox's one slot wait for it (2 s), then are refused.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const refused = held.map((h) => h.answer()).filter((text) => text.startsWith('HTTP/1.1 503'));
      assert.equal(refused.length, 15, 'all but the one in the slot');
      for (const text of refused) {
        assert.match(text, /\r\nretry-after: \d+\r\n/i);
        const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
        assert.deepEqual(body, { errorEvent: 'SEND', errorCode: '503', errorDescription: 'Too many uploads in progress; retry later' });
      }
      assert.equal(held.filter((h) => h.answer() === '').length, 1, 'the one in its slot is still receiving');
    } finally {
      for (const h of held) h.socket.destroy();
    }
    // Its slot comes free when the client goes: the mailbox streams again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', body: 'y'.repeat(1_500_000), headers: { 'content-type': 'application/octet-stream', 'mex-to': MB3, 'mex-workflowid': 'SLOW_UPLOAD' } });
    assert.equal(again.status, 202, await again.text());
  });

  it('a send or chunk refused for want of a slot (503) is taken when retried with the same token, as mesh-client retries it; once', async () => {
    // Found by probing: the 503 had spent the token's nonce, so the retry NHS England's mesh-client
    // makes (the same request, the same Authorization) was 403 "Duplicated token".
    const streamed = 'z'.repeat(1_500_000);
    const headers = { 'content-type': 'application/octet-stream', 'mex-to': MB3, 'mex-workflowid': 'SLOW_UPLOAD', accept: V2 };
    const first = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', body: 'c1', headers: { ...headers, 'mex-chunk-range': '1:2' } });
    const firstText = await first.text();
    assert.equal(first.status, 202, firstText);
    const messageId = (JSON.parse(firstText) as { message_id: string }).message_id;
    const calls: Array<{ path: string; extra: Record<string, string> }> = [
      { path: `/${MB1}/outbox`, extra: {} },
      { path: `/${MB1}/outbox/${messageId}/2`, extra: { 'mex-chunk-range': '2:2' } },
    ];
    for (const { path, extra } of calls) {
      const authorization = meshAuthorization(MB1);
      const send = () => fetch(`${spine.url}/messageexchange${path}`, { method: 'POST', headers: { ...headers, ...extra, authorization }, body: streamed });
      const holder = slowUpload(MB1);
      try {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const refused = await send();
        assert.equal(refused.status, 503, `${path}: ${await refused.text()}`);
      } finally {
        holder.socket.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const retried = await send();
      assert.equal(retried.status, 202, `${path}: ${await retried.text()}`);
      const replayed = await send();
      assert.equal(replayed.status, 403, `${path}: the token is spent once it is taken`);
    }
    const status = await mesh(spine.url, `/${MB1}/outbox/tracking?messageID=${messageId}`, { version: 2 });
    assert.equal(status.status, 200);
  });

});
