import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startPds, call, outcomeOf, type PdsHarness } from './support/pds.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import type { Patient } from '../../src/services/demographics/fhir-types.js';
import { testPopulation } from './support/population.js';

const spec = (path: string) => JSON.parse(readFileSync(new URL(`../../spec/nhs/pds/${path}`, import.meta.url), 'utf8'));
const q = (params: Record<string, string | string[]>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) s.append(k, one);
  return `Patient?${s.toString()}`;
};
const ids = (json: any) => (json.entry ?? []).map((e: any) => e.resource.id);

/** A person with a near-namesake population around them, to test ranking. */
function person(id: string, family: string, given: string, birthDate: string, extra: Partial<Patient> = {}): Patient {
  return {
    resourceType: 'Patient', id, meta: { versionId: '1' }, gender: 'male', birthDate,
    name: [{ id: 'n1', use: 'usual', family, given: [given] }],
    address: [{ id: 'a1', use: 'home', line: ['1 Road'], postalCode: 'NE1 4XF' }],
    ...extra,
  };
}

describe('GET /Patient search', () => {
  let h: PdsHarness;
  const crowd = testPopulation(300, 950_000_000);
  const thomasAdam = person('9434765919', 'Adam', 'Thomas', '1987-04-03');
  const smitheson = person('9434765870', 'Smitheson', 'Peter', '1987-04-03', {
    name: [{ id: 'n1', use: 'usual', family: 'Smitheson', given: ['Peter'] }, { id: 'n2', use: 'old', family: 'Baker', given: ['Peter'] },
      { id: 'n3', use: 'nickname', family: 'Smitheson', given: ['Pete'] }],
    address: [{ id: 'a1', use: 'home', postalCode: 'NE1 4XF' }, { id: 'a2', use: 'temp', postalCode: 'YO1 7HH' }],
  });
  const peterSmith = person('9434765828', 'Smith', 'Peter', '1987-04-03');
  const peterSmyth = person('9434765836', 'Smyth', 'Peter', '1987-03-04');

  before(async () => {
    h = await startPds();
    await bulkInsertPatients(h.spine.ctx.db, { patients: [...crowd, thomasAdam, smitheson, peterSmith, peterSmyth] });
  });
  after(() => h.close());

  it('finds 9000000009 by family, gender and birth date, as the sandbox does', async () => {
    const res = await call(h, q({ family: 'Smith', gender: 'female', birthdate: 'eq2010-10-22' }));
    assert.equal(res.status, 200);
    assert.equal(res.json.resourceType, 'Bundle');
    assert.equal(res.json.type, 'searchset');
    assert.equal(res.json.total, 1);
    const entry = res.json.entry[0];
    assert.equal(entry.resource.id, '9000000009');
    assert.equal(entry.search.score, 1);
    assert.ok(entry.fullUrl.endsWith('/personal-demographics/FHIR/R4/Patient/9000000009'));
    // The reduced search view, exactly as the sandbox's search example.
    assert.deepEqual(entry.resource, spec('sandbox/mocks/PatientSearch.json').entry[0].resource);
  });

  it('runs the sandbox scenarios: wildcard, email and phone, max results, ranges, compound names, restricted', async () => {
    const base = { gender: 'female', birthdate: 'eq2010-10-22' };
    assert.deepEqual(ids((await call(h, q({ family: 'Sm*', ...base }))).json).sort(), ['9000000009', '9000000017']);
    const contact = { email: 'jane.smith@example.com', phone: '01632960587' };
    assert.deepEqual(ids((await call(h, q({ family: 'Sm*', ...base, ...contact }))).json), ['9000000009']);
    assert.deepEqual(ids((await call(h, q({ family: 'Sm*', ...base, ...contact, '_max-results': '1' }))).json), ['9000000009']);
    assert.deepEqual(ids((await call(h, q({ family: 'Smith', ...base, email: 'deb.trotter@example.com', phone: '0121111111' }))).json), []);
    assert.deepEqual(ids((await call(h, q({ family: 'Smith', gender: 'female', birthdate: ['ge2010-10-21', 'le2010-10-23'], ...contact }))).json), ['9000000009']);
    assert.deepEqual(ids((await call(h, q({ family: 'Smith', given: 'Jane', ...base, ...contact, '_fuzzy-match': 'true' }))).json), ['9000000009']);
    assert.deepEqual(ids((await call(h, q({ family: 'Smith', given: ['John Paul'], gender: 'male', birthdate: 'eq2010-10-22', email: 'johnp.smith@example.com', phone: '01632960587' }))).json), ['9000000015']);
    const restricted = await call(h, q({ family: 'Smythe', given: 'Janet', gender: 'female', birthdate: 'eq2005-06-16', email: 'janet.smythe@example.com', phone: '01632960587' }));
    assert.deepEqual(ids(restricted.json), ['9000000025']);
    for (const field of ['address', 'telecom', 'generalPractitioner', 'contact']) assert.equal(restricted.json.entry[0].resource[field], undefined);
  });

  it('never returns restricted patients to a postcode or GP search', async () => {
    const restricted = crowd.find((p) => p.meta?.security?.[0]?.code === 'R')!;
    const byName = { family: restricted.name![0]!.family!, birthdate: `eq${restricted.birthDate}` };
    assert.ok(ids((await call(h, q(byName))).json).includes(restricted.id));
    assert.ok(!ids((await call(h, q({ ...byName, 'address-postalcode': restricted.address![0]!.postalCode! }))).json).includes(restricted.id));
    const gp = restricted.generalPractitioner![0]!.identifier!.value!;
    assert.ok(!ids((await call(h, q({ ...byName, 'general-practitioner': gp }))).json).includes(restricted.id));
  });

  it('postcodes ignore spaces and case, and take wildcards', async () => {
    const base = { family: 'Adam', birthdate: 'eq1987-04-03' };
    for (const postcode of ['NE14XF', 'ne1 4xf', 'NE*', 'NE1 4*']) {
      assert.deepEqual(ids((await call(h, q({ ...base, 'address-postalcode': postcode }))).json), [thomasAdam.id], postcode);
    }
    assert.deepEqual(ids((await call(h, q({ ...base, 'address-postcode': 'NE1 4XF' }))).json), [thomasAdam.id]);
    assert.deepEqual(ids((await call(h, q({ ...base, 'address-postalcode': 'YO1 7HH' }))).json), []);
  });

  it('searches previous names and addresses only with _history', async () => {
    const old = { family: 'Baker', given: 'Peter', birthdate: 'eq1987-04-03' };
    assert.deepEqual(ids((await call(h, q(old))).json), []);
    const res = await call(h, q({ ...old, _history: 'true' }));
    assert.deepEqual(ids(res.json), [smitheson.id]);
    assert.ok(res.json.entry[0].search.score < 1);
    assert.deepEqual(res.json.entry[0].resource.name.map((n: any) => n.use), ['usual', 'nickname'], 'search results carry usual, nickname and temporary names only');
    const temp = await call(h, q({ family: 'Smitheson', birthdate: 'eq1987-04-03', 'address-postalcode': 'YO17HH', _history: 'true' }));
    assert.deepEqual(ids(temp.json), [smitheson.id]);
  });

  it('nicknames and temporary names are searched without _history; old names only with it', async () => {
    const byNickname = await call(h, q({ family: 'Smitheson', given: 'Pete', birthdate: 'eq1987-04-03' }));
    assert.deepEqual(ids(byNickname.json), [smitheson.id]);
    assert.equal(byNickname.json.entry[0].search.score, 1);
    assert.deepEqual(ids((await call(h, q({ family: 'Baker', birthdate: 'eq1987-04-03' }))).json), []);
  });

  it('fuzzy search finds homophones, transposed names and a swapped day and month, best match first', async () => {
    const res = await call(h, q({ family: 'Smith', given: 'Peter', birthdate: 'eq1987-04-03', '_fuzzy-match': 'true' }));
    assert.equal(res.status, 200);
    const found = ids(res.json);
    assert.equal(found[0], peterSmith.id);
    assert.ok(found.includes(peterSmyth.id), 'Smyth born 1987-03-04 is a homophone with day and month swapped');
    const scores = res.json.entry.map((e: any) => e.search.score);
    assert.equal(scores[0], 1);
    assert.deepEqual([...scores].sort((a: number, b: number) => b - a), scores);
    assert.ok(scores.slice(1).every((s: number) => s < 1 && s > 0));
    const transposed = await call(h, q({ family: 'Thomas', given: 'Adam', birthdate: 'eq1987-04-03', '_fuzzy-match': 'true' }));
    assert.deepEqual(ids(transposed.json), [thomasAdam.id]);
    assert.ok(transposed.json.entry[0].search.score < 1);
    const nonFuzzy = await call(h, q({ family: 'Thomas', given: 'Adam', birthdate: 'eq1987-04-03' }));
    assert.deepEqual(ids(nonFuzzy.json), []);
  });

  it('_exact-match keeps only score 1.0', async () => {
    const res = await call(h, q({ family: 'Smith', given: 'Peter', birthdate: 'eq1987-04-03', '_fuzzy-match': 'true', '_exact-match': 'true' }));
    assert.deepEqual(ids(res.json), [peterSmith.id]);
    const wildcard = await call(h, q({ family: 'Smi*', birthdate: 'eq1987-04-03', '_exact-match': 'true' }));
    assert.deepEqual(ids(wildcard.json), []);
  });

  it('too many matches is a 200 OperationOutcome TOO_MANY_MATCHES', async () => {
    const res = await call(h, q({ family: 'Sm*', birthdate: ['ge1900-01-01', 'le2020-12-31'], '_max-results': '2' }));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, spec('stubs/searchResponses/TOO_MANY_MATCHES.json'));
  });

  it('application-restricted callers get one unique match, and 403 INVALID_VALUE for more', async () => {
    const one = await call(h, q({ family: 'Adam', birthdate: 'eq1987-04-03' }), { bearer: h.appBearer });
    assert.deepEqual(ids(one.json), [thomasAdam.id]);
    const two = await call(h, q({ family: 'Sm*', gender: 'female', birthdate: 'eq2010-10-22' }), { bearer: h.appBearer });
    assert.equal(outcomeOf(two.json).code, 'TOO_MANY_MATCHES');
    const forbidden = await call(h, q({ family: 'Adam', birthdate: 'eq1987-04-03', '_max-results': '2' }), { bearer: h.appBearer });
    assert.equal(forbidden.status, 403);
    assert.deepEqual(outcomeOf(forbidden.json), { code: 'INVALID_VALUE', display: 'Provided value is invalid', issueCode: 'value', severity: 'error', diagnostics: "Invalid value - '2' in field '_max-results'" });
  });

  it('validates in the spec order with its diagnostics', async () => {
    const cases: Array<[string, number, object]> = [
      ['Patient', 400, spec('stubs/errorResponses/UNSUPPORTED_SERVICE.json')],
      [q({ family: 'Smith', pets: 'cat', birthdate: 'bad' }), 400, { code: 'ADDITIONAL_PROPERTIES', diagnostics: "Invalid request with error - Additional properties are not allowed ('pets' was unexpected)" }],
      [q({ family: 'Smith', birthdate: '2010-13-45' }), 400, { code: 'INVALID_VALUE', diagnostics: "Invalid value - '2010-13-45' in field 'birthdate'" }],
      [q({ family: 'Smith', gender: 'female' }), 400, { code: 'MISSING_VALUE', diagnostics: "Missing value - 'birth_date/birth_date_range_start/birth_date_range_end'" }],
      [q({ given: 'Jane', birthdate: 'eq2010-10-22' }), 400, { code: 'INVALID_SEARCH_DATA', diagnostics: "Invalid search data provided - 'No searches were performed as the search criteria did not meet the minimum requirements'" }],
      [q({ family: 'S*', birthdate: 'eq2010-10-22' }), 400, { code: 'INVALID_VALUE', diagnostics: "Invalid value - 'S*' in field 'family'" }],
      [q({ family: 'Smith', birthdate: 'eq2010-10-22', gender: 'bloke' }), 400, { code: 'INVALID_VALUE', diagnostics: "Invalid value - 'bloke' in field 'gender'" }],
      [q({ family: 'Smith', birthdate: 'eq2010-10-22', '_max-results': '51' }), 400, { code: 'INVALID_VALUE', diagnostics: "Invalid value - '51' in field '_max-results'" }],
      [q({ family: 'Smith', birthdate: 'eq2010-10-22', 'address-postcode': 'LS1', 'address-postalcode': 'LS1' }), 400, { code: 'INVALID_SEARCH_DATA' }],
      [q({ family: 'Smi*', given: 'Jane', birthdate: 'eq2010-10-22', '_fuzzy-match': 'true' }), 400, { code: 'INVALID_SEARCH_DATA' }],
    ];
    for (const [path, status, expected] of cases) {
      const res = await call(h, path);
      assert.equal(res.status, status, path);
      if ('resourceType' in expected) assert.deepEqual(res.json, expected, path);
      else for (const [k, v] of Object.entries(expected)) assert.equal((outcomeOf(res.json) as any)[k], v, `${path} ${k}`);
    }
  });

  it('audits every patient a search returns', async () => {
    const res = await call(h, q({ family: 'Sm*', gender: 'female', birthdate: 'eq2010-10-22' }));
    const { rows } = await h.db.query('SELECT action, nhs_numbers, outcome FROM audit.events WHERE request_id = $1', [res.requestId]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].action, 'patient.search');
    assert.deepEqual([...rows[0].nhs_numbers].sort(), ids(res.json).sort());
  });
});
