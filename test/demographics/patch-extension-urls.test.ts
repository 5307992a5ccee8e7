import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, currentVersion, patchCurrent, stubErrorWith, type PdsHarness } from './support/pds.js';

const UK = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-';
const NOMINATED = `${UK}NominatedPharmacy`;
const PREFERRED = `${UK}PreferredDispenserOrganization`;
const DEATH = `${UK}DeathNotificationStatus`;

type Extension = { url: string; [key: string]: unknown };
const invalidUpdate = (reason: string) => stubErrorWith('INVALID_UPDATE', `Invalid update with error - ${reason}`);

/**
 * PDS spec ("Replacing", "Removal", "Pharmacy"; Patient.yaml `extension`): an extension is named by
 * its url, and a record holds at most one of each kind. A patch changes a kind by removing one
 * extension and adding the other, each held to its rules, not by changing a url in place.
 */
describe('PATCH /Patient/{id}: an extension is named by its url, and one of each kind', () => {
  let h: PdsHarness;
  before(async () => { h = await startPds(); });
  after(() => h.close());

  const extensions = async (id: string): Promise<Extension[]> => (await currentVersion(h, id)).patient.extension;
  const indexOf = (list: Extension[], url: string) => list.findIndex((e) => e.url === url);

  it("an extension's url changed in place, or the whole extension replaced under another url, is refused and changes nothing", async () => {
    const held = await extensions('9000000009');
    const i = indexOf(held, NOMINATED);
    assert.ok(i >= 0);
    const refusal = invalidUpdate(`the url of an extension names it and cannot be changed ('${NOMINATED}' to '${PREFERRED}'): remove the extension and add the new one`);
    for (const patches of [
      [{ op: 'test', path: `/extension/${i}/url`, value: NOMINATED }, { op: 'replace', path: `/extension/${i}/url`, value: PREFERRED }],
      [{ op: 'test', path: `/extension/${i}/url`, value: NOMINATED }, { op: 'add', path: `/extension/${i}/url`, value: PREFERRED }],
      [{ op: 'test', path: `/extension/${i}/url`, value: NOMINATED }, { op: 'replace', path: `/extension/${i}`, value: { ...held[i], url: PREFERRED } }],
    ]) {
      const res = await patchCurrent(h, '9000000009', { patches });
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.deepEqual(res.json, refusal);
    }
    // A death notification turned into something else would have been one removed, which the rules on it decide.
    const d = indexOf(held, DEATH);
    const death = await patchCurrent(h, '9000000009', { patches: [{ op: 'test', path: `/extension/${d}/url`, value: DEATH }, { op: 'replace', path: `/extension/${d}/url`, value: `${UK}ContactPreference` }] });
    assert.equal(death.status, 400, JSON.stringify(death.json));
    assert.deepEqual(await extensions('9000000009'), held);
  });

  it('a second extension of a kind is refused, however it is made; one removed and another added in its place is taken', async () => {
    const held = await extensions('9000000009');
    const nominated = held[indexOf(held, NOMINATED)]!;
    const added = await patchCurrent(h, '9000000009', { patches: [{ op: 'add', path: '/extension/-', value: structuredClone(nominated) }] });
    assert.equal(added.status, 400, JSON.stringify(added.json));
    assert.deepEqual(added.json, invalidUpdate("multiple 'NominatedPharmacy' extensions cannot be added"));
    // The nominated pharmacy removed and added back as a preferred dispenser: the record already has one.
    const i = indexOf(held, NOMINATED);
    const turned = await patchCurrent(h, '9000000009', { patches: [
      { op: 'test', path: `/extension/${i}/url`, value: NOMINATED }, { op: 'remove', path: `/extension/${i}` },
      { op: 'add', path: '/extension/-', value: { ...structuredClone(nominated), url: PREFERRED } },
    ] });
    assert.equal(turned.status, 400, JSON.stringify(turned.json));
    assert.deepEqual(turned.json, invalidUpdate("multiple 'PreferredDispenserOrganization' extensions cannot be added"));
    assert.deepEqual(await extensions('9000000009'), held);
    // Removed and another nominated pharmacy added: one of the kind, as the spec's rules allow.
    const other = structuredClone(nominated) as { valueReference: { identifier: { value: string } } } & Extension;
    other.valueReference.identifier.value = 'FA565';
    const replaced = await patchCurrent(h, '9000000009', { patches: [
      { op: 'test', path: `/extension/${i}/url`, value: NOMINATED }, { op: 'remove', path: `/extension/${i}` },
      { op: 'add', path: '/extension/-', value: other },
    ] });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.json));
    const now = replaced.json.extension.filter((e: Extension) => e.url === NOMINATED);
    assert.deepEqual(now.map((e: typeof other) => e.valueReference.identifier.value), ['FA565']);
  });
});
