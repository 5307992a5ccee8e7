import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startPds, call, outcomeOf, type PdsHarness } from './support/pds.js';
import { pdsResponseValidators } from './support/schemas.js';

const spec = (path: string) => JSON.parse(readFileSync(new URL(`../../spec/nhs/pds/${path}`, import.meta.url), 'utf8'));
const q = (params: Record<string, string | string[]>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) s.append(k, one);
  return `Patient?${s.toString()}`;
};
const ids = (json: any) => (json.entry ?? []).map((e: any) => e.resource.id);

/** A search Bundle as a stub shows it: entries without the host of `fullUrl`, no timestamp. */
function comparable(bundle: any) {
  const { timestamp: _t, ...rest } = bundle;
  return { ...rest, entry: bundle.entry?.map((e: any) => ({ ...e, fullUrl: new URL(e.fullUrl).pathname })) };
}

describe('nhs-sandbox dataset: the documented search and create scenarios', () => {
  let h: PdsHarness;
  const validate = pdsResponseValidators();
  before(async () => {
    h = await startPds();
  });
  after(() => h.close());

  it('documented phone searches for 01632960587 find only 9000000009 (9000000017 does not hold it)', async () => {
    const base = { family: 'Sm*', gender: 'female', birthdate: 'eq2010-10-22' };
    assert.deepEqual(ids((await call(h, q(base))).json).sort(), ['9000000009', '9000000017']);
    assert.deepEqual(ids((await call(h, q({ ...base, phone: '01632960587' }))).json), ['9000000009']);
    assert.deepEqual(ids((await call(h, q({ ...base, phone: '01632960587', _history: 'true' }))).json), ['9000000009']);
    const jayne = await call(h, 'Patient/9000000017');
    assert.ok(!jayne.json.telecom.some((t: any) => t.value === '01632960587'));
  });

  it('KNAPP Kathy Megan (9736363120) answers an exact-match search as knap_kathy_exact_match.json', async () => {
    const res = await call(h, q({ family: 'KNAPP', given: 'Kathy', gender: 'female', birthdate: 'eq1943-07-03', '_exact-match': 'true' }));
    assert.equal(res.status, 200);
    assert.ok(validate.PatientSearch(res.json), JSON.stringify(validate.PatientSearch.errors));
    assert.deepEqual(comparable(res.json), comparable(spec('stubs/searchResponses/knap_kathy_exact_match.json')));
  });

  it('Sam Matt Smith (5900020584) is found by his previous email only with history, as historic_email_searchset.json', async () => {
    const person = { family: 'Smith', given: 'Sam', birthdate: 'eq2000-05-05' };
    const expected = comparable(spec('stubs/searchResponses/historic_email_searchset.json'));
    assert.deepEqual(ids((await call(h, q({ ...person, email: 'Historic@historic.com' }))).json), []);
    const history = await call(h, q({ ...person, email: 'Historic@historic.com', _history: 'true' }));
    assert.ok(validate.PatientSearch(history.json), JSON.stringify(validate.PatientSearch.errors));
    assert.deepEqual(comparable(history.json), expected);
    const fuzzy = await call(h, q({ ...person, email: 'historic@historic.com', '_fuzzy-match': 'true' }));
    assert.deepEqual(comparable(fuzzy.json), expected);
    // The current email, in any case, without history.
    assert.deepEqual(comparable((await call(h, q({ ...person, email: 'new@NEW.com' }))).json), expected);
  });

  it('the Single_Match_found create example answers 200 SINGLE_MATCH naming 5900054586', async () => {
    const res = await call(h, 'Patient', { method: 'POST', body: spec('specification/components/examples/requests/PatientCreate/Single_Match_found.json') });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const expected = spec('stubs/postPatientResponses/SINGLE_MATCH_FOUND.json');
    expected.issue[0].diagnostics = 'Unable to create new patient. NHS number 5900054586 found for supplied demographic data.';
    assert.deepEqual(res.json, expected);
    assert.ok(validate.OperationOutcome(res.json));
  });

  it('the Multi_Match_found create example answers 200 MULTIPLE_MATCHES (5900036502 and 5900053679)', async () => {
    const res = await call(h, 'Patient', { method: 'POST', body: spec('specification/components/examples/requests/PatientCreate/Multi_Match_found.json') });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json, spec('stubs/postPatientResponses/MULTIPLE_MATCHES_FOUND.json'));
    const audit = await h.db.query('SELECT nhs_numbers FROM audit.events WHERE request_id = $1', [res.requestId]);
    assert.deepEqual(audit.rows[0].nhs_numbers.sort(), ['5900036502', '5900053679']);
  });

  it('the Allocate_NHS_Number create example still gets a new NHS number', async () => {
    const res = await call(h, 'Patient', { method: 'POST', body: spec('specification/components/examples/requests/PatientCreate/Allocate_NHS_Number.json') });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.ok(res.json.id.startsWith('999'));
  });

  it('a query pair with an empty name (&=) is ignored, so the real error is reported', async () => {
    const sandboxSearch = 'family=Smith&gender=female&birthdate=eq2010-10-22';
    const plain = await call(h, `Patient?${sandboxSearch}`);
    for (const path of [`Patient?${sandboxSearch}&=`, `Patient?=&${sandboxSearch}`, `Patient?family=Smith&=x&gender=female&&birthdate=eq2010-10-22`]) {
      const res = await call(h, path);
      assert.equal(res.status, 200, path);
      assert.deepEqual(ids(res.json), ids(plain.json), path);
    }
    const missingBirthDate = await call(h, 'Patient?family=Smith&=');
    assert.equal(missingBirthDate.status, 400);
    assert.deepEqual(outcomeOf(missingBirthDate.json).code, 'MISSING_VALUE');
    const badGender = await call(h, 'Patient?=&family=Smith&gender=nope&birthdate=eq2010-10-22');
    assert.equal(outcomeOf(badGender.json).diagnostics, "Invalid value - 'nope' in field 'gender'");
    const nothing = await call(h, 'Patient?=');
    assert.equal(outcomeOf(nothing.json).code, 'UNSUPPORTED_SERVICE');
  });
});
