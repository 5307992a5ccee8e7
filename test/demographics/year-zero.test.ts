import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, call, newPerson, type PdsHarness } from './support/pds.js';

/**
 * FHIR's dates have no year 0000 and PostgreSQL refuses it as out of range, while JavaScript's
 * `Date` takes it (1 BC): a search, a create and a PATCH with it were 500s, and a name period
 * starting in it was stored. Each is now the API's 400 naming the value, and nothing is stored.
 */
describe('PDS: year 0000 is not a date', () => {
  let h: PdsHarness;
  before(async () => {
    h = await startPds();
  });
  after(() => h.close());

  const issueOf = (json: any) => ({ code: json.issue[0].details.coding[0].code, diagnostics: json.issue[0].diagnostics });

  it('a search by birth or death date in year 0000 is INVALID_VALUE', async () => {
    for (const [field, value] of [['birthdate', 'ge0000-01-01'], ['birthdate', 'eq0000-01-01'], ['birthdate', 'le0000-12-31'], ['death-date', 'eq0000-01-01']]) {
      const res = await call(h, `Patient?family=Smith&gender=female&${field}=${value}`);
      assert.equal(res.status, 400, `${field}=${value}: ${JSON.stringify(res.json)}`);
      assert.deepEqual(issueOf(res.json), { code: 'INVALID_VALUE', diagnostics: `Invalid value - '${value}' in field '${field}'` });
    }
    // Year 0001 is a date: searched, not refused.
    assert.equal((await call(h, 'Patient?family=Smith&gender=female&birthdate=ge0001-01-01')).status, 200);
  });

  it('a create with a birth date in year 0000 is INVALID_VALUE naming birthDate, and allocates nothing', async () => {
    const res = await call(h, 'Patient', { method: 'POST', body: newPerson('Yearzero', 'Ann', '0000-01-01') });
    assert.equal(res.status, 400, JSON.stringify(res.json));
    assert.deepEqual(issueOf(res.json), { code: 'INVALID_VALUE', diagnostics: "Invalid value - '0000-01-01' in field 'birthDate'" });
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM demographics.patients WHERE resource::text LIKE '%Yearzero%'`);
    assert.equal(rows[0].n, 0);
  });

  it('a PATCH to a birth date or a name period in year 0000 is refused and the record keeps its version', async () => {
    const before = await call(h, 'Patient/9000000009');
    const etag = before.headers.get('etag')!;
    const patch = (patches: unknown[]) => call(h, 'Patient/9000000009', { method: 'PATCH', headers: { 'if-match': etag, 'content-type': 'application/json-patch+json' }, body: { patches } });

    const birth = await patch([{ op: 'replace', path: '/birthDate', value: '0000-01-01' }]);
    assert.equal(birth.status, 400, JSON.stringify(birth.json));
    // As a birth date of 30 February is: the record's shape (Patient.yaml's date) is what refuses it.
    assert.deepEqual(issueOf(birth.json), { code: 'INVALID_VALUE', diagnostics: "Invalid value - '0000-01-01' in field 'birthDate'" });
    const february = await patch([{ op: 'replace', path: '/birthDate', value: '2001-02-30' }]);
    assert.deepEqual(issueOf(february.json), { code: 'INVALID_VALUE', diagnostics: "Invalid value - '2001-02-30' in field 'birthDate'" });

    const period = await patch([{ op: 'test', path: '/name/0/id', value: before.json.name[0].id }, { op: 'replace', path: '/name/0/period/start', value: '0000-01-01' }]);
    assert.equal(period.status, 400, JSON.stringify(period.json));
    assert.deepEqual(issueOf(period.json), { code: 'INVALID_VALUE', diagnostics: "Invalid value - '0000-01-01' in field 'name/0/period/start'" });

    const after = await call(h, 'Patient/9000000009');
    assert.equal(after.headers.get('etag'), etag);
    assert.deepEqual(after.json, before.json);
  });
});
