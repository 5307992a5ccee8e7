import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startPds, call, invalidMethodStub, outcomeOf, type PdsHarness, type CallOptions } from './support/pds.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { testPopulation } from './support/population.js';
import { createAppAndToken } from '../support/identity.js';

const spec = (path: string) => JSON.parse(readFileSync(new URL(`../../spec/nhs/pds/${path}`, import.meta.url), 'utf8'));

describe('PATCH /Patient/{id}', () => {
  let h: PdsHarness;
  const people = testPopulation(12, 940_000_000);
  const patch = (id: string, patches: unknown, options: CallOptions & { version?: number } = {}) =>
    call(h, `Patient/${id}`, {
      method: 'PATCH', body: { patches }, ...options,
      headers: { 'content-type': 'application/json-patch+json', ...(options.version !== undefined ? { 'if-match': `W/"${options.version}"` } : {}), ...options.headers },
    });
  const invalidUpdate = async (id: string, patches: unknown, diagnostics?: string | RegExp) => {
    const res = await patch(id, patches, { version: 1 });
    assert.equal(res.status, 400, JSON.stringify(patches));
    const outcome = outcomeOf(res.json);
    assert.equal(outcome.code, 'INVALID_UPDATE', JSON.stringify(res.json));
    if (typeof diagnostics === 'string') assert.equal(outcome.diagnostics, diagnostics);
    else if (diagnostics) assert.match(outcome.diagnostics, diagnostics);
  };

  before(async () => {
    h = await startPds();
    await bulkInsertPatients(h.spine.ctx.db, { patients: people });
  });
  after(() => h.close());

  it('applies the patches, increments the version and keeps the old one', async () => {
    const id = people[0]!.id;
    const res = await patch(id, [{ op: 'replace', path: '/gender', value: 'male' }, { op: 'add', path: '/name/0/id', value: 'n0' }, { op: 'add', path: '/name/0/given/1', value: 'Rose' }], { version: 1 });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.headers.get('etag'), 'W/"2"');
    assert.equal(res.json.meta.versionId, '2');
    assert.equal(res.json.gender, 'male');
    assert.deepEqual(res.json.name[0].given, [people[0]!.name![0]!.given![0], 'Rose']);
    const read = await call(h, `Patient/${id}`);
    assert.deepEqual(read.json, res.json);
    const history = await h.db.query('SELECT version_id, resource FROM demographics.patient_versions WHERE nhs_number = $1', [id]);
    assert.deepEqual(history.rows.map((r) => [r.version_id, r.resource.gender]), [[1, people[0]!.gender]]);
    const audit = await h.db.query('SELECT action, nhs_numbers FROM audit.events WHERE request_id = $1', [res.requestId]);
    assert.deepEqual(audit.rows, [{ action: 'patient.update', nhs_numbers: [id] }]);
  });

  it('needs Content-Type application/json-patch+json (400 otherwise, before the version is looked at)', async () => {
    const id = people[1]!.id;
    for (const contentType of ['application/json', 'application/fhir+json']) {
      const res = await patch(id, [{ op: 'replace', path: '/birthDate', value: '1970-01-02' }], { version: 9, headers: { 'content-type': contentType } });
      assert.equal(res.status, 400, contentType);
      assert.deepEqual(outcomeOf(res.json), { code: 'INVALID_VALUE', display: 'Provided value is invalid', issueCode: 'value', severity: 'error',
        diagnostics: `Invalid value - '${contentType}' in header 'Content-Type'` });
    }
    const ok = await patch(id, [{ op: 'replace', path: '/birthDate', value: '1970-01-02' }], { version: 1, headers: { 'content-type': 'application/json-patch+json; charset=utf-8' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
  });

  it('needs If-Match (412) and the current version (409)', async () => {
    const id = people[2]!.id;
    const missing = await patch(id, [{ op: 'replace', path: '/gender', value: 'male' }]);
    assert.equal(missing.status, 412);
    assert.deepEqual(missing.json, { ...spec('stubs/errorResponses/PRECONDITION_FAILED.json'), issue: [{ ...spec('stubs/errorResponses/PRECONDITION_FAILED.json').issue[0], diagnostics: 'Invalid request with error - If-Match header must be supplied to update this resource' }] });
    const stale = await patch(id, [{ op: 'replace', path: '/gender', value: 'male' }], { version: 7 });
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.json, spec('stubs/errorResponses/RESOURCE_VERSION_MISMATCH.json'));
  });

  it("an If-Match naming the version otherwise than its ETag does (W/\"01\", a number past any version) gets 409; one not of the form W/\"<version>\" gets 412", async () => {
    const id = people[11]!.id;
    const mismatch = spec('stubs/errorResponses/RESOURCE_VERSION_MISMATCH.json');
    for (const ifMatch of ['W/"01"', 'W/"001"', 'W/"0"', 'W/"4294967297"', 'W/"12345678901234567890"']) {
      const res = await patch(id, [{ op: 'replace', path: '/gender', value: 'male' }], { headers: { 'if-match': ifMatch } });
      assert.equal(res.status, 409, ifMatch);
      assert.deepEqual(res.json, mismatch, ifMatch);
    }
    const precondition = spec('stubs/errorResponses/PRECONDITION_FAILED.json');
    for (const ifMatch of ['"1"', 'W/1', 'w/"1"', 'W/"1", W/"2"', '*', 'W/""', 'W/"-1"', 'W/"1.0"']) {
      const res = await patch(id, [{ op: 'replace', path: '/gender', value: 'male' }], { headers: { 'if-match': ifMatch } });
      assert.equal(res.status, 412, ifMatch);
      assert.deepEqual(res.json, { ...precondition, issue: [{ ...precondition.issue[0], diagnostics: `Invalid value - '${ifMatch}' in header 'If-Match'` }] }, ifMatch);
    }
    const { rows } = await h.db.query('SELECT version_id FROM demographics.patients WHERE nhs_number = $1', [id]);
    assert.equal(rows[0].version_id, 1);
    const current = await patch(id, [{ op: 'replace', path: '/gender', value: 'male' }], { headers: { 'if-match': 'W/"1"' } });
    assert.equal(current.status, 200, JSON.stringify(current.json));
  });

  it('two PATCHes racing on one version: exactly one wins, the other gets 409', async () => {
    const id = people[3]!.id;
    const results = await Promise.all(['male', 'female', 'unknown', 'male'].map((g) => patch(id, [{ op: 'replace', path: '/gender', value: g }], { version: 1 })));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 409, 409, 409]);
    const { rows } = await h.db.query('SELECT version_id FROM demographics.patients WHERE nhs_number = $1', [id]);
    assert.equal(rows[0].version_id, 2);
  });

  it('a retry with the same X-Request-ID returns the first outcome without a second update', async () => {
    const id = people[4]!.id;
    const requestId = randomUUID();
    const first = await patch(id, [{ op: 'replace', path: '/gender', value: 'unknown' }], { version: 1, requestId });
    const retry = await patch(id, [{ op: 'replace', path: '/gender', value: 'unknown' }], { version: 1, requestId });
    assert.equal(first.status, 200);
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.json, first.json);
    assert.equal(retry.headers.get('etag'), 'W/"2"');
    const { rows } = await h.db.query('SELECT version_id FROM demographics.patients WHERE nhs_number = $1', [id]);
    assert.equal(rows[0].version_id, 2);
  });

  it('enforces the PDS rules, all or nothing', async () => {
    const id = people[5]!.id;
    await invalidUpdate(id, [], 'Invalid update with error - No patches found');
    await invalidUpdate(id, [{ op: 'remove', path: '/name/0/prefix/0' }], "Invalid update with error - removal '/name/0/prefix/0' is not immediately preceded by equivalent test - instead it is the first item");
    await invalidUpdate(id, [{ op: 'add', path: '/name/0/given/0', value: 'Rose' }], "Invalid update with error - no id or url found for path with root /name/0");
    await invalidUpdate(id, [{ op: 'add', path: '/name/0/id', value: 'wrong' }, { op: 'add', path: '/name/0/given/0', value: 'Rose' }], "Invalid update with error - no 'name' resources with object id 'wrong'");
    await invalidUpdate(id, [{ op: 'replace', path: '/gender', value: 'male' }, { op: 'remove', path: '/name/0/prefix' }], /removal '\/name\/0\/prefix' is not immediately preceded/);
    await invalidUpdate(id, [{ op: 'replace', path: '/gender', value: 'other' }], "Invalid update with error - gender cannot be set to 'other'");
    await invalidUpdate(id, [{ op: 'add', path: '/name/0', value: { use: 'nickname', family: 'Nick' } }], /must be added at '\/name\/-'/);
    await invalidUpdate(id, [{ op: 'add', path: '/address/-', value: { use: 'work', line: ['1 Office'], postalCode: 'LS1 1AA' } }], 'Invalid update with error - a work address cannot be added');
    await invalidUpdate(id, [{ op: 'add', path: '/deceasedDateTime', value: '2999-01-01T00:00:00+00:00' }], /death cannot be in the future|death notification/);
    await invalidUpdate(id, [{ op: 'add', path: '/deceasedDateTime', value: '2020-01-01T00:00:00+00:00' }], 'Invalid update with error - a date of death needs a death notification status extension');
    await invalidUpdate(id, [{ op: 'test', path: '/gender', value: 'female' }, { op: 'replace', path: '/gender', value: 'unknown' }], /test of '\/gender' failed/);
    await invalidUpdate(id, [{ op: 'replace', path: '/gender', value: 'male' }, { op: 'replace', path: '/name/7/family', value: 'X' }]);
    await invalidUpdate(id, [{ op: 'move', from: '/gender', path: '/birthDate' }]);
    const pets = await patch(id, [{ op: 'add', path: '/pets', value: ['cat'] }], { version: 1 });
    assert.equal(pets.status, 400);
    assert.deepEqual([outcomeOf(pets.json).code, outcomeOf(pets.json).diagnostics], ['INVALID_UPDATE', "Invalid update with error - Update unsupported for resource - 'pets'"]);
    const identity = await patch(id, [{ op: 'replace', path: '/id', value: '9000000009' }], { version: 1 });
    assert.equal(identity.status, 403);
    assert.equal(outcomeOf(identity.json).code, 'FORBIDDEN_UPDATE');
    const { rows } = await h.db.query('SELECT version_id, gender FROM demographics.patients WHERE nhs_number = $1', [id]);
    assert.deepEqual(rows[0], { version_id: 1, gender: people[5]!.gender }, 'no partial write');
    const audit = await h.db.query('SELECT outcome, detail FROM audit.events WHERE request_id = $1', [identity.requestId]);
    assert.deepEqual(audit.rows, [{ outcome: 'failure', detail: { error: 'FORBIDDEN_UPDATE' } }], 'refused updates are audited');
  });

  it('a remove preceded by a test of the item id succeeds', async () => {
    const id = people[6]!.id;
    const res = await patch(id, [{ op: 'test', path: '/name/0/id', value: 'n6' }, { op: 'remove', path: '/name/0/prefix' }], { version: 1 });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.name[0].prefix, undefined);
  });

  it('writes death, GP change and address change events in the same transaction', async () => {
    const id = people[7]!.id;
    const res = await patch(id, [
      { op: 'add', path: '/deceasedDateTime', value: '2024-01-01T00:00:00+00:00' },
      { op: 'add', path: '/extension', value: [{ url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus', extension: [{ url: 'deathNotificationStatus', valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus', code: '1', display: 'Informal - death notice received via an update from a local NHS Organisation such as GP or Trust' }] } }] }] },
      { op: 'test', path: '/generalPractitioner/0/id', value: 'g7' },
      { op: 'replace', path: '/generalPractitioner/0/identifier/value', value: 'B86030' },
      { op: 'add', path: '/address/0/id', value: 'a7' },
      { op: 'replace', path: '/address/0/postalCode', value: 'LS2 9JT' },
    ], { version: 1 });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const { rows } = await h.db.query("SELECT event_type, payload FROM platform.outbox WHERE nhs_number = $1 ORDER BY id", [id]);
    assert.deepEqual(rows.map((r) => r.event_type), ['pds-death-notification', 'pds-change-of-gp', 'pds-change-of-address', 'pds-record-change']);
    assert.equal(rows[1].payload.gp, 'B86030');
    const again = await patch(id, [{ op: 'replace', path: '/deceasedDateTime', value: '2024-02-01T00:00:00+00:00' }], { version: 2 });
    assert.equal(again.status, 403);
    assert.deepEqual(outcomeOf(again.json), { code: 'FORBIDDEN_UPDATE', display: 'Update is forbidden', issueCode: 'forbidden', severity: 'information',
      diagnostics: 'Forbidden update with error - the date of death cannot be changed once it has been set' });
    const found = await call(h, `Patient?family=${people[7]!.name![0]!.family}&birthdate=eq${people[7]!.birthDate}&address-postalcode=LS29JT`);
    assert.deepEqual(found.json.entry.map((e: any) => e.resource.id), [id]);
    const old = await call(h, `Patient?family=${people[7]!.name![0]!.family}&birthdate=eq${people[7]!.birthDate}&address-postalcode=${encodeURIComponent(people[7]!.address![0]!.postalCode!)}&_history=true`);
    assert.ok(old.json.entry.map((e: any) => e.resource.id).includes(id), 'the old postcode is history');
  });

  it('names it replaces stay searchable with _history; nicknames it adds are searched without, and one it removes only with', async () => {
    const person = people[10]!;
    const id = person.id;
    const old = person.name![0]!;
    const birthdate = `eq${person.birthDate}`;
    const found = async (family: string, given: string, history = false) =>
      (await call(h, `Patient?family=${family}&given=${given}&birthdate=${birthdate}${history ? '&_history=true' : ''}`)).json.entry?.map((e: any) => e.resource.id) ?? [];
    const renamed = await patch(id, [
      { op: 'test', path: '/name/0/id', value: old.id },
      { op: 'replace', path: '/name/0/family', value: 'Quillfeather' },
      { op: 'add', path: '/name/-', value: { use: 'nickname', family: 'Quillfeather', given: ['Quill'], period: { start: '2020-01-01' } } },
    ], { version: 1 });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.json));
    assert.deepEqual(await found('Quillfeather', old.given![0]!), [id]);
    assert.deepEqual(await found(old.family!, old.given![0]!), [], 'the old name is history');
    assert.deepEqual(await found(old.family!, old.given![0]!, true), [id]);
    assert.deepEqual(await found('Quillfeather', 'Quill'), [id], 'a nickname is searched without _history');
    // PDS gives the new nickname its id.
    const at = (renamed.json.name as Array<{ use: string }>).findIndex((n) => n.use === 'nickname');
    const dropped = await patch(id, [{ op: 'test', path: `/name/${at}/id`, value: renamed.json.name[at].id }, { op: 'remove', path: `/name/${at}` }], { version: 2 });
    assert.equal(dropped.status, 200, JSON.stringify(dropped.json));
    assert.deepEqual(await found('Quillfeather', 'Quill'), [], 'a removed nickname is history');
    assert.deepEqual(await found('Quillfeather', 'Quill', true), [id]);
    // Neither the old usual name nor the dropped nickname is an alias any more.
    const { rows } = await h.db.query('SELECT family, given, current_alias FROM demographics.historic_names WHERE nhs_number = $1 AND current_alias', [id]);
    assert.deepEqual(rows, []);
  });

  it('unknown, invalid and invalidated NHS numbers', async () => {
    assert.equal((await patch('9000000000', [{ op: 'replace', path: '/gender', value: 'male' }], { version: 1 })).status, 400);
    const unknown = await patch('9111231130', [{ op: 'replace', path: '/gender', value: 'male' }], { version: 1 });
    assert.equal(unknown.status, 404);
    assert.equal(outcomeOf(unknown.json).code, 'RESOURCE_NOT_FOUND');
    await bulkInsertPatients(h.spine.ctx.db, { patients: [], invalidated: [people[8]!.id] });
    const gone = await patch(people[8]!.id, [{ op: 'replace', path: '/gender', value: 'male' }], { version: 1 });
    assert.equal(gone.status, 404);
    assert.equal(outcomeOf(gone.json).code, 'INVALIDATED_RESOURCE');
  });

  it('needs patient:write, and a healthcare worker (application-restricted access cannot update)', async () => {
    const res = await patch(people[9]!.id, [{ op: 'replace', path: '/gender', value: 'male' }], { version: 1, bearer: h.appBearer });
    assert.equal(res.status, 403);
    const app = await createAppAndToken(h.spine, { activities: ['patient:read', 'patient:write'] });
    const appWrite = await patch(people[9]!.id, [{ op: 'replace', path: '/gender', value: 'male' }], { version: 1, bearer: app.token });
    assert.equal(appWrite.status, 403);
    assert.deepEqual(appWrite.json, invalidMethodStub('Cannot update resource with Application-Restricted access token'));
  });
});
