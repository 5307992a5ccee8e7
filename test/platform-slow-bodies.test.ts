import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestSpine, type TestSpine } from './support/spine.js';

const READ = '/personal-demographics/FHIR/R4/Patient/9000000009';
const FORM = 'grant_type=client_credentials&client_assertion_type=x';

/**
 * Admission counts a request from its arrival. Found by probing: 200 unauthenticated token requests
 * that send their bodies a byte at a time held every place in the limit, and every other call of
 * the Spine was shed with 503 for as long as they trickled. A body that is slow to arrive now gives
 * its place back (platform/http/stalled-bodies.ts).
 */
describe('admission: clients slow to send their bodies cannot hold the limit', () => {
  let spine: TestSpine;
  // A fixed limit of 8: 8 places, 8 waiting, and 8 for stalled bodies, 2 of them from one address.
  before(async () => { spine = await startTestSpine({ env: { OPENSPINE_MAX_IN_FLIGHT: '8' } }); });
  after(async () => { await spine.close(); });

  /** A token request that declares its form and sends one byte of it; the rest goes when `finish` is called. */
  function slowTokenRequest(): { socket: Socket; answer: () => string; closed: () => boolean; finish: () => void } {
    const { port } = new URL(spine.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    let closed = false;
    socket.on('data', (data) => { received += data.toString(); });
    socket.on('close', () => { closed = true; });
    socket.on('error', () => undefined);
    socket.write(`POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${FORM.length}\r\n\r\n${FORM[0]}`);
    return { socket, answer: () => received, closed: () => closed, finish: () => socket.write(FORM.slice(1)) };
  }

  it('40 trickling token requests: after a retry\'s time other calls are admitted again, and a slow body that completes is still answered', async () => {
    const slow = Array.from({ length: 40 }, () => slowTokenRequest());
    try {
      await sleep(2_500);
      const read = await fetch(`${spine.url}${READ}`, { headers: { 'x-request-id': crypto.randomUUID() } });
      assert.equal(read.status, 401, `admitted and refused for its missing token, not shed: ${await read.text()}`);

      // Those still open without an answer are the stalled ones this address may keep (2); the rest were shed or dropped.
      const stalled = slow.filter((s) => !s.closed() && s.answer() === '');
      assert.equal(stalled.length, 2);
      for (const s of slow.filter((s) => s.answer() !== '')) assert.match(s.answer(), /^HTTP\/1\.1 503 /);
      for (const s of stalled) s.finish();
      await sleep(500);
      for (const s of stalled) {
        assert.match(s.answer(), /^HTTP\/1\.1 400 /);
        assert.match(s.answer(), /"error":"invalid_request"/);
      }
    } finally {
      for (const s of slow) s.socket.destroy();
    }
  });

  it('a steady flood of new trickling connections from one address: other calls are still admitted, after a short wait', async () => {
    const slow: Array<ReturnType<typeof slowTokenRequest>> = [];
    const statuses: number[] = [];
    let flooding = true;
    // 60 new slow connections a second: each held a place for a whole second before, so the 8 were always taken.
    const flood = (async () => {
      while (flooding) {
        slow.push(slowTokenRequest());
        await sleep(1000 / 60);
      }
    })();
    try {
      await sleep(500);
      const until = Date.now() + 3_000;
      while (Date.now() < until) {
        const read = await fetch(`${spine.url}${READ}`, { headers: { 'x-request-id': crypto.randomUUID() } });
        statuses.push(read.status);
        await read.arrayBuffer();
      }
    } finally {
      flooding = false;
      await flood;
      for (const s of slow) s.socket.destroy();
    }
    const admitted = statuses.filter((s) => s === 401).length;
    assert.ok(statuses.length >= 5, `too few calls made: ${statuses.length}`);
    assert.ok(admitted >= 0.9 * statuses.length, `admitted (401) ${admitted} of ${statuses.length}: ${JSON.stringify(statuses)}`);
  });
});
