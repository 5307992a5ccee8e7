import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { call, nextNhsNumber, nrlApplication, pointerBody, MENTAL_HEALTH_CRISIS_PLAN, NEWS2 } from './support.js';

/**
 * Creates and searches that arrive together share statements (platform/db/coalesce.ts): each must
 * still get its own answer, and each created pointer its own event.
 */
describe('NRL under concurrent creates and searches', () => {
  let spine: TestSpine;
  let producer: Record<string, string>;
  let consumer: Record<string, string>;
  let narrowConsumer: Record<string, string>;

  before(async () => {
    spine = await startTestSpine();
    ({ identity: producer } = await nrlApplication(spine, 'ANGY1', ['record-locator:produce'], [MENTAL_HEALTH_CRISIS_PLAN, NEWS2]));
    ({ identity: consumer } = await nrlApplication(spine, 'RX898', ['record-locator:consume'], [MENTAL_HEALTH_CRISIS_PLAN, NEWS2]));
    ({ identity: narrowConsumer } = await nrlApplication(spine, 'RX899', ['record-locator:consume'], [NEWS2]));
  });
  after(async () => { await spine?.close(); });

  it('gives every patient its own pointers and totals, every create its own id and event', async () => {
    // Patient k has k pointers, k from 0 to 11: alternately crisis plans and NEWS2 charts.
    const patients = Array.from({ length: 12 }, (_, k) => ({ nhsNumber: nextNhsNumber(), count: k }));
    const creates = patients.flatMap((p) => Array.from({ length: p.count }, (_, i) => ({ nhsNumber: p.nhsNumber, type: i % 2 ? NEWS2 : MENTAL_HEALTH_CRISIS_PLAN })));
    const created = await Promise.all(creates.map(async (c) => {
      const response = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: pointerBody('ANGY1', c.nhsNumber, c.type) });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return { ...c, id: response.headers.get('location')!.split('/').pop()! };
    }));
    assert.equal(new Set(created.map((c) => c.id)).size, creates.length, 'distinct ids');
    const events = await spine.ctx.db.query<{ id: string; nhs_number: string }>(
      `SELECT payload->>'id' AS id, nhs_number FROM platform.outbox WHERE event_type = 'nrl-pointer-created' AND payload->>'id' = ANY($1)`, [created.map((c) => c.id)]);
    assert.equal(events.rowCount, creates.length, 'one event per pointer');
    for (const event of events.rows) assert.equal(event.nhs_number, created.find((c) => c.id === event.id)!.nhsNumber);

    // Every patient searched by two consumers of different types at once, some patients twice.
    const searches = [...patients, ...patients.slice(0, 5)].flatMap((p) => [
      { p, identity: consumer, types: [MENTAL_HEALTH_CRISIS_PLAN, NEWS2] },
      { p, identity: narrowConsumer, types: [NEWS2] },
    ]);
    const answers = await Promise.all(searches.map((s) => call(spine, 'GET',
      `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${s.p.nhsNumber}`)}`, s.identity)));
    searches.forEach((s, i) => {
      const answer = answers[i]!;
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const expected = created.filter((c) => c.nhsNumber === s.p.nhsNumber && s.types.includes(c.type)).map((c) => c.id).sort();
      assert.equal(answer.body.total, expected.length, `patient with ${s.p.count} pointers, types ${s.types.join(' ')}`);
      assert.deepEqual(answer.body.entry.map((e: { resource: { id: string } }) => e.resource.id).sort(), expected);
      for (const entry of answer.body.entry) assert.equal(entry.resource.subject.identifier.value, s.p.nhsNumber);
    });
  });
});
