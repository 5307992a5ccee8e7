import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, currentVersion, patchCurrent, stubErrorWith, type PdsHarness } from './support/pds.js';

const invalidUpdate = (reason: string) => stubErrorWith('INVALID_UPDATE', `Invalid update with error - ${reason}`);

const TEMP = { use: 'temp', text: 'Student Accommodation', period: { start: '2025-01-06', end: '2025-04-06' }, line: ['1 College Road', 'Leeds'], postalCode: 'LS2 9JT' };
const BILLING = { use: 'billing', period: { start: '2025-01-01', end: '2026-01-02' }, line: ['PO Box 12', 'Leeds'], postalCode: 'LS1 1AA' };
const addAddress = (value: object) => ({ patches: [{ op: 'add', path: '/address/-', value }] });

/**
 * PDS spec ("Address", "Be aware of the following business rules"): one address of each use, a
 * temp or billing address with a period that starts and ends (90 and 366 days at most), a temp
 * address with its description. Applied to what a PATCH adds or changes: the sandbox's 9000000009
 * holds a temp address of almost two years (2024-01-01 to 2025-12-31), as legacy data may.
 */
describe('PATCH /Patient/{id}: the address rules, on what a patch adds or changes', () => {
  let h: PdsHarness;
  before(async () => { h = await startPds(); });
  after(() => h.close());

  const assertRefused = async (id: string, body: unknown, status: number, expected: unknown) => {
    const before = await currentVersion(h, id);
    const res = await patchCurrent(h, id, body);
    assert.equal(res.status, status, JSON.stringify(res.json));
    assert.deepEqual(res.json, expected);
    assert.deepEqual(await currentVersion(h, id), before, 'nothing stored');
  };

  it('a second home address (5900059332), or a second temp or billing address, is 400 INVALID_UPDATE', async () => {
    await assertRefused('5900059332', addAddress({ use: 'home', line: ['2 Mill Lane', 'Leeds'], postalCode: 'LS1 6AE' }), 400,
      invalidUpdate("multiple 'home' addresses cannot be added"));
    await assertRefused('9000000009', addAddress(TEMP), 400, invalidUpdate("multiple 'temp' addresses cannot be added"));
    await assertRefused('9736363015', { patches: [{ op: 'add', path: '/address/-', value: BILLING }, { op: 'add', path: '/address/-', value: BILLING }] }, 400,
      invalidUpdate("multiple 'billing' addresses cannot be added"));
  });

  it('a temp or billing address without a period, or without its end, is 400 INVALID_UPDATE', async () => {
    const { period: _period, ...withoutPeriod } = TEMP;
    await assertRefused('9736363015', addAddress(withoutPeriod), 400,
      invalidUpdate("a 'temp' address must have a period with a start and an end date ('address/1')"));
    await assertRefused('9736363015', addAddress({ ...BILLING, period: { start: '2025-01-01' } }), 400,
      invalidUpdate("a 'billing' address must have a period with a start and an end date ('address/1')"));
  });

  it('a temp address of more than 90 days, a billing address of more than 366, is 400 INVALID_UPDATE', async () => {
    await assertRefused('9736363015', addAddress({ ...TEMP, period: { start: '2025-01-06', end: '2025-04-07' } }), 400,
      invalidUpdate("the period of a 'temp' address cannot be longer than 90 days ('address/1')"));
    await assertRefused('9736363015', addAddress({ ...BILLING, period: { start: '2025-01-01', end: '2026-01-03' } }), 400,
      invalidUpdate("the period of a 'billing' address cannot be longer than 366 days ('address/1')"));
  });

  it('a temp address without its description is 400 MISSING_VALUE, one outside the spec\'s list 400 INVALID_VALUE (Patient.yaml)', async () => {
    const { text: _text, ...withoutText } = TEMP;
    await assertRefused('9736363015', addAddress(withoutText), 400, stubErrorWith('MISSING_VALUE', "Missing value - 'address/1/text'"));
    await assertRefused('9736363015', addAddress({ ...TEMP, text: 'Beach Hut' }), 400, stubErrorWith('INVALID_VALUE', "Invalid value - 'Beach Hut' in field 'address/1/text'"));
  });

  it('a temp address of 90 days with an allowed description, and a billing address of 366, are added', async () => {
    const res = await patchCurrent(h, '9736363015', { patches: [{ op: 'add', path: '/address/-', value: TEMP }, { op: 'add', path: '/address/-', value: BILLING }] });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const { id: _id, ...added } = res.json.address[1];
    assert.deepEqual(added, TEMP);
    assert.equal(res.json.address[2].use, 'billing');
  });

  it('the home address is replaced whole (5900059332)', async () => {
    const { patient } = await currentVersion(h, '5900059332');
    const home = { id: patient.address[0].id, use: 'home', period: { start: '2025-02-01' }, line: ['3 Mill Lane', 'Leeds'], postalCode: 'LS1 6AE' };
    const res = await patchCurrent(h, '5900059332', { patches: [{ op: 'replace', path: '/address/0', value: home }] });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.address, [home]);
  });

  it('a record holding a temp address of almost two years (9000000009) is patched elsewhere; a change to that address must obey the rules', async () => {
    const { patient } = await currentVersion(h, '9000000009');
    assert.deepEqual(patient.address[1].period, { start: '2024-01-01', end: '2025-12-31' });
    const gender = await patchCurrent(h, '9000000009', { patches: [{ op: 'replace', path: '/gender', value: 'male' }] });
    assert.equal(gender.status, 200, JSON.stringify(gender.json));
    const home = await patchCurrent(h, '9000000009', { patches: [
      { op: 'replace', path: '/address/0/id', value: '456' }, { op: 'replace', path: '/address/0/line/0', value: '2 Whitehall Quay' },
    ] });
    assert.equal(home.status, 200, JSON.stringify(home.json));
    assert.deepEqual(home.json.address[1], patient.address[1]);
    await assertRefused('9000000009', { patches: [{ op: 'replace', path: '/address/1/id', value: 'T456' }, { op: 'replace', path: '/address/1/line/0', value: '2 College Road' }] }, 400,
      invalidUpdate("the period of a 'temp' address cannot be longer than 90 days ('address/1')"));
    const shortened = await patchCurrent(h, '9000000009', { patches: [
      { op: 'replace', path: '/address/1/id', value: 'T456' }, { op: 'replace', path: '/address/1/period/end', value: '2024-03-31' },
    ] });
    assert.equal(shortened.status, 200, JSON.stringify(shortened.json));
  });
});
