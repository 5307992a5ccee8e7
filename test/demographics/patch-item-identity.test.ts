import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, currentVersion, patchCurrent, patchExample, stubErrorWith, type PdsHarness } from './support/pds.js';

/** PDS's error stub with its diagnostics. */
const invalidUpdate = (diagnostics: string) => stubErrorWith('INVALID_UPDATE', diagnostics);

/**
 * PDS spec ("Replacing"; "Adding"): a change to an existing list item names the item by its id in
 * the same request, by `add`, `replace` or `test` of its id, or by the whole item. The refusals are
 * in PDS's words, as NHS England's own test suites expect them of sandbox patients 5900046192
 * (address C0E90847) and 5900059073 (no address).
 */
describe('PATCH /Patient/{id}: list items are named by their id', () => {
  let h: PdsHarness;
  before(async () => {
    h = await startPds();
  });
  after(() => h.close());

  const current = (id: string) => currentVersion(h, id);
  const patch = (id: string, body: unknown) => patchCurrent(h, id, body);

  it("the spec's update-address example (replace of the address id, then its fields) updates 9000000009", async () => {
    const res = await patch('9000000009', patchExample('update-address'));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.address[0].id, '456');
    assert.equal(res.json.address[0].line[0], '2 Whitehall Quay');
    assert.equal(res.json.address[0].postalCode, 'LS1 4BU');
  });

  it('a whole list item replaced with its own id is named by it', async () => {
    const { patient } = await current('9000000009');
    const name = { ...patient.name[0], given: ['Anne'] };
    const res = await patch('9000000009', { patches: [{ op: 'replace', path: '/name/0', value: name }] });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.name[0], name);
  });

  it('an item added at /name/- gets its id from PDS (one sent is not kept), by which it is then removed', async () => {
    const added = await patch('9000000017', { patches: [{ op: 'add', path: '/name/-', value: { id: 'mine', use: 'old', family: 'Maiden', given: ['Jayne'] } }] });
    assert.equal(added.status, 200, JSON.stringify(added.json));
    const name = added.json.name.find((n: { family: string }) => n.family === 'Maiden');
    assert.match(name.id, /^[0-9A-F]{8}$/);
    const index = added.json.name.indexOf(name);
    const removed = await patch('9000000017', { patches: [{ op: 'test', path: `/name/${index}/id`, value: name.id }, { op: 'remove', path: `/name/${index}` }] });
    assert.equal(removed.status, 200, JSON.stringify(removed.json));
    assert.ok(!removed.json.name.some((n: { family: string }) => n.family === 'Maiden'));
  });

  it('a change to an item without its id: "no id or url found for path with root"', async () => {
    const res = await patch('5900046192', { patches: [{ op: 'replace', path: '/address/0/line/0', value: '2 Whitehall Quay' }, { op: 'replace', path: '/address/0/postalCode', value: 'LS1 4BU' }] });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, invalidUpdate('Invalid update with error - no id or url found for path with root /address/0'));
  });

  it("another item's id, alone or before changes: \"no 'address' resources with object id\", and the id is not changed", async () => {
    for (const patches of [
      [{ op: 'replace', path: '/address/0/id', value: '123456' }],
      [{ op: 'replace', path: '/address/0/id', value: '123456' }, { op: 'replace', path: '/address/0/line/0', value: '2 Whitehall Quay' }, { op: 'replace', path: '/address/0/postalCode', value: 'LS1 4BU' }],
    ]) {
      const res = await patch('5900046192', { patches });
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.deepEqual(res.json, invalidUpdate("Invalid update with error - no 'address' resources with object id '123456'"));
    }
    assert.equal((await current('5900046192')).patient.address[0].id, 'C0E90847');
  });

  it('an item the record does not have: out of bounds when named, "no id or url found" when not', async () => {
    const named = await patch('5900059073', { patches: [{ op: 'replace', path: '/address/0/id', value: '456' }, { op: 'replace', path: '/address/0/line/0', value: '2 Whitehall Quay' }] });
    assert.equal(named.status, 400);
    assert.deepEqual(named.json, invalidUpdate("Invalid update with error - Invalid patch - index '0' is out of bounds"));
    const unnamed = await patch('5900059073', { patches: [{ op: 'replace', path: '/address/0/line/0', value: '2 Whitehall Quay' }] });
    assert.deepEqual(unnamed.json, invalidUpdate('Invalid update with error - no id or url found for path with root /address/0'));
  });

  it("an item's id names it but is never changed or doubled by a patch, whatever op follows the naming one", async () => {
    const { patient } = await current('9000000009');
    const [first, second] = patient.telecom as Array<{ id: string }>;
    const nameId = patient.name[0].id as string;
    const refusals: Array<[unknown[], string]> = [
      // Named rightly, then given another telecom's id: two telecoms with one id.
      [[{ op: 'replace', path: '/telecom/1/id', value: second!.id }, { op: 'replace', path: '/telecom/1/id', value: first!.id }], `the id of a 'telecom' item is given by PDS and cannot be changed ('${first!.id}')`],
      // Named rightly, then given an id of the client's own.
      [[{ op: 'test', path: '/name/0/id', value: nameId }, { op: 'replace', path: '/name/0/id', value: 'mine' }], "the id of a 'name' item is given by PDS and cannot be changed ('mine')"],
      // Named rightly, then given a telecom's id.
      [[{ op: 'replace', path: '/name/0/id', value: nameId }, { op: 'replace', path: '/name/0/id', value: second!.id }], `the id of a 'name' item is given by PDS and cannot be changed ('${second!.id}')`],
    ];
    for (const [patches, reason] of refusals) {
      const res = await patch('9000000009', { patches });
      assert.equal(res.status, 400, `${JSON.stringify(patches)}: ${JSON.stringify(res.json)}`);
      assert.deepEqual(res.json, invalidUpdate(`Invalid update with error - ${reason}`), JSON.stringify(patches));
    }
    const after = await current('9000000009');
    assert.deepEqual(after.patient, patient, 'nothing stored');
    // Naming an item by its own id, and changing it, still works.
    const named = await patch('9000000009', { patches: [{ op: 'replace', path: '/telecom/1/id', value: second!.id }, { op: 'replace', path: '/telecom/1/value', value: '01632960588' }] });
    assert.equal(named.status, 200, JSON.stringify(named.json));
    assert.deepEqual(named.json.telecom.map((t: { id: string }) => t.id), patient.telecom.map((t: { id: string }) => t.id));
  });

  it("an item's id is never removed from it, by a remove of the id or a whole-item replace without it", async () => {
    const { patient } = await current('9000000017');
    const [name] = patient.name as Array<{ id: string }>;
    const attempts: unknown[][] = [
      // The removal preceded by its test, as a list removal must be: the item stayed without an id.
      [{ op: 'test', path: '/name/0/id', value: name!.id }, { op: 'remove', path: '/name/0/id' }],
      // Named by a test, then replaced whole by a copy without its id.
      [{ op: 'test', path: '/name/0/id', value: name!.id }, { op: 'replace', path: '/name/0', value: { ...name, id: undefined } }],
    ];
    for (const patches of attempts) {
      const res = await patch('9000000017', { patches: JSON.parse(JSON.stringify(patches)) });
      assert.equal(res.status, 400, `${JSON.stringify(patches)}: ${JSON.stringify(res.json)}`);
      assert.deepEqual(res.json, invalidUpdate("Invalid update with error - the id of a 'name' item is given by PDS and cannot be removed"), JSON.stringify(patches));
    }
    assert.deepEqual((await current('9000000017')).patient, patient, 'nothing stored');
  });

  it("no mix of operations strips an id: removing an item without one does not let another item's id go", async () => {
    // A record holding a telecom without an id (a whole list replaced, as legacy records hold them) beside one with its id.
    const setUp = await patch('9000000033', { patches: [{ op: 'add', path: '/telecom', value: [{ system: 'phone', value: '01632960001', use: 'home' }] }] });
    assert.equal(setUp.status, 200, JSON.stringify(setUp.json));
    const added = await patch('9000000033', { patches: [{ op: 'add', path: '/telecom/-', value: { system: 'phone', value: '01632960002', use: 'work' } }] });
    assert.equal(added.status, 200, JSON.stringify(added.json));
    const { patient } = await current('9000000033');
    const [idless, named] = patient.telecom as Array<{ id?: string }>;
    assert.equal(idless!.id, undefined);
    const attempts: unknown[][] = [
      // The id-less item removed whole, and the other item's id removed: as many items without an id as before.
      [{ op: 'test', path: '/telecom/0', value: idless }, { op: 'remove', path: '/telecom/0' }, { op: 'test', path: '/telecom/0/id', value: named!.id }, { op: 'remove', path: '/telecom/0/id' }],
      // The same, the id taken by a whole-item replace without it.
      [{ op: 'test', path: '/telecom/0', value: idless }, { op: 'remove', path: '/telecom/0' }, { op: 'test', path: '/telecom/0/id', value: named!.id },
        { op: 'replace', path: '/telecom/0', value: { system: 'phone', value: '01632960003', use: 'work' } }],
    ];
    for (const patches of attempts) {
      const res = await patch('9000000033', { patches });
      assert.equal(res.status, 400, `${JSON.stringify(patches)}: ${JSON.stringify(res.json)}`);
      assert.deepEqual(res.json, invalidUpdate("Invalid update with error - the id of a 'telecom' item is given by PDS and cannot be removed"), JSON.stringify(patches));
    }
    assert.deepEqual((await current('9000000033')).patient, patient, 'nothing stored');
    // Removing the id-less item alone still works.
    const removed = await patch('9000000033', { patches: [{ op: 'test', path: '/telecom/0', value: idless }, { op: 'remove', path: '/telecom/0' }] });
    assert.equal(removed.status, 200, JSON.stringify(removed.json));
    assert.deepEqual(removed.json.telecom, [named]);
  });

  it("items given each other's ids, or the id of an item removed, each named rightly first, are refused: no id is lost or doubled, yet an item's changed", async () => {
    const { patient } = await current('9000000009');
    const [first, second] = patient.telecom as Array<{ id: string }>;
    const attempts: unknown[][] = [
      [{ op: 'test', path: '/telecom/0/id', value: first!.id }, { op: 'test', path: '/telecom/1/id', value: second!.id },
        { op: 'replace', path: '/telecom/0/id', value: second!.id }, { op: 'replace', path: '/telecom/1/id', value: first!.id }],
      [{ op: 'test', path: '/telecom/1/id', value: second!.id }, { op: 'remove', path: '/telecom/1' },
        { op: 'test', path: '/telecom/0/id', value: first!.id }, { op: 'replace', path: '/telecom/0/id', value: second!.id }],
    ];
    for (const patches of attempts) {
      const res = await patch('9000000009', { patches });
      assert.equal(res.status, 400, `${JSON.stringify(patches)}: ${JSON.stringify(res.json)}`);
      assert.deepEqual(res.json, invalidUpdate(`Invalid update with error - the id of a 'telecom' item is given by PDS and cannot be changed ('${second!.id}')`));
    }
    assert.deepEqual((await current('9000000009')).patient, patient, 'nothing stored');
  });
});
