import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { openspine } from '../support/cli.js';

/** /admin/directory/postcode-areas: the areas NEMS's postcode rules read, loaded and looked up over HTTP. */
describe('directory admin API: postcode areas', () => {
  let spine: TestSpine;
  let admin: string;
  let appId: string;

  before(async () => {
    spine = await startTestSpine();
    const app = await createAppAndToken(spine, { activities: ['directory:admin', 'audit:read-all', 'audit:read'] });
    admin = app.token;
    appId = app.principal.appId;
  });
  after(async () => { await spine?.close(); });

  async function call(method: string, path: string, body?: unknown, token = admin) {
    const response = await fetch(`${spine.url}/admin/directory/postcode-areas${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() as any };
  }
  const refused = (result: { status: number; body: any }, expression: string) => {
    assert.equal(result.status, 400, JSON.stringify(result.body));
    assert.equal(result.body.resourceType, 'OperationOutcome');
    assert.equal(result.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.match(JSON.stringify(result.body.issue[0]), new RegExp(expression.replace(/[[\]]/g, '\\$&')));
  };

  it('demo data places the PDS sandbox patients\' postcodes (Leeds, North Lincolnshire) in an ICB sub location and local authority', async () => {
    assert.deepEqual(await call('GET', '?postcode=ls16ae'), { status: 200, body: { postcode: 'LS1 6AE', areas: { 'icb-sub-location': '15F', 'local-authority': 'E08000035' } } });
    assert.deepEqual((await call('GET', '?postcode=DN17%204AA')).body.areas, { 'icb-sub-location': '03K', 'local-authority': 'E06000013' });
    assert.deepEqual(await call('GET', '?postcode=ZE1%200AA'), { status: 200, body: { postcode: 'ZE1 0AA', areas: {} } });
  });

  it('PUT replaces an organisation\'s prefixes (normalised, deduplicated); the longest prefix wins a lookup; GET reads them back', async () => {
    const put = await call('PUT', '/icb-sub-location/t01', { prefixes: ['zz1 6', 'ZZ2', 'zz16ae', 'ZZ2'] });
    assert.deepEqual(put, { status: 200, body: { kind: 'icb-sub-location', odsCode: 'T01', prefixes: ['ZZ1 6', 'ZZ1 6AE', 'ZZ2'] } });
    assert.equal((await call('PUT', '/icb-sub-location/T02', { prefixes: ['ZZ1'] })).status, 200);
    assert.deepEqual((await call('GET', '?postcode=ZZ1%206AB')).body.areas, { 'icb-sub-location': 'T01' });
    assert.deepEqual((await call('GET', '?postcode=ZZ1%207AB')).body.areas, { 'icb-sub-location': 'T02' });
    // A replace drops what it no longer names.
    assert.equal((await call('PUT', '/icb-sub-location/T01', { prefixes: ['ZZ2'] })).status, 200);
    assert.deepEqual((await call('GET', '?postcode=ZZ1%206AB')).body.areas, { 'icb-sub-location': 'T02' });
    assert.deepEqual((await call('GET', '/icb-sub-location/T01')).body, { kind: 'icb-sub-location', odsCode: 'T01', prefixes: ['ZZ2'] });
    assert.deepEqual(await directoryApi(spine.ctx.db).areasOfPostcode('ZZ2 1AA'), { 'icb-sub-location': 'T01' });
  });

  it('refuses at the door what is not a prefix, an unknown kind, an unknown field or a bad postcode, naming the field, and stores nothing', async () => {
    refused(await call('PUT', '/local-authority/E09000001', { prefixes: ['EC1', 'EC1 6A'] }), 'prefixes[1]');
    refused(await call('PUT', '/local-authority/E09000001', { prefixes: [7] }), 'prefixes');
    refused(await call('PUT', '/local-authority/E09000001', { prefixes: ['EC1'], extra: true }), 'extra');
    assert.equal((await call('PUT', '/county/E09000001', { prefixes: ['EC1'] })).status, 400);
    refused(await call('GET', '?postcode=12345'), 'postcode');
    assert.deepEqual((await call('GET', '/local-authority/E09000001')).body.prefixes, []);
  });

  it('needs directory:admin, and every change is audited by the application that made it', async () => {
    const { token: reader } = await createAppAndToken(spine, { activities: ['directory:read'] });
    assert.equal((await call('PUT', '/local-authority/E09000002', { prefixes: ['EC2'] }, reader)).status, 403);
    assert.equal((await call('PUT', '/local-authority/E09000002', { prefixes: ['EC2'] })).status, 200);
    assert.equal((await call('PUT', '/local-authority/E09000002', { prefixes: ['EC3'] })).status, 200);
    const response = await fetch(`${spine.url}/audit/FHIR/R4/AuditEvent?agent=${appId}`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(response.status, 200);
    const text = JSON.stringify(await response.json());
    assert.match(text, /directory\.postcode-areas\.create/);
    assert.match(text, /directory\.postcode-areas\.update/);
    assert.match(text, /PostcodeAreas\/local-authority\/E09000002/);
  });

  it('a set that fails part-way changes nothing: the organisation keeps its prefixes (one statement, not a delete and then an insert)', async () => {
    const directory = directoryApi(spine.ctx.db);
    await directory.setPostcodeAreas('local-authority', 'FLT91', ['ZY1', 'ZY2']);
    // The insert of ZY3 fails, as a lost connection or a full disk would fail it.
    await spine.ctx.db.query(`CREATE FUNCTION public.refuse_zy3() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$`);
    await spine.ctx.db.query(`CREATE TRIGGER refuse_zy3 BEFORE INSERT ON directory.postcode_areas FOR EACH ROW WHEN (NEW.prefix = 'ZY3') EXECUTE FUNCTION public.refuse_zy3()`);
    try {
      await assert.rejects(directory.setPostcodeAreas('local-authority', 'FLT91', ['ZY1', 'ZY3']), /injected fault/);
    } finally {
      await spine.ctx.db.query('DROP TRIGGER refuse_zy3 ON directory.postcode_areas; DROP FUNCTION public.refuse_zy3()');
    }
    assert.deepEqual((await call('GET', '/local-authority/FLT91')).body.prefixes, ['ZY1', 'ZY2']);
    await directory.setPostcodeAreas('local-authority', 'FLT91', ['ZY1', 'ZY3']);
    assert.deepEqual((await call('GET', '/local-authority/FLT91')).body.prefixes, ['ZY1', 'ZY3']);
  });

  it('openspine directory postcode-areas: set from a list or a file replaces what the organisation had; lookup takes the longest prefix; a bad kind or prefix stores nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postcodes-'));
    try {
      const set = await openspine(spine.databaseUrl, 'directory', 'postcode-areas', 'set', '--kind', 'local-authority', '--ods', 'e09000033', '--prefixes', 'SW1A, SW1P');
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual(JSON.parse(set.stdout), { kind: 'local-authority', odsCode: 'E09000033', prefixes: 2 });
      // A file of prefixes, one a line, first column (as a column cut from the ONS postcode directory).
      const file = join(dir, 'sectors.csv');
      writeFileSync(file, 'SW1A 1,Westminster\r\nSW1A 2,Westminster\n\n');
      const fromFile = await openspine(spine.databaseUrl, 'directory', 'postcode-areas', 'set', '--kind', 'icb-sub-location', '--ods', 'W2U3Z', '--file', file);
      assert.equal(fromFile.code, 0, fromFile.stderr);
      assert.equal(JSON.parse(fromFile.stdout).prefixes, 2);
      const lookup = await openspine(spine.databaseUrl, 'directory', 'postcode-areas', 'lookup', '--postcode', 'sw1a 1aa');
      assert.equal(lookup.code, 0, lookup.stderr);
      assert.deepEqual(JSON.parse(lookup.stdout), { 'local-authority': 'E09000033', 'icb-sub-location': 'W2U3Z' });
      // Replaced, not added to: SW1P is no longer Westminster's.
      assert.equal((await openspine(spine.databaseUrl, 'directory', 'postcode-areas', 'set', '--kind', 'local-authority', '--ods', 'E09000033', '--prefixes', 'SW1A')).code, 0);
      assert.deepEqual(await directoryApi(spine.ctx.db).areasOfPostcode('SW1P 3JA'), {});
      assert.equal((await call('GET', '/local-authority/E09000033')).body.prefixes.length, 1);

      const badKind = await openspine(spine.databaseUrl, 'directory', 'postcode-areas', 'set', '--kind', 'county', '--ods', 'E09000033', '--prefixes', 'EC1');
      assert.notEqual(badKind.code, 0);
      assert.match(badKind.stderr, /--kind must be/);
      const badPrefix = await openspine(spine.databaseUrl, 'directory', 'postcode-areas', 'set', '--kind', 'local-authority', '--ods', 'E09000033', '--prefixes', 'SW1A,12345');
      assert.notEqual(badPrefix.code, 0);
      assert.deepEqual((await call('GET', '/local-authority/E09000033')).body.prefixes, ['SW1A'], 'nothing of the refused set was stored');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
