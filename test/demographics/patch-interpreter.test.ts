import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, currentVersion, patchCurrent, stubErrorWith, type PdsHarness } from './support/pds.js';

/**
 * NHS England's PDS test suite: blanking the url of a language's interpreterRequired is 400
 * INVALID_UPDATE "Invalid update with error - interpreterRequired cannot be removed"; its value can
 * be changed. The sandbox's 9000000009 speaks French with an interpreter (extension 4).
 */
describe('PATCH /Patient/{id}: a language keeps its interpreterRequired', () => {
  let h: PdsHarness;
  const ID = '9000000009';
  const INTERPRETER = '/extension/4/extension/1';
  // PDS spec ("you must always include the list id or url"): the extension is named by its url.
  const NAMED = { op: 'test', path: '/extension/4/url', value: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication' };
  const REMOVED = stubErrorWith('INVALID_UPDATE', 'Invalid update with error - interpreterRequired cannot be removed');
  before(async () => { h = await startPds(); });
  after(async () => { await h.close(); });

  it('its url blanked, or the entry removed after a test, is 400 INVALID_UPDATE and nothing is stored', async () => {
    const { patient } = await currentVersion(h, ID);
    assert.deepEqual(patient.extension[4].extension[1], { url: 'interpreterRequired', valueBoolean: true });
    const blanked = await patchCurrent(h, ID, { patches: [NAMED, { op: 'replace', path: INTERPRETER, value: { url: ' ', valueBoolean: false } }] });
    assert.equal(blanked.status, 400, JSON.stringify(blanked.json));
    assert.deepEqual(blanked.json, REMOVED);
    const removed = await patchCurrent(h, ID, { patches: [
      NAMED,
      { op: 'test', path: INTERPRETER, value: { url: 'interpreterRequired', valueBoolean: true } },
      { op: 'remove', path: INTERPRETER },
    ] });
    assert.equal(removed.status, 400, JSON.stringify(removed.json));
    assert.deepEqual(removed.json, REMOVED);
    assert.deepEqual((await currentVersion(h, ID)).patient.meta.versionId, patient.meta.versionId);
  });

  it('its value can be changed', async () => {
    const changed = await patchCurrent(h, ID, { patches: [NAMED, { op: 'replace', path: INTERPRETER, value: { url: 'interpreterRequired', valueBoolean: false } }] });
    assert.equal(changed.status, 200, JSON.stringify(changed.json));
    assert.deepEqual(changed.json.extension[4].extension[1], { url: 'interpreterRequired', valueBoolean: false });
  });
});
