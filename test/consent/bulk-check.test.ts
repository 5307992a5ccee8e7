import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { mesh, MB1 } from '../messaging/support/mesh-client.js';
import { nextNhsNumber } from '../../src/platform/nhs-number.js';
import { call, consentFor, optOutInStore as optOutIn } from './support.js';
import { messagingApi } from '../../src/services/messaging/api.js';
import { directoryApi } from '../../src/services/directory/api.js';

/** The bulk opt-out check over HTTP and over MESH, on PostgreSQL, through the real server. */

/** `count` valid NHS numbers of the test range, from `stem`. */
function nhsNumbers(count: number, stem: number): string[] {
  const out: string[] = [];
  for (let s = stem; out.length < count;) {
    const next = nextNhsNumber(s);
    out.push(next.nhsNumber);
    s = next.stem;
  }
  return out;
}

describe('bulk opt-out check', () => {
  let spine: TestSpine;
  let checker: string;
  const population = nhsNumbers(20_000, 999_100_000);
  // Every 9th opted out, every 13th opted out and then withdrawn (inactive), one opted out from next year.
  const optedOut = population.filter((_, i) => i % 9 === 4);
  const withdrawn = population.filter((_, i) => i % 13 === 5 && i % 9 !== 4);
  const future = population[1]!;
  const expectedKept = population.filter((n) => !optedOut.includes(n));

  before(async () => {
    spine = await startTestSpine();
    checker = (await createAppAndToken(spine, { activities: ['consent:check'] })).token;
    await optOutIn(spine, optedOut);
    await optOutIn(spine, withdrawn, 'inactive');
    await optOutIn(spine, [future], 'active', `${new Date().getUTCFullYear() + 1}-01-01T00:00:00+00:00`);
  });
  after(async () => { await spine?.close(); });

  /** The check a request made, once the checker has closed it (60 s at most). */
  async function closedCheck(requestId: string): Promise<{ state: string; outcome: string | null }> {
    const deadline = Date.now() + 60_000;
    let job: { state: string; outcome: string | null } | undefined;
    while (job?.state !== 'done') {
      if (Date.now() > deadline) throw new Error(`the request was not closed: ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 500));
      job = (await spine.ctx.db.query('SELECT state, outcome FROM consent.bulk_checks WHERE message_id = $1', [requestId])).rows[0];
    }
    return job;
  }

  const check = (body: BodyInit, token = checker, contentType = 'text/plain') => fetch(`${spine.url}/consent/check`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body, duplex: 'half',
  } as RequestInit);

  it('over HTTP: a streamed list comes back without the opted-out patients, in the file\'s own form', async () => {
    async function* file() {
      for (let i = 0; i < population.length; i += 1_000) yield Buffer.from(population.slice(i, i + 1_000).map((n) => `${n},\r\n`).join(''));
    }
    const response = await check(Readable.toWeb(Readable.from(file())) as unknown as BodyInit);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /^text\/plain/);
    // The answer starts before the list is read to its end, yet it is read to its end by the time
    // the answer is: the connection may carry the client's next request.
    assert.notEqual(response.headers.get('connection'), 'close');
    const lines = (await response.text()).split('\n').filter(Boolean);
    assert.equal(lines.length, expectedKept.length);
    assert.deepEqual(lines, expectedKept.map((n) => `${n},`));
    const audited = await spine.ctx.db.query(`SELECT detail FROM audit.events WHERE action = 'consent.bulk-check'`);
    assert.equal(audited.rows[0].detail.channel, 'http');
  });

  it('over HTTP: an invalid NHS number gets an error line of its own saying which line and why; the valid ones are still checked', async () => {
    const [a, b] = [population[0]!, optedOut[0]!];
    const response = await check(`${a},\n12345,\n${a.slice(0, 9)}${(Number(a[9]) + 1) % 10},\n\n${b},\n943 476 5919\n`);
    assert.equal(response.status, 200);
    assert.deepEqual((await response.text()).split('\n'), [
      `${a},`,
      "ERROR line 2: '12345,' is not a valid NHS number: an NHS number is 10 digits with no spaces or hyphens",
      `ERROR line 3: '${a.slice(0, 9)}${(Number(a[9]) + 1) % 10},' is not a valid NHS number: its check digit is wrong (Modulus 11)`,
      "ERROR line 6: '943 476 5919' is not a valid NHS number: an NHS number is 10 digits with no spaces or hyphens",
      '',
    ]);
  });

  it('over HTTP: needs consent:check (403), a token (401) and a text body (400), in the FHIR error shape', async () => {
    const other = (await createAppAndToken(spine, { activities: ['consent:read'] })).token;
    assert.equal((await check('9434765919\n', other)).status, 403);
    assert.equal((await fetch(`${spine.url}/consent/check`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '9434765919\n' })).status, 401);
    const json = await check('{}', checker, 'application/json');
    assert.equal(json.status, 400);
    const outcome = await json.json() as any;
    assert.equal(outcome.resourceType, 'OperationOutcome');
    assert.equal(outcome.issue[0].diagnostics, "Invalid value - 'application/json' in header 'Content-Type'");
  });

  it('over HTTP: a long refused Content-Type is quoted by its first 100 characters and its length, not whole', async () => {
    const contentType = `text/plain; ${'a'.repeat(5_000)}`;
    const response = await check('9434765919\n', checker, contentType);
    assert.equal(response.status, 400);
    const outcome = await response.json() as any;
    assert.equal(outcome.issue[0].diagnostics, `Invalid value - '${contentType.slice(0, 100)}… (${contentType.length} characters)' in header 'Content-Type'`);
  });

  it('over HTTP: a Content-Encoding other than identity is 415, as for JSON bodies; the list is not read as text', async () => {
    const [kept] = population;
    for (const coding of ['gzip', 'br', 'x-made-up']) {
      const response = await fetch(`${spine.url}/consent/check`, {
        method: 'POST', headers: { authorization: `Bearer ${checker}`, 'content-type': 'text/plain', 'content-encoding': coding }, body: gzipSync(`${kept},\n`),
      });
      assert.equal(response.status, 415, coding);
      const outcome = await response.json() as any;
      assert.equal(outcome.resourceType, 'OperationOutcome');
      assert.equal(outcome.issue[0].details.coding[0].code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.equal(outcome.issue[0].diagnostics, `Unsupported Content-Encoding '${coding}': a body is read as sent`);
    }
    const identity = await fetch(`${spine.url}/consent/check`, {
      method: 'POST', headers: { authorization: `Bearer ${checker}`, 'content-type': 'text/plain', 'content-encoding': 'identity' }, body: `${kept},\n`,
    });
    assert.equal(identity.status, 200);
    assert.equal(await identity.text(), `${kept},\n`);
  });

  it('the API\'s own flags count: an opt-out made through the Consent API is removed; a withdrawn one is not', async () => {
    const writer = (await createAppAndToken(spine, { activities: ['consent:write', 'consent:read'] })).token;
    assert.equal((await call(spine, 'POST', '/consent/STU3/Consent', writer, consentFor('9000000009'))).status, 201);
    const created = await call(spine, 'POST', '/consent/STU3/Consent', writer, consentFor('9000000017'));
    assert.equal(created.status, 201);
    const withdrawn = await call(spine, 'PUT', `/consent/STU3/Consent/${created.body.id}`, writer,
      { ...consentFor('9000000017'), id: created.body.id, status: 'inactive', dateTime: '2018-01-01T00:00:00+00:00' });
    assert.equal(withdrawn.status, 200);
    const response = await check('9000000009\n9000000017\n9000000025\n');
    assert.equal(await response.text(), '9000000017,\n9000000025,\n');
  });

  /** Waits for `count` messages in `mailbox`'s inbox (the check's worker polls every 2 s). */
  async function inbox(mailbox: string, count: number): Promise<string[]> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const listed = await (await mesh(spine.url, `/${mailbox}/inbox`, { version: 2 })).json() as { messages: string[] };
      if (listed.messages.length >= count) return listed.messages;
      if (Date.now() > deadline) throw new Error(`only ${listed.messages.length} of ${count} messages arrived in ${mailbox}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  async function download(mailbox: string, messageId: string) {
    const response = await mesh(spine.url, `/${mailbox}/inbox/${messageId}`, { version: 2 });
    assert.equal(response.status, 200);
    const body = await response.text();
    await mesh(spine.url, `/${mailbox}/inbox/${messageId}/status/acknowledged`, { method: 'PUT', version: 2 });
    return { headers: response.headers, body };
  }
  const sendFile = async (body: string, localId: string) => {
    const response = await mesh(spine.url, `/${MB1}/outbox`, {
      method: 'POST', version: 2, body,
      headers: { 'content-type': 'text/plain', 'mex-to': 'X26HC065', 'mex-workflowid': 'SPINE_NTT_UPHOLDING', 'mex-localid': localId, 'mex-subject': `${MB1}-011226-0001`, 'mex-filename': `${localId}.dat` },
    });
    assert.equal(response.status, 202, await response.clone().text());
    return ((await response.json()) as { message_id: string }).message_id;
  };

  it('over MESH: a file sent with a LocalID gets "job created", then the file of those not opted out, both with its LocalID', async () => {
    const requestId = await sendFile(population.map((n) => `${n},\n`).join(''), 'ndop-check-1');
    const [jobId, resultId] = await inbox(MB1, 2);
    const job = await download(MB1, jobId!);
    assert.equal(job.body, 'A processing job has been created in POS to clean the supplied file.\n');
    assert.equal(job.headers.get('mex-localid'), 'ndop-check-1');
    assert.equal(job.headers.get('mex-from'), 'X26HC065');
    assert.equal(job.headers.get('mex-workflowid'), 'SPINE_NTT_UPHOLDING');
    const result = await download(MB1, resultId!);
    assert.equal(result.headers.get('mex-localid'), 'ndop-check-1');
    assert.equal(result.headers.get('mex-subject'), `${MB1}-011226-0001`);
    assert.equal(result.headers.get('mex-filename'), 'ndop-check-1.dat');
    assert.deepEqual(result.body.split('\n').filter(Boolean), expectedKept.map((n) => `${n},`));
    // The request left the service's inbox and its job is recorded and audited.
    const job_ = await spine.ctx.db.query('SELECT state, numbers_in, numbers_out, outcome FROM consent.bulk_checks WHERE message_id = $1', [requestId]);
    assert.deepEqual(job_.rows[0], { state: 'done', numbers_in: population.length, numbers_out: expectedKept.length, outcome: 'checked' });
    const audited = await spine.ctx.db.query(`SELECT detail FROM audit.events WHERE action = 'consent.bulk-check' AND request_id = $1`, [requestId]);
    assert.equal(audited.rows[0].detail.mailbox, MB1);
    const tracking = await (await mesh(spine.url, `/${MB1}/outbox/tracking?messageID=${requestId}`, { version: 2 })).json() as { status: string };
    assert.equal(tracking.status, 'acknowledged');
  });

  it('over MESH: a file with an invalid NHS number is refused whole with NHS England\'s one-line reply', async () => {
    await sendFile(`${population[0]},\n9434765918,\n${population[2]},\n`, 'ndop-check-2');
    const [jobId, resultId] = await inbox(MB1, 2);
    assert.equal((await download(MB1, jobId!)).headers.get('mex-localid'), 'ndop-check-2');
    const result = await download(MB1, resultId!);
    assert.equal(result.body, 'The file contains one or more invalid NHS Numbers.\n');
    assert.equal(result.headers.get('mex-localid'), 'ndop-check-2');
  });

  it('over MESH: a request whose sender takes no reply (its mailbox not registered, or disabled since) is closed as undeliverable, audited and acknowledged, not tried again', async () => {
    // A sender the directory does not know (a national service may post without a mailbox): no reply can reach it.
    const posted = await spine.ctx.db.tx((tx) => messagingApi(spine.ctx.db).postMessage(tx, {
      sender: { mailboxId: 'GONE001', mailboxName: 'A mailbox since removed', odsCode: 'GONE' }, recipient: 'X26HC065',
      workflowId: 'SPINE_NTT_UPHOLDING', body: Buffer.from(`${population[0]},\n`), localId: 'ndop-check-3',
    }, new Date()));
    assert.equal(posted.status, 'accepted');
    const requestId = (posted as { messageId: string }).messageId;
    assert.equal((await closedCheck(requestId)).outcome, 'undeliverable');
    const audited = await spine.ctx.db.query(`SELECT outcome, detail FROM audit.events WHERE action = 'consent.bulk-check' AND request_id = $1`, [requestId]);
    assert.deepEqual(audited.rows.map((r) => [r.outcome, r.detail.outcome, r.detail.mailbox]), [['failure', 'undeliverable', 'GONE001']]);
    const history = await messagingApi(spine.ctx.db).messageHistory(requestId);
    assert.equal(history?.tracked.state, 'acknowledged');
  });

  it('over MESH: a request whose sender\'s organisation was disabled since gets no reply (MESH takes nothing for its mailboxes): closed as undeliverable', async () => {
    const directory = directoryApi(spine.ctx.db);
    await directory.upsertOrganisation({ odsCode: 'Y9910', name: 'Closed practice', role: 'gp-practice', active: false });
    await directory.upsertMailbox({ mailboxId: 'Y9910MB', mailboxName: 'Closed practice', odsCode: 'Y9910', orgCode: 'Y9910', password: 'secret', active: true });
    // Sent before its organisation was disabled (a disabled organisation's mailbox cannot authenticate to send).
    const posted = await spine.ctx.db.tx((tx) => messagingApi(spine.ctx.db).postMessage(tx, {
      sender: { mailboxId: 'Y9910MB', mailboxName: 'Closed practice', odsCode: 'Y9910' }, recipient: 'X26HC065',
      workflowId: 'SPINE_NTT_UPHOLDING', body: Buffer.from(`${population[0]},\n`), localId: 'ndop-check-4',
    }, new Date()));
    assert.equal(posted.status, 'accepted');
    const requestId = (posted as { messageId: string }).messageId;
    assert.equal((await closedCheck(requestId)).outcome, 'undeliverable');
    const delivered = await spine.ctx.db.query('SELECT count(*)::int AS n FROM messaging.messages WHERE recipient = $1', ['Y9910MB']);
    assert.equal(delivered.rows[0].n, 0);
  });
});
