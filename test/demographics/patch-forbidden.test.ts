import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, currentVersion, patchCurrent, patchExample, stubErrorWith, type PdsHarness } from './support/pds.js';

/** PDS's error stub with its diagnostics. */
const forbiddenUpdate = (diagnostics: string) => stubErrorWith('FORBIDDEN_UPDATE', diagnostics);

/**
 * PDS spec business rules ("Name": cannot add more than one usual name, cannot remove the usual
 * name; "Gender" and "Date of birth": cannot be removed), answered as NHS England's test suites
 * expect of sandbox patients 5900059332 and 9733162043, and the spec's own delete examples.
 */
describe('PATCH /Patient/{id}: updates PDS forbids', () => {
  let h: PdsHarness;
  before(async () => {
    h = await startPds();
  });
  after(() => h.close());

  const current = (id: string) => currentVersion(h, id);
  const patch = (id: string, body: unknown) => patchCurrent(h, id, body);
  const assertForbidden = async (id: string, body: unknown, diagnostics: string) => {
    const before = await current(id);
    const res = await patch(id, body);
    assert.equal(res.status, 403, JSON.stringify(res.json));
    assert.deepEqual(res.json, forbiddenUpdate(diagnostics));
    assert.deepEqual(await current(id), before, 'nothing stored');
  };

  it('a second usual name cannot be added (5900059332)', async () => {
    const name = { use: 'usual', period: { start: '2019-12-31' }, prefix: ['Dr'], given: ['Joe', 'Horation', 'Maximus'], family: 'Bloggs', suffix: ['PhD'] };
    await assertForbidden('5900059332', { patches: [{ op: 'add', path: '/name/-', value: name }] }, 'Forbidden update with error - multiple usual names cannot be added');
  });

  it('the usual name and the date of birth cannot be removed (9733162043)', async () => {
    const { patient } = await current('9733162043');
    await assertForbidden('9733162043', { patches: [{ op: 'test', path: '/name/0', value: patient.name[0] }, { op: 'remove', path: '/name/0' }] },
      'Forbidden update with error - not permitted to remove usual name');
    await assertForbidden('9733162043', { patches: [{ op: 'test', path: '/birthDate', value: patient.birthDate }, { op: 'remove', path: '/birthDate' }] },
      "Forbidden update with error - source not permitted to remove 'birthDate'");
  });

  it("the spec's delete-gender and delete-name examples are valid patches, refused as forbidden updates (9000000009)", async () => {
    await assertForbidden('9000000009', patchExample('delete-gender'), "Forbidden update with error - source not permitted to remove 'gender'");
    await assertForbidden('9000000009', patchExample('delete-name'), 'Forbidden update with error - not permitted to remove usual name');
  });

  it("the minimal record 9000000033 takes the spec's add-name example (an old name, no usual name held)", async () => {
    const res = await patch('9000000033', patchExample('add-name'));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.name.length, 1);
    assert.equal(res.json.name[0].family, 'Bloggs');
  });
});
