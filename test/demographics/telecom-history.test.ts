import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, call, REGISTERING_AUTHORITY, type PdsHarness } from './support/pds.js';

const q = (params: Record<string, string>) => `Patient?${new URLSearchParams(params).toString()}`;
const ids = (json: any) => (json.entry ?? []).map((e: any) => e.resource.id);

describe('GET /Patient by email and phone: current contact details, previous ones only with history', () => {
  let h: PdsHarness;
  let id: string;
  const person = { family: 'Telford', given: 'Ada', birthdate: 'eq1971-03-09' };
  before(async () => {
    h = await startPds();
    const created = await call(h, 'Patient', {
      method: 'POST',
      body: {
        resourceType: 'Patient', gender: 'female', birthDate: '1971-03-09', extension: [REGISTERING_AUTHORITY],
        name: [{ use: 'usual', family: 'Telford', given: ['Ada'] }],
        address: [{ use: 'home', line: ['2 Mill Lane'], postalCode: 'LS2 7QR' }],
        telecom: [{ system: 'email', value: 'ada.old@example.com', use: 'home' }, { system: 'phone', value: '0113 496 0000', use: 'home' }],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    id = created.json.id;
    const patched = await call(h, `Patient/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json', 'if-match': 'W/"1"' },
      body: { patches: [{ op: 'replace', path: '/telecom', value: [{ system: 'email', value: 'Ada.New@example.com', use: 'home' }] }] },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
  });
  after(() => h.close());

  it('the current email and phone are found without history; a replaced one is not', async () => {
    assert.deepEqual(ids((await call(h, q({ ...person, email: 'ada.new@example.com' }))).json), [id]);
    assert.deepEqual(ids((await call(h, q({ ...person, email: 'ada.old@example.com' }))).json), []);
    assert.deepEqual(ids((await call(h, q({ ...person, phone: '01134960000' }))).json), []);
  });

  it('_history=true also matches the previous email and phone, scoring them as exact matches', async () => {
    const email = await call(h, q({ ...person, email: 'ada.old@example.com', _history: 'true' }));
    assert.deepEqual(ids(email.json), [id]);
    assert.equal(email.json.entry[0].search.score, 1);
    // The current record is returned, not the history that matched.
    assert.deepEqual(email.json.entry[0].resource.telecom.map((t: any) => t.value), ['Ada.New@example.com']);
    assert.deepEqual(ids((await call(h, q({ ...person, phone: '0113 4960000', _history: 'true' }))).json), [id]);
    assert.deepEqual(ids((await call(h, q({ ...person, phone: '0113 4960001', _history: 'true' }))).json), []);
  });

  it('a fuzzy search always searches previous emails and phones', async () => {
    const fuzzy = { family: 'Telfurd', given: 'Ada', birthdate: 'eq1971-03-09', '_fuzzy-match': 'true' };
    assert.deepEqual(ids((await call(h, q({ ...fuzzy, email: 'ada.old@example.com' }))).json), [id]);
    assert.deepEqual(ids((await call(h, q({ ...fuzzy, phone: '01134960000' }))).json), [id]);
    assert.deepEqual(ids((await call(h, q({ ...fuzzy, email: 'someone.else@example.com' }))).json), []);
  });

  it('keeps previous contact details in demographics.historic_telecoms, in normal form', async () => {
    const { rows } = await h.db.query('SELECT system, value FROM demographics.historic_telecoms WHERE nhs_number = $1 ORDER BY system', [id]);
    assert.deepEqual(rows, [{ system: 'email', value: 'ada.old@example.com' }, { system: 'phone', value: '01134960000' }]);
  });
});
