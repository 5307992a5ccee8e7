import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, currentVersion, patchCurrent, stubErrorWith, type PdsHarness } from './support/pds.js';

const NHS_COMMUNICATION = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication';
const speaking = (code: string, display: string) => ({
  url: NHS_COMMUNICATION,
  extension: [
    { url: 'language', valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-HumanLanguage', version: '1.0.0', code, display }] } },
    { url: 'interpreterRequired', valueBoolean: true },
  ],
});
const addExtension = (value: object) => ({ patches: [{ op: 'add', path: '/extension/-', value }] });

/**
 * PDS spec ("Communication"): a single NHSCommunication extension; "preferred language must not
 * be supplied where it is English"; "any language codes outside the accepted list are rejected;
 * such as local system `qa` codes". The minimal 9000000033 holds no extension; 9000000009 speaks
 * French (extension 4).
 */
describe('PATCH /Patient/{id}: the communication rules', () => {
  let h: PdsHarness;
  before(async () => { h = await startPds(); });
  after(() => h.close());

  const assertRefused = async (id: string, body: unknown, expected: unknown) => {
    const before = await currentVersion(h, id);
    const res = await patchCurrent(h, id, body);
    assert.equal(res.status, 400, JSON.stringify(res.json));
    assert.deepEqual(res.json, expected);
    assert.deepEqual(await currentVersion(h, id), before, 'nothing stored');
  };

  it('English, added or replacing a language, is 400 INVALID_UPDATE', async () => {
    const english = stubErrorWith('INVALID_UPDATE', "Invalid update with error - preferred language must not be supplied where it is English ('en')");
    await assertRefused('9000000033', addExtension(speaking('en', 'English')), english);
    await assertRefused('9000000009', { patches: [
      { op: 'test', path: '/extension/4/url', value: NHS_COMMUNICATION },
      { op: 'replace', path: '/extension/4/extension/0/valueCodeableConcept/coding/0/code', value: 'en' },
    ] }, english);
  });

  it("a local code ('qa', 'qaa') is 400 INVALID_VALUE naming the field", async () => {
    for (const code of ['qa', 'qaa']) {
      await assertRefused('9000000033', addExtension(speaking(code, 'Local')),
        stubErrorWith('INVALID_VALUE', `Invalid value - '${code}' in field 'extension/0/extension/0/valueCodeableConcept/coding/0/code'`));
    }
  });

  it('a code outside UKCore-HumanLanguage (ISO 639-2 or -3, a made-up one, another case) is 400 INVALID_VALUE naming the field', async () => {
    for (const code of ['zz', 'fra', 'xx', 'FR', 'q6', 'english']) {
      await assertRefused('9000000033', addExtension(speaking(code, 'Not a listed language')),
        stubErrorWith('INVALID_VALUE', `Invalid value - '${code}' in field 'extension/0/extension/0/valueCodeableConcept/coding/0/code'`));
    }
  });

  it('a second NHSCommunication extension is 400 INVALID_UPDATE', async () => {
    await assertRefused('9000000009', addExtension(speaking('de', 'German')),
      stubErrorWith('INVALID_UPDATE', 'Invalid update with error - multiple NHSCommunication extensions cannot be added'));
  });

  it('a language of the accepted list (British Sign Language, q4) is added; the language held is changed', async () => {
    const added = await patchCurrent(h, '9000000033', addExtension(speaking('q4', 'British Sign Language')));
    assert.equal(added.status, 200, JSON.stringify(added.json));
    assert.deepEqual(added.json.extension, [speaking('q4', 'British Sign Language')]);
    const changed = await patchCurrent(h, '9000000009', { patches: [
      { op: 'test', path: '/extension/4/url', value: NHS_COMMUNICATION },
      { op: 'replace', path: '/extension/4/extension/0/valueCodeableConcept/coding/0', value: speaking('de', 'German').extension[0]!.valueCodeableConcept!.coding[0] },
    ] });
    assert.equal(changed.status, 200, JSON.stringify(changed.json));
    assert.equal(changed.json.extension[4].extension[0].valueCodeableConcept.coding[0].code, 'de');
  });
  it('any code of UKCore-HumanLanguage is taken (Welsh, Polish, Quechua, Zulu, Makaton)', async () => {
    // 9000000033 speaks British Sign Language since the test above: its language is replaced.
    for (const [code, display] of [['cy', 'Welsh'], ['pl', 'Polish'], ['qu', 'Quechua'], ['zu', 'Zulu'], ['q5', 'Makaton']] as const) {
      const taken = await patchCurrent(h, '9000000033', { patches: [
        { op: 'test', path: '/extension/0/url', value: NHS_COMMUNICATION },
        { op: 'replace', path: '/extension/0', value: speaking(code, display) },
      ] });
      assert.equal(taken.status, 200, `${code}: ${JSON.stringify(taken.json)}`);
      assert.deepEqual(taken.json.extension, [speaking(code, display)]);
    }
  });
});
