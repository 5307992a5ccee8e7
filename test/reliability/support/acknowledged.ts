import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { MB2, V2, meshAuthorization } from '../../messaging/support/mesh-client.js';
import { type CrashClient, type Ledger, NRL_ORG, PDS } from './crash-load.js';

export interface AcknowledgedCheck {
  client: CrashClient;
  ledger: Ledger;
  /** The database, read directly to count what is stored. */
  databaseUrl: string;
  userBearer: string;
  appBearer: string;
  /** MESH messages already in the inbox before the load began. */
  initialInbox: Set<string>;
}

/**
 * Every write the load client was told succeeded is there exactly once, with its audit record;
 * what got no answer landed at most once; no MESH message is lost, duplicated or back after its
 * acknowledgement. Shared by the crash suite (test/reliability) and the failover suite
 * (test/resilience).
 */
export async function verifyAcknowledged({ client, ledger, databaseUrl, userBearer, appBearer, initialInbox }: AcknowledgedCheck) {
  const pdsReader = () => ({ authorization: `Bearer ${userBearer}`, 'x-request-id': randomUUID() });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // PDS creates: each acknowledged one stored once, under the NHS number it was given; an
    // unanswered one (retried with its X-Request-ID) at most once.
    for (const [id, { family }] of ledger.pdsCreated) {
      const { rows } = await db.query('SELECT nhs_number FROM demographics.patients WHERE lower(family) = lower($1)', [family]);
      assert.deepEqual(rows.map((r) => r.nhs_number), [id], `acknowledged create ${family} stored exactly once`);
      assert.equal((await client.settledCall(`${PDS}/Patient/${id}`, { headers: pdsReader })).status, 200);
    }
    for (const family of ledger.pdsCreateUnanswered) {
      const { rows } = await db.query('SELECT nhs_number FROM demographics.patients WHERE lower(family) = lower($1)', [family]);
      assert.ok(rows.length <= 1, `unanswered create ${family} stored ${rows.length} times`);
    }
    // PDS PATCHes: each applied once (one version each), the last acknowledged one in place.
    for (const [id, patches] of ledger.pdsPatched) {
      const read = await client.settledCall(`${PDS}/Patient/${id}`, { headers: pdsReader });
      const version = Number(/W\/"(\d+)"/.exec(read.headers.get('etag') ?? '')?.[1]);
      const last = patches.at(-1)!;
      assert.ok(version - 1 >= patches.length, `${id}: ${patches.length} acknowledged patches but version ${version}`);
      assert.ok(version - 1 <= ledger.pdsPatchTried.get(id)!, `${id}: version ${version} after ${ledger.pdsPatchTried.get(id)} patches tried`);
      assert.ok(version >= last.version, `${id}: version ${version} older than acknowledged ${last.version}`);
      if (version === last.version) assert.equal((JSON.parse(read.text) as { gender: string }).gender, last.gender, `${id}: last acknowledged patch in place`);
    }
    // NRL creates: each acknowledged pointer readable and stored once.
    for (const [id, { url }] of ledger.nrlCreated) {
      const { rows } = await db.query(`SELECT id FROM record_locator.pointers WHERE resource->'content'->0->'attachment'->>'url' = $1`, [url]);
      assert.deepEqual(rows.map((r) => r.id), [id], `acknowledged pointer ${id} stored exactly once`);
      const read = await client.settledCall(`/record-locator/producer/FHIR/R4/DocumentReference/${id}`, { headers: () => ({ authorization: `Bearer ${appBearer}`, 'nhsd-end-user-organisation-ods': NRL_ORG, 'x-request-id': randomUUID() }) });
      assert.equal(read.status, 200, read.text);
    }
    for (const url of ledger.nrlUnanswered) {
      const { rows } = await db.query(`SELECT id FROM record_locator.pointers WHERE resource->'content'->0->'attachment'->>'url' = $1`, [url]);
      assert.ok(rows.length <= 1, `unanswered pointer ${url} stored ${rows.length} times`);
    }
    // MESH: every accepted message stored once; an acknowledged one never back in the inbox; an
    // unacknowledged one in it exactly once with its body; nothing in it twice.
    const listed = (await client.inbox()).filter((id) => !initialInbox.has(id));
    assert.equal(new Set(listed).size, listed.length, 'no message listed twice');
    const stored = await db.query('SELECT count(*)::int AS n FROM messaging.messages WHERE message_id = ANY($1)', [[...ledger.meshSent.keys()]]);
    assert.equal(stored.rows[0].n, ledger.meshSent.size, 'every accepted message stored');
    for (const id of ledger.meshAcked) assert.ok(!listed.includes(id), `acknowledged ${id} reappeared in the inbox`);
    const extra = listed.filter((id) => !ledger.meshSent.has(id));
    assert.ok(extra.length <= ledger.meshUnanswered, `${extra.length} unknown messages in the inbox, ${ledger.meshUnanswered} sends unanswered`);
    for (const [id] of ledger.meshSent) {
      if (!ledger.meshAcked.has(id) && !ledger.meshAckUnanswered.has(id)) assert.ok(listed.includes(id), `accepted ${id} lost from the inbox`);
    }
    // An acknowledgement is durable; one that got no answer either landed or left the message waiting.
    const acknowledgedEvents = await db.query(`SELECT DISTINCT message_id FROM messaging.message_events WHERE status = 'acknowledged' AND message_id = ANY($1)`,
      [[...ledger.meshAcked, ...ledger.meshAckUnanswered, ...listed]]);
    const acknowledged = new Set(acknowledgedEvents.rows.map((r) => r.message_id as string));
    for (const id of ledger.meshAcked) assert.ok(acknowledged.has(id), `acknowledged ${id} has no acknowledged event`);
    for (const id of ledger.meshAckUnanswered) assert.ok(acknowledged.has(id) !== listed.includes(id), `${id}: acknowledged ${acknowledged.has(id)}, listed ${listed.includes(id)}`);
    for (const id of listed) assert.ok(!acknowledged.has(id), `${id} is acknowledged yet listed`);
    const bodies = new Set<string>();
    for (const id of listed) {
      const download = await client.settledCall(`/messageexchange/${MB2}/inbox/${id}`, { headers: () => ({ authorization: meshAuthorization(MB2), accept: V2 }) });
      assert.equal(download.status, 200, download.text);
      if (ledger.meshSent.has(id)) assert.equal(download.text, ledger.meshSent.get(id));
      assert.ok(!bodies.has(download.text), `message body ${download.text} delivered twice`);
      bodies.add(download.text);
    }
    // EPS: every acknowledged transition is in its prescription's history exactly once (by its
    // X-Request-ID, retried until answered), as the event it was; an unanswered one at most once;
    // a prescription whose claim was acknowledged is claimed.
    const epsRequests = [...ledger.epsTransitions.keys(), ...ledger.epsUnanswered.keys()];
    const history = await db.query('SELECT request_id, short_form_id, event FROM prescriptions.history WHERE request_id = ANY($1)', [epsRequests]);
    const recorded = new Map<string, Array<{ shortFormId: string; event: string }>>();
    for (const r of history.rows) recorded.set(r.request_id, [...(recorded.get(r.request_id) ?? []), { shortFormId: r.short_form_id, event: r.event }]);
    for (const [requestId, transition] of ledger.epsTransitions) {
      assert.deepEqual(recorded.get(requestId), [transition], `acknowledged EPS ${transition.event} of ${transition.shortFormId} (${requestId}) recorded exactly once`);
    }
    for (const [requestId, transition] of ledger.epsUnanswered) {
      assert.ok((recorded.get(requestId) ?? []).length <= 1, `unanswered EPS ${transition.event} of ${transition.shortFormId} recorded ${recorded.get(requestId)?.length} times`);
    }
    const claimed = [...ledger.epsTransitions.values()].filter((t) => t.event === 'claimed').map((t) => t.shortFormId);
    const states = await db.query('SELECT short_form_id, status FROM prescriptions.prescriptions WHERE short_form_id = ANY($1)', [claimed]);
    assert.deepEqual(states.rows.filter((r) => r.status !== 'claimed'), [], 'acknowledged claims whose prescription is not claimed');
    assert.equal(states.rows.length, claimed.length, 'every claimed prescription stored once');
    // Audit: every acknowledged write has its success record. NRL writes commit theirs with the
    // write (audit.pending): the serving process chains what a killed one left within seconds.
    for (let waited = 0; ; waited += 200) {
      const pending = (await db.query('SELECT count(*)::int AS n FROM audit.pending')).rows[0].n as number;
      if (pending === 0) break;
      assert.ok(waited < 15_000, `${pending} audit entries still pending 15 s after the load`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const requestIds = [...ledger.pdsCreated.values(), ...[...ledger.pdsPatched.values()].flat(), ...ledger.nrlCreated.values()].map((w) => w.requestId)
      .concat([...ledger.epsTransitions.keys()]);
    const audited = await db.query(`SELECT DISTINCT request_id FROM audit.events WHERE request_id = ANY($1) AND outcome = 'success'`, [requestIds]);
    const auditedIds = new Set(audited.rows.map((r) => r.request_id as string));
    assert.deepEqual(requestIds.filter((id) => !auditedIds.has(id)), [], 'acknowledged PDS/NRL/EPS writes without an audit record');
    for (const [action, ids] of [['message.send', [...ledger.meshSent.keys()]], ['message.acknowledge', [...ledger.meshAcked]]] as const) {
      const { rows } = await db.query(`SELECT DISTINCT resource FROM audit.events WHERE action = $1 AND outcome = 'success' AND resource = ANY($2)`, [action, ids.map((id) => `MeshMessage/${id}`)]);
      const seen = new Set(rows.map((r) => r.resource as string));
      assert.deepEqual(ids.filter((id) => !seen.has(`MeshMessage/${id}`)), [], `acknowledged MESH writes without a ${action} audit record`);
    }
  } finally {
    await db.end();
  }
}
