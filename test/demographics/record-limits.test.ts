import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, call, currentVersion, newPerson, type PdsHarness } from './support/pds.js';
import { MAX_RECORD_BYTES, MAX_WRITE_BODY_BYTES } from '../../src/services/demographics/domain/limits.js';

/**
 * A patient record is bounded (OpenSpine's own limits, domain/limits.ts): a write body at most
 * 64 KiB, a record as a PATCH leaves it at most 64 KiB. One 3.7 MB PATCH had added 32,000 names.
 */
describe('PDS: how much a record may hold', () => {
  let h: PdsHarness;
  before(async () => {
    h = await startPds();
  });
  after(() => h.close());

  const patch = async (id: string, patches: unknown[]) => {
    const { etag } = await currentVersion(h, id);
    return call(h, `Patient/${id}`, { method: 'PATCH', headers: { 'if-match': etag, 'content-type': 'application/json-patch+json' }, body: { patches } });
  };
  const name = (i: number) => ({ op: 'add', path: '/name/-', value: { use: 'old', family: `Family${String(i).padStart(5, '0')}`, given: ['Given'] } });

  it('a PATCH body over 64 KiB is 413 and changes nothing; one under it is taken', async () => {
    const before = await currentVersion(h, '9000000017');
    const many = Array.from({ length: 1000 }, (_, i) => name(i));
    assert.ok(JSON.stringify({ patches: many }).length > MAX_WRITE_BODY_BYTES);
    const refused = await patch('9000000017', many);
    assert.equal(refused.status, 413, JSON.stringify(refused.json));
    assert.equal(refused.json.resourceType, 'OperationOutcome');
    assert.equal(refused.json.issue[0].details.coding[0].code, 'MESSAGE_TOO_LARGE');
    assert.equal((await currentVersion(h, '9000000017')).etag, before.etag);
    assert.equal((await patch('9000000017', [name(1)])).status, 200);
  });

  it('a create body over 64 KiB is 413 and allocates nothing', async () => {
    const person = newPerson('Toolarge');
    person.name.push(...Array.from({ length: 1200 }, (_, i) => ({ use: 'old', family: `Family${i}`, given: ['Given'], prefix: ['Mrs'], period: { start: '1986-07-01' } })));
    const refused = await call(h, 'Patient', { method: 'POST', body: person });
    assert.equal(refused.status, 413, JSON.stringify(refused.json));
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM demographics.patients WHERE resource::text LIKE '%Toolarge%'`);
    assert.equal(rows[0].n, 0);
  });

  it('PATCHes that together would grow a record past 64 KiB: the one that would is refused INVALID_UPDATE, the record as it was', async () => {
    let sent = 0;
    let refused: Awaited<ReturnType<typeof patch>> | undefined;
    for (let round = 0; round < 40 && !refused; round++) {
      const res = await patch('9000000025', Array.from({ length: 100 }, (_, i) => name(sent + i)));
      if (res.status === 200) sent += 100;
      else refused = res;
    }
    assert.ok(refused, 'a PATCH was refused before the record passed the limit');
    assert.equal(refused.status, 400, JSON.stringify(refused.json));
    assert.equal(refused.json.issue[0].details.coding[0].code, 'INVALID_UPDATE');
    assert.equal(refused.json.issue[0].diagnostics, `Invalid update with error - the record would be larger than ${MAX_RECORD_BYTES} characters`);
    const { patient } = await currentVersion(h, '9000000025');
    assert.ok(JSON.stringify(patient).length <= MAX_RECORD_BYTES);
    assert.equal(patient.name.filter((n: { use: string }) => n.use === 'old').length >= sent, true);
  });
});
