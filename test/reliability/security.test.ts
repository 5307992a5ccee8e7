import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startSpineOnOwnPostgres, startTestSpine, untilHealthy, type OwnPostgres, type SpineOnOwnPostgres, type TestSpine } from '../support/spine.js';
import { createAppAndToken, userToken, type AppToken } from '../support/identity.js';
import { MB1, MB2, MB3, V2, mesh, meshAuthorization, sendMessage, workflowFor } from '../messaging/support/mesh-client.js';
import { MENTAL_HEALTH_CRISIS_PLAN, NEWS2, call as nrl, nextNhsNumber, pointerBody } from '../record-locator/support.js';
import { assertionParts, clientCredentials, postToken, registerApp, signRaw } from '../identity/fixtures.js';
import { setPointerTypes } from '../../src/services/record-locator/api.js';
import { mintDemoIdToken } from '../../src/services/identity/api.js';

// Standing suite "Security" (issue 9). What test/route-protection.test.ts covers is not repeated
// here (every route without credentials is 401/403, and none is left unprotected by accident), nor
// what the services' own tests pin (PDS idempotent replays keyed by caller: test/demographics/
// replays.test.ts; list and count NHSMESH headers after a crash: test/messaging/nonce-durability.test.ts).
// Here: one application cannot read or act as another across NRL, MESH and audit; the count of
// audit records is the count of patient-data accesses made; and client assertions, ID tokens and a
// MESH send header, once used, stay refused after PostgreSQL is SIGKILLed.

const PDS = '/personal-demographics/FHIR/R4/Patient';
const AUDIT = '/audit/FHIR/R4/AuditEvent';
const APP_AGENT = 'urn:openspine:application-id|';

const bearer = (t: AppToken, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${t.token}`, 'x-request-id': randomUUID(), ...extra });

async function getJson(spine: TestSpine, path: string, headers: Record<string, string>) {
  const response = await fetch(`${spine.url}${path}`, { headers });
  return { status: response.status, headers: response.headers, body: await response.json() as any };
}

/** Every audit record of the calls made by one application, as the audit service serves them to a privacy officer. */
async function auditedCallsOf(spine: TestSpine, appId: string): Promise<Array<{ action: string; requestId: string }>> {
  const officer = await userToken(spine, { roleCode: 'R9901', odsCode: 'X26', userId: '555000000003', roleProfileId: '555000000103' });
  const found = await getJson(spine, `${AUDIT}?agent=${encodeURIComponent(`${APP_AGENT}${appId}`)}&_count=1000`, bearer(officer));
  assert.equal(found.status, 200, JSON.stringify(found.body));
  assert.ok(!found.body.link?.some((l: { relation: string }) => l.relation === 'next'), 'more than one page of audit records');
  return (found.body.entry ?? []).map((e: any) => ({
    action: e.resource.type?.code ?? e.resource.subtype?.[0]?.code ?? '',
    requestId: e.resource.entity.find((x: any) => x.what?.identifier?.system === 'urn:openspine:x-request-id')?.what.identifier.value,
  }));
}

describe('security: one application cannot read or act as another', { timeout: 120_000 }, () => {
  let spine: TestSpine;
  before(async () => {
    spine = await startTestSpine();
  });
  after(async () => spine?.close());

  it('NRL: a producer cannot read, change or delete another organisation\'s pointer, nor act for that organisation by naming it', async () => {
    const a = await createAppAndToken(spine, { activities: ['record-locator:produce', 'record-locator:consume'], odsCode: 'RSEC1' });
    const b = await createAppAndToken(spine, { activities: ['record-locator:produce', 'record-locator:consume'], odsCode: 'RSEC2' });
    await setPointerTypes(spine.ctx.db, a.principal.appId, 'RSEC1', [MENTAL_HEALTH_CRISIS_PLAN, NEWS2]);
    await setPointerTypes(spine.ctx.db, b.principal.appId, 'RSEC2', [MENTAL_HEALTH_CRISIS_PLAN, NEWS2]);
    const asA = { authorization: `Bearer ${a.token}` };
    const asB = { authorization: `Bearer ${b.token}` };
    const nhsNumber = nextNhsNumber();
    const created = await nrl(spine, 'POST', '/producer/FHIR/R4/DocumentReference', asA, { body: pointerBody('RSEC1', nhsNumber) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.headers.get('location')!.split('/').pop()!;
    const original = await nrl(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, asA);
    assert.equal(original.status, 200);

    const path = `/producer/FHIR/R4/DocumentReference/${id}`;
    const attempts = {
      read: await nrl(spine, 'GET', path, asB),
      update: await nrl(spine, 'PUT', path, asB, { body: { ...original.body, docStatus: 'amended' } }),
      delete: await nrl(spine, 'DELETE', path, asB),
      // B names A's organisation: B holds no pointer types there, so it is refused whatever it asks.
      readNamingA: await nrl(spine, 'GET', path, { ...asB, 'nhsd-end-user-organisation-ods': 'RSEC1' }),
      deleteNamingA: await nrl(spine, 'DELETE', path, { ...asB, 'nhsd-end-user-organisation-ods': 'RSEC1' }),
      createNamingA: await nrl(spine, 'POST', '/producer/FHIR/R4/DocumentReference', { ...asB, 'nhsd-end-user-organisation-ods': 'RSEC1' }, { body: pointerBody('RSEC1', nhsNumber) }),
      // Its own organisation, but a pointer whose custodian is A's.
      createForA: await nrl(spine, 'POST', '/producer/FHIR/R4/DocumentReference', asB, { body: pointerBody('RSEC1', nhsNumber) }),
    };
    assert.deepEqual(Object.fromEntries(Object.entries(attempts).map(([k, r]) => [k, r.status])),
      { read: 403, update: 403, delete: 403, readNamingA: 403, deleteNamingA: 403, createNamingA: 403, createForA: 400 });
    // Nothing changed: A's pointer as it was, and the patient has that one pointer only.
    const after = await nrl(spine, 'GET', path, asA);
    assert.deepEqual(after.body, original.body);
    const search = await nrl(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`)}`, asA);
    assert.equal(search.status, 200);
    assert.deepEqual(search.body.entry.map((e: any) => e.resource.id), [id]);
  });

  it('MESH: a mailbox cannot download, acknowledge or track a message of another mailbox, even by its id', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, `for ${MB2} only ${randomUUID()}`);
    const status = async (path: string, as: string, method = 'GET') => (await mesh(spine.url, path, { method, version: 2, as })).status;
    assert.deepEqual({
      downloadFromOwnInbox: await status(`/${MB3}/inbox/${id}`, MB3),
      acknowledgeInOwnInbox: await status(`/${MB3}/inbox/${id}/status/acknowledged`, MB3, 'PUT'),
      downloadFromRecipientsInbox: await status(`/${MB2}/inbox/${id}`, MB3),
      acknowledgeInRecipientsInbox: await status(`/${MB2}/inbox/${id}/status/acknowledged`, MB3, 'PUT'),
      trackAsOther: await status(`/${MB3}/outbox/tracking?messageID=${id}`, MB3),
      trackInSendersOutbox: await status(`/${MB1}/outbox/tracking?messageID=${id}`, MB3),
      // A send "from" another mailbox with one's own credentials.
      sendAsSender: (await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 2, as: MB3, body: 'forged',
        headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': workflowFor(MB1, MB2) } })).status,
    }, {
      // The message exists but is not its to see (messaging/handlers/receive.ts: NOT_RECIPIENT).
      downloadFromOwnInbox: 403, acknowledgeInOwnInbox: 403, downloadFromRecipientsInbox: 403, acknowledgeInRecipientsInbox: 403,
      trackAsOther: 404, trackInSendersOutbox: 403, sendAsSender: 403,
    });
    // The recipient still has it, unacknowledged, and nothing forged arrived.
    const inbox = await (await mesh(spine.url, `/${MB2}/inbox`, { version: 2 })).json() as { messages: string[] };
    assert.ok(inbox.messages.includes(id));
    const download = await mesh(spine.url, `/${MB2}/inbox/${id}`, { version: 2 });
    assert.equal(download.status, 200);
    assert.match(await download.text(), /^for X26ABC2 only/);
  });

  it('audit: an application with audit:read sees its own calls and none of another\'s, whatever it asks for', async () => {
    const reader = await createAppAndToken(spine, { activities: ['patient:read', 'audit:read'] });
    const other = await createAppAndToken(spine, { activities: ['patient:read', 'audit:read'] });
    for (const t of [reader, other]) assert.equal((await getJson(spine, `${PDS}/9000000009`, bearer(t))).status, 200);
    const byPatient = await getJson(spine, `${AUDIT}?patient=9000000009&_count=1000`, bearer(reader));
    assert.equal(byPatient.status, 200);
    const agentsOf = (entry: any[]) => new Set(entry.flatMap((e) => e.resource.agent.filter((a: any) => a.who?.type === 'Device').map((a: any) => a.who.identifier.value)));
    assert.ok(byPatient.body.entry.length >= 1);
    assert.deepEqual([...agentsOf(byPatient.body.entry)].filter((v) => v !== reader.principal.appId), [], 'only its own calls');
    const byOtherAgent = await getJson(spine, `${AUDIT}?agent=${encodeURIComponent(`${APP_AGENT}${other.principal.appId}`)}`, bearer(reader));
    assert.equal(byOtherAgent.status, 200);
    assert.equal(byOtherAgent.body.total ?? byOtherAgent.body.entry?.length ?? 0, 0);
    // The other's record by its id is not found (its existence is not disclosed).
    const theirs = await getJson(spine, `${AUDIT}?agent=${encodeURIComponent(`${APP_AGENT}${other.principal.appId}`)}`, bearer(other));
    const theirId = theirs.body.entry[0].resource.id as string;
    assert.equal((await getJson(spine, `${AUDIT}/${theirId}`, bearer(reader))).status, 404);
    assert.equal((await getJson(spine, `${AUDIT}/${theirId}`, bearer(other))).status, 200);
  });
});

describe('security: the audit trail counts every patient-data access made', { timeout: 120_000 }, () => {
  let spine: TestSpine;
  before(async () => {
    spine = await startTestSpine();
  });
  after(async () => spine?.close());

  it('a known number of PDS reads, searches and updates and NRL reads and searches gives exactly that many audit records, one per request', async () => {
    // One clinician's application for PDS and NRL consumption; NRL pointers are produced by another.
    const clinician = await userToken(spine, { roleCode: 'R8000', odsCode: 'A83008' });
    const producer = await createAppAndToken(spine, { activities: ['record-locator:produce'], odsCode: 'RSEC3' });
    await setPointerTypes(spine.ctx.db, producer.principal.appId, 'RSEC3', [MENTAL_HEALTH_CRISIS_PLAN]);
    await setPointerTypes(spine.ctx.db, clinician.principal.appId, 'A83008', [MENTAL_HEALTH_CRISIS_PLAN]);
    const nhsNumbers = [nextNhsNumber(), nextNhsNumber()];
    const pointerIds: string[] = [];
    for (const n of nhsNumbers) {
      const created = await nrl(spine, 'POST', '/producer/FHIR/R4/DocumentReference', { authorization: `Bearer ${producer.token}` }, { body: pointerBody('RSEC3', n) });
      assert.equal(created.status, 201);
      pointerIds.push(created.headers.get('location')!.split('/').pop()!);
    }

    const made: Array<{ kind: string; requestId: string }> = [];
    const access = async (kind: string, method: string, path: string, expect: number, extra: Record<string, string> = {}, body?: string) => {
      const requestId = randomUUID();
      const response = await fetch(`${spine.url}${path}`, { method, headers: { authorization: `Bearer ${clinician.token}`, 'x-request-id': requestId, ...extra }, body });
      const text = await response.text();
      assert.equal(response.status, expect, `${kind}: ${text}`);
      made.push({ kind, requestId });
      return { response, text };
    };
    const PATIENTS = ['9000000009', '9000000017', '9000000025'];
    for (let i = 0; i < 7; i++) await access('pds read', 'GET', `${PDS}/${PATIENTS[i % PATIENTS.length]}`, 200);
    for (let i = 0; i < 4; i++) await access('pds search', 'GET', `${PDS}?family=Smith&gender=female&birthdate=eq2010-10-22`, 200);
    for (let i = 0; i < 2; i++) await access('pds fuzzy search', 'GET', `${PDS}?family=Smyth&given=Jane&birthdate=eq2010-10-22&_fuzzy-match=true`, 200);
    for (let i = 0; i < 3; i++) {
      const read = await access('pds read', 'GET', `${PDS}/9000000009`, 200);
      const gender = (JSON.parse(read.text) as { gender: string }).gender === 'female' ? 'male' : 'female';
      await access('pds update', 'PATCH', `${PDS}/9000000009`, 200, { 'content-type': 'application/json-patch+json', 'if-match': read.response.headers.get('etag')! },
        JSON.stringify({ patches: [{ op: 'replace', path: '/gender', value: gender }] }));
    }
    for (const id of pointerIds) await access('nrl read', 'GET', `/record-locator/consumer/FHIR/R4/DocumentReference/${id}`, 200);
    for (const n of [...nhsNumbers, nextNhsNumber()]) {
      await access('nrl search', 'GET', `/record-locator/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${n}`)}`, 200);
    }
    assert.equal(made.length, 7 + 4 + 2 + 3 * 2 + 2 + 3);

    const audited = await auditedCallsOf(spine, clinician.principal.appId);
    assert.equal(audited.length, made.length, `${made.length} accesses, ${audited.length} audit records: ${JSON.stringify(audited.map((a) => a.action))}`);
    // One record for each request, none for a request not made.
    assert.deepEqual(audited.map((a) => a.requestId).sort(), made.map((m) => m.requestId).sort());
  });
});

describe('security: replayed credentials stay refused after PostgreSQL is SIGKILLed', { timeout: 180_000 }, () => {
  let postgres: OwnPostgres;
  let spine: TestSpine;
  let own: SpineOnOwnPostgres;

  before(async () => {
    ({ postgres, spine } = own = await startSpineOnOwnPostgres());
  });
  after(async () => {
    await own?.close();
  });

  it('a client assertion, an ID token and a MESH send header used just before the crash are refused after it', async () => {
    const app = await registerApp(spine, { activities: ['patient:read', 'patient:search'] });
    const assertion = () => signRaw(assertionParts(app).header, assertionParts(app).claims, app.key.privateKeyPem);
    const usedAssertion = assertion();
    const idToken = await mintDemoIdToken(spine.ctx, { userId: '555000000001', roleProfileId: '555000000101', clientId: app.apiKey });
    const exchange = (subjectToken: string, clientAssertion: string) => postToken(spine, {
      ...clientCredentials(clientAssertion), grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token', subject_token: subjectToken,
    });
    const sendHeader = meshAuthorization(MB1);
    const send = () => fetch(`${spine.url}/messageexchange/${MB1}/outbox`, {
      method: 'POST', body: 'sent once',
      headers: { authorization: sendHeader, accept: V2, 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': workflowFor(MB1, MB2) },
    });

    // The crash comes in the instant after the uses: hold the processes that would write the WAL
    // out in the background (an unsynchronised commit would stay in memory only).
    const writers = postgres.serverPidsNamed(/postgres: (walwriter|background writer|checkpointer)/);
    assert.equal(writers.length, 3);
    for (const pid of writers) process.kill(pid, 'SIGSTOP');
    const first = {
      assertion: (await postToken(spine, clientCredentials(usedAssertion))).status,
      idToken: (await exchange(idToken, assertion())).status,
      mesh: (await send()).status,
    };
    assert.deepEqual(first, { assertion: 200, idToken: 200, mesh: 202 });

    postgres.signalAll('SIGKILL');
    await postgres.waitUntilUp();
    await untilHealthy(spine, 30_000);

    const replayedAssertion = await postToken(spine, clientCredentials(usedAssertion));
    const replayedIdToken = await exchange(idToken, assertion());
    const replayedSend = await send();
    const meshBody = await replayedSend.json() as { detail?: Array<{ msg: string }> };
    assert.deepEqual({
      assertion: [replayedAssertion.status, replayedAssertion.body.error_description],
      idToken: [replayedIdToken.status, replayedIdToken.body.error_description],
      mesh: [replayedSend.status, meshBody.detail?.[0]?.msg],
    }, {
      assertion: [400, 'Non-unique jti claim in JWT'],
      idToken: [400, 'Non-unique jti claim in subject_token - an ID token is exchanged once'],
      mesh: [403, 'Error Duplicated Authentication Token'],
    });
    // The store works after the crash: fresh credentials are accepted.
    assert.equal((await postToken(spine, clientCredentials(assertion()))).status, 200);
  });
});
