import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { INTERACTION, ODS, PARTY_KEY, sdsQuery } from './sds-support.js';

describe('directory admin API', () => {
  let spine: TestSpine;
  let admin: string;

  before(async () => {
    spine = await startTestSpine();
    ({ token: admin } = await createAppAndToken(spine, { activities: ['directory:admin', 'directory:read'] }));
  });
  after(async () => { await spine?.close(); });

  async function call(method: string, path: string, body?: unknown, token = admin) {
    const response = await fetch(`${spine.url}/admin/directory${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() as any };
  }

  function assertOutcome(result: { status: number; body: any }, status: number, code: string, diagnostics: RegExp, expression?: string) {
    assert.equal(result.status, status, JSON.stringify(result.body));
    assert.equal(result.body.resourceType, 'OperationOutcome');
    const issue = result.body.issue[0];
    assert.equal(issue.details.coding[0].code, code);
    assert.match(issue.diagnostics, diagnostics);
    if (expression) assert.deepEqual(issue.expression, [expression]);
  }

  it('creates, reads, replaces and lists an organisation', async () => {
    const created = await call('POST', '/organisations',
      { odsCode: 'p84001', name: ' Parkside Surgery ', role: 'gp-practice', parentOdsCode: 'QHM', postcode: 'dl1 1aa' });
    assert.equal(created.status, 201);
    const expected = { odsCode: 'P84001', name: 'Parkside Surgery', role: 'gp-practice', parentOdsCode: 'QHM', active: true, postcode: 'DL1 1AA' };
    assert.deepEqual(created.body, expected);
    assert.deepEqual((await call('GET', '/organisations/P84001')).body, expected);
    assertOutcome(await call('POST', '/organisations', { odsCode: 'P84001', name: 'Again', role: 'gp-practice' }),
      409, 'DUPLICATE_REJECTED', /P84001 is already in the directory/);

    const replaced = await call('PUT', '/organisations/P84001', { name: 'Parkside Surgery (closed)', role: 'gp-practice', active: false });
    assert.equal(replaced.status, 200);
    assert.deepEqual(await directoryApi(spine.ctx.db).getOrganisation('P84001'),
      { odsCode: 'P84001', name: 'Parkside Surgery (closed)', role: 'gp-practice', active: false });
    const fresh = await call('PUT', '/organisations/P84002', { name: 'New Practice', role: 'gp-practice' });
    assert.equal(fresh.status, 201);

    const practices = await call('GET', '/organisations?role=gp-practice&limit=1000');
    assert.equal(practices.status, 200);
    const codes = practices.body.items.map((o: any) => o.odsCode);
    for (const code of ['A83008', 'B82005', 'Y12345', 'P84001', 'P84002']) assert.ok(codes.includes(code), code);
    assert.ok(practices.body.items.every((o: any) => o.role === 'gp-practice'));
    const children = await call('GET', '/organisations?parentOdsCode=qwe');
    assert.deepEqual(children.body.items.map((o: any) => o.odsCode), ['FCG73', 'RJ1', 'Y12345']);
    const page = await call('GET', '/organisations?limit=2&offset=1');
    assert.deepEqual([page.body.items.length, page.body.limit, page.body.offset], [2, 2, 1]);
  });

  it('refuses a parent that would make an organisation its own ancestor, however long the cycle, naming the field', async () => {
    for (const code of ['CYC01', 'CYC02', 'CYC03']) assert.equal((await call('PUT', `/organisations/${code}`, { name: code, role: 'other' })).status, 201);
    // CYC02 → CYC01, CYC03 → CYC02: then CYC01 → CYC02 (two steps) or CYC01 → CYC03 (three) closes a cycle.
    assert.equal((await call('PUT', '/organisations/CYC02', { name: 'CYC02', role: 'other', parentOdsCode: 'CYC01' })).status, 200);
    assert.equal((await call('PUT', '/organisations/CYC03', { name: 'CYC03', role: 'other', parentOdsCode: 'cyc02' })).status, 200);
    assertOutcome(await call('PUT', '/organisations/CYC01', { name: 'CYC01', role: 'other', parentOdsCode: 'CYC02' }),
      400, 'INVALID_VALUE', /^'parentOdsCode' CYC02 would make CYC01 its own ancestor \(CYC01 → CYC02 → CYC01\)$/, 'parentOdsCode');
    assertOutcome(await call('PUT', '/organisations/CYC01', { name: 'CYC01', role: 'other', parentOdsCode: 'CYC03' }),
      400, 'INVALID_VALUE', /CYC01 → CYC03 → CYC02 → CYC01/, 'parentOdsCode');
    assert.equal((await directoryApi(spine.ctx.db).getOrganisation('CYC01'))?.parentOdsCode, undefined, 'nothing written');
    // Through the directory's api.ts (the console's and other services' way in) too.
    await assert.rejects(directoryApi(spine.ctx.db).upsertOrganisation({ odsCode: 'cyc01', name: 'CYC01', role: 'other', active: true, parentOdsCode: 'cyc03' }),
      (err: Error & { field?: string }) => err.field === 'parentOdsCode' && /own ancestor/.test(err.message));
    // A create that would close one (a record that already names the new code as its parent, as seed data may).
    await directoryApi(spine.ctx.db).upsertOrganisation({ odsCode: 'CYC05', name: 'CYC05', role: 'other', active: true, parentOdsCode: 'CYC04' });
    assertOutcome(await call('POST', '/organisations', { odsCode: 'CYC04', name: 'CYC04', role: 'other', parentOdsCode: 'CYC05' }),
      400, 'INVALID_VALUE', /CYC04 → CYC05 → CYC04/, 'parentOdsCode');
    assert.equal((await call('GET', '/organisations/CYC04')).status, 404);
    // Re-stating a parent, or moving under an organisation off the chain, is fine.
    assert.equal((await call('PUT', '/organisations/CYC03', { name: 'CYC03', role: 'other', parentOdsCode: 'CYC02' })).status, 200);
    assert.equal((await call('PUT', '/organisations/CYC03', { name: 'CYC03', role: 'other', parentOdsCode: 'CYC01' })).status, 200);
  });

  it('two concurrent updates cannot close a cycle between them', async () => {
    const ring = ['RNG01', 'RNG02', 'RNG03'];
    for (let round = 0; round < 10; round += 1) {
      for (const code of ring) await call('PUT', `/organisations/${code}`, { name: code, role: 'other' });
      // Each alone is allowed; all three together would be RNG01 → RNG02 → RNG03 → RNG01.
      const results = await Promise.all(ring.map((code, i) =>
        call('PUT', `/organisations/${code}`, { name: code, role: 'other', parentOdsCode: ring[(i + 1) % ring.length] })));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 400], JSON.stringify(results.map((r) => r.body)));
      const parents = await Promise.all(ring.map(async (code) => (await directoryApi(spine.ctx.db).getOrganisation(code))?.parentOdsCode));
      assert.equal(parents.filter(Boolean).length, 2, `round ${round}: ${parents.join(',')}`);
    }
  });

  it('stores and shows a postcode in the standard form (outward code, space, inward code), whichever spelling is sent', async () => {
    for (const [sent, odsCode] of [['ls16ae', 'PCD01'], ['LS1 6AE', 'PCD02'], ['Ls1 6aE', 'PCD03']] as const) {
      const created = await call('POST', '/organisations', { odsCode, name: 'Postcode test', role: 'other', postcode: sent });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.postcode, 'LS1 6AE');
      assert.equal((await call('GET', `/organisations/${odsCode}`)).body.postcode, 'LS1 6AE');
    }
    const replaced = await call('PUT', '/organisations/PCD01', { name: 'Postcode test', role: 'other', postcode: 'ec1a1bb' });
    assert.equal(replaced.body.postcode, 'EC1A 1BB');
    assert.equal((await directoryApi(spine.ctx.db).getOrganisation('PCD01'))?.postcode, 'EC1A 1BB');
    await directoryApi(spine.ctx.db).upsertOrganisation({ odsCode: 'PCD04', name: 'Postcode test', role: 'other', active: true, postcode: ' w1a0ax ' });
    assert.equal((await directoryApi(spine.ctx.db).getOrganisation('PCD04'))?.postcode, 'W1A 0AX');
  });

  it('refuses bad organisations with the field named, and writes nothing', async () => {
    const cases: Array<[unknown, number, string, RegExp, string?]> = [
      [{ name: 'No code', role: 'gp-practice' }, 400, 'MISSING_VALUE', /^Missing value - 'odsCode'$/],
      [{ odsCode: 'A1', name: 'Short', role: 'gp-practice' }, 400, 'INVALID_VALUE', /^Invalid value - 'A1' in field 'odsCode'$/],
      [{ odsCode: 'ABC-12', name: 'Dash', role: 'gp-practice' }, 400, 'INVALID_VALUE', /^Invalid value - 'ABC-12' in field 'odsCode'$/],
      [{ odsCode: 'ZZZ01', role: 'gp-practice' }, 400, 'MISSING_VALUE', /^Missing value - 'name'$/],
      [{ odsCode: 'ZZZ01', name: 'X', role: 'hospital' }, 400, 'INVALID_VALUE', /^Invalid value - 'hospital' in field 'role'$/],
      [{ odsCode: 'ZZZ01', name: 'X', role: 'other', active: 'yes' }, 400, 'INVALID_VALUE', /^Invalid value - 'yes' in field 'active'$/],
      [{ odsCode: 'ZZZ01', name: 'X', role: 'other', postcode: 'NOT A POSTCODE' }, 400, 'INVALID_VALUE', /in field 'postcode'/],
      [{ odsCode: 'ZZZ01', name: 'X', role: 'other', parentOdsCode: 'ZZZ01' }, 400, 'INVALID_VALUE', /cannot be the organisation itself/, 'parentOdsCode'],
      [{ odsCode: 'ZZZ01', name: 'X', role: 'other', parentOdsCode: 'NOPE9' }, 400, 'INVALID_VALUE', /parent organisation NOPE9 is not in the directory/, 'parentOdsCode'],
      [{ odsCode: 'ZZZ01', name: 'X', role: 'other', colour: 'blue' }, 400, 'INVALID_VALUE', /'colour' was unexpected/],
      [{ odsCode: 'ZZZ01', name: ['X'], role: 'other' }, 400, 'INVALID_VALUE', /^Invalid value - '\["X"\]' in field 'name'$/],
      // Found by probing: a name of spaces passed minLength, was trimmed, and the organisation was stored nameless.
      [{ odsCode: 'ZZZ01', name: ' \t ', role: 'other' }, 400, 'INVALID_VALUE', /^Invalid value - ' \t ' in field 'name'$/],
      [{ odsCode: 'ZZZ01', name: 'Bell\u0007', role: 'other' }, 400, 'INVALID_VALUE', /^Invalid value - 'Bell\u0007' in field 'name'$/],
      [{ odsCode: 'ZZZ01', name: 'Two\nlines', role: 'other' }, 400, 'INVALID_VALUE', /^Invalid value - 'Two\nlines' in field 'name'$/],
      [[1, 2], 400, 'INVALID_VALUE', /^Invalid value - '\[1,2\]'/],
      ['{"odsCode": ', 400, 'MESSAGE_NOT_WELL_FORMED', /could not be parsed/],
    ];
    for (const [body, status, code, diagnostics, expression] of cases) {
      assertOutcome(await call('POST', '/organisations', body), status, code, diagnostics, expression);
    }
    assertOutcome(await call('PUT', '/organisations/ZZZ01', { odsCode: 'ZZZ02', name: 'X', role: 'other' }),
      400, 'INVALID_VALUE', /must match the ZZZ01 in the path/, 'odsCode');
    assertOutcome(await call('GET', '/organisations/ZZZ01'), 404, 'RESOURCE_NOT_FOUND', /ZZZ01 is not in the directory/);
    assertOutcome(await call('GET', '/organisations?limit=0'), 400, 'INVALID_VALUE', /^Invalid value - '0' in field 'limit'$/);
    assertOutcome(await call('GET', '/organisations?limit=1&limit=2'), 400, 'INVALID_VALUE', /in field 'limit'/);
    assertOutcome(await call('GET', '/organisations?role=castle'), 400, 'INVALID_VALUE', /^Invalid value - 'castle' in field 'role'$/);
    assertOutcome(await call('GET', '/organisations/A-1'), 400, 'INVALID_VALUE', /^Invalid value - 'A-1' in field 'odsCode'$/);
  });

  it('manages MESH mailboxes without ever showing their passwords, and the MESH contract sees them', async () => {
    const created = await call('POST', '/mailboxes',
      { mailboxId: 'p84001mb01', mailboxName: 'Parkside', odsCode: 'P84001', password: 's3cret' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const shown = { mailboxId: 'P84001MB01', mailboxName: 'Parkside', odsCode: 'P84001', orgCode: 'P84001', active: true, hasPassword: true };
    assert.deepEqual(created.body, shown);
    assert.deepEqual((await call('GET', '/mailboxes/P84001MB01')).body, shown);
    assert.equal((await directoryApi(spine.ctx.db).getMailbox('P84001MB01'))?.password, 's3cret');
    // An update may leave the password out and keep it.
    const renamed = await call('PUT', '/mailboxes/P84001MB01', { mailboxName: 'Parkside (main)', odsCode: 'P84001', billingEntity: 'England' });
    assert.equal(renamed.status, 200);
    assert.deepEqual(await directoryApi(spine.ctx.db).getMailbox('P84001MB01'), {
      mailboxId: 'P84001MB01', mailboxName: 'Parkside (main)', odsCode: 'P84001', orgCode: 'P84001',
      billingEntity: 'England', password: 's3cret', active: true,
    });
    assertOutcome(await call('POST', '/mailboxes', { mailboxId: 'P84001MB01', mailboxName: 'x', odsCode: 'P84001', password: 'p' }),
      409, 'DUPLICATE_REJECTED', /Mailbox P84001MB01/);
    assertOutcome(await call('POST', '/mailboxes', { mailboxId: 'NEWMB1', mailboxName: 'x', odsCode: 'P84001' }),
      400, 'MISSING_VALUE', /^Missing value - 'password'$/);
    assertOutcome(await call('POST', '/mailboxes', { mailboxId: 'NEWMB1', mailboxName: '\u0001', odsCode: 'P84001', password: 'p' }),
      400, 'INVALID_VALUE', /^Invalid value - '\u0001' in field 'mailboxName'$/);
    assertOutcome(await call('POST', '/mailboxes', { mailboxId: 'NEWMB1', mailboxName: 'x', billingEntity: '  ', odsCode: 'P84001', password: 'p' }),
      400, 'INVALID_VALUE', /^Invalid value - '  ' in field 'billingEntity'$/);
    assertOutcome(await call('POST', '/mailboxes', { mailboxId: 'BAD MB', mailboxName: 'x', odsCode: 'P84001', password: 'p' }),
      400, 'INVALID_VALUE', /^Invalid value - 'BAD MB' in field 'mailboxId'$/);
    assertOutcome(await call('POST', '/mailboxes', { mailboxId: 'NEWMB1', mailboxName: 'x', odsCode: 'NOPE9', password: 'p' }),
      400, 'INVALID_VALUE', /organisation NOPE9 is not in the directory/, 'odsCode');
    const list = await call('GET', '/mailboxes?odsCode=X26');
    // X26HC065: the national data opt-out check's mailbox (consent service, demo mode).
    assert.deepEqual(list.body.items.map((m: any) => m.mailboxId), ['X26ABC1', 'X26ABC2', 'X26HC065']);
    assert.ok(list.body.items.every((m: any) => !('password' in m)));
    assertOutcome(await call('GET', '/mailboxes/NOPE1'), 404, 'RESOURCE_NOT_FOUND', /Mailbox NOPE1/);
  });

  it('a PUT that leaves the password out keeps the password the mailbox has when it writes, not when it read', async () => {
    // Found by probing: the PUT read the password, then wrote it back; a password set in between was lost.
    assert.equal((await call('POST', '/mailboxes', { mailboxId: 'RACEMB1', mailboxName: 'Race', odsCode: 'P84001', password: 'old' })).status, 201);
    let renamed: Promise<{ status: number; body: any }> | undefined;
    await spine.ctx.db.tx(async (client) => {
      await client.query("UPDATE directory.mesh_mailboxes SET password = 'new' WHERE mailbox_id = 'RACEMB1'");
      renamed = call('PUT', '/mailboxes/RACEMB1', { mailboxName: 'Race (renamed)', odsCode: 'P84001' });
      // The PUT has read the mailbox and waits for this transaction's row lock to write it.
      for (let waited = 0; ; waited += 10) {
        const { rows } = await spine.ctx.db.query(`SELECT 1 FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO directory.mesh_mailboxes%' AND datname = current_database()`);
        if (rows.length > 0) break;
        assert.ok(waited < 5000, 'the PUT never reached its write');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
    assert.equal((await renamed!).status, 200);
    const mailbox = await directoryApi(spine.ctx.db).getMailbox('RACEMB1');
    assert.deepEqual([mailbox?.mailboxName, mailbox?.password], ['Race (renamed)', 'new']);
  });

  it('manages workflows whose senders and receivers must be known mailboxes', async () => {
    const created = await call('POST', '/workflows', { workflowId: 'PARKSIDE_FLOW', senders: ['x26abc1'], receivers: ['P84001MB01', 'p84001mb01'] });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body, { workflowId: 'PARKSIDE_FLOW', senders: ['X26ABC1'], receivers: ['P84001MB01'] });
    const directory = directoryApi(spine.ctx.db);
    // P84001 was closed above: MESH delivers nothing to its mailboxes, so its endpoint look-up offers none.
    assert.deepEqual((await directory.mailboxesForOdsAndWorkflow('P84001', 'PARKSIDE_FLOW')).map((m) => m.mailboxId), []);
    const replaced = await call('PUT', '/workflows/PARKSIDE_FLOW', { senders: ['X26ABC1', 'X26ABC2'], receivers: ['X26ABC3'] });
    assert.equal(replaced.status, 200);
    assert.deepEqual(await directory.getWorkflow('PARKSIDE_FLOW'),
      { workflowId: 'PARKSIDE_FLOW', senders: ['X26ABC1', 'X26ABC2'], receivers: ['X26ABC3'] });
    assertOutcome(await call('POST', '/workflows', { workflowId: 'PARKSIDE_FLOW', senders: [], receivers: [] }),
      409, 'DUPLICATE_REJECTED', /Workflow PARKSIDE_FLOW/);
    assertOutcome(await call('POST', '/workflows', { workflowId: 'W2', senders: ['X26ABC1'], receivers: ['GHOST1'] }),
      400, 'INVALID_VALUE', /names mailboxes not in the directory: GHOST1/, 'receivers');
    assertOutcome(await call('POST', '/workflows', { workflowId: 'W 2', senders: [], receivers: [] }),
      400, 'INVALID_VALUE', /^Invalid value - 'W 2' in field 'workflowId'$/);
    assertOutcome(await call('POST', '/workflows', { workflowId: 'W2', senders: 'X26ABC1', receivers: [] }),
      400, 'INVALID_VALUE', /^Invalid value - 'X26ABC1' in field 'senders'$/);
    assertOutcome(await call('POST', '/workflows', { workflowId: 'W2', receivers: [] }), 400, 'MISSING_VALUE', /^Missing value - 'senders'$/);
    assert.equal(await directory.getWorkflow('W2'), undefined);
    const all = await call('GET', '/workflows');
    assert.ok(all.body.items.some((w: any) => w.workflowId === 'TEST_WORKFLOW_ACK'));
  });

  it('registers an accredited system and an MHS endpoint that the SDS FHIR API then finds', async () => {
    const interaction = 'urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1';
    const device = await call('POST', '/devices',
      { asid: '918999198738', partyKey: 'p84001-100001', ownerOdsCode: 'P84001', manufacturingOdsCode: 'YES', interactions: [interaction] });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    assert.match(device.body.id, /^[0-9A-F-]{36}$/);
    assert.deepEqual((await call('GET', `/devices/${device.body.id.toLowerCase()}`)).body, device.body);
    assertOutcome(await call('POST', '/devices', { ...device.body, id: undefined }), 409, 'DUPLICATE_REJECTED', /ASID 918999198738/);

    const endpoint = await call('POST', '/endpoints', {
      partyKey: 'P84001-100001', managingOdsCode: 'P84001', address: 'https://gpconnect.parkside.example/fhir', fqdn: 'gpconnect.parkside.example',
      cpaId: 'P84001CPA1', interactions: [interaction], reliability: { nhsMHSRetries: 3, nhsMHSSyncReplyMode: 'None' },
    });
    assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
    assert.equal(endpoint.body.mhsId, 'P84001CPA1');

    const read = await fetch(`${spine.url}/spine-directory/FHIR/R4/Endpoint?${sdsQuery([
      ['organization', `${ODS}|P84001`], ['identifier', `${INTERACTION}|${interaction}`]])}`,
    { headers: { authorization: `Bearer ${admin}` } });
    const bundle = await read.json() as any;
    assert.equal(bundle.total, 1);
    const resource = bundle.entry[0].resource;
    assert.equal(resource.id, endpoint.body.id);
    assert.equal(resource.address, 'https://gpconnect.parkside.example/fhir');
    assert.deepEqual(resource.extension[0].extension,
      [{ url: 'nhsMHSSyncReplyMode', valueString: 'None' }, { url: 'nhsMHSRetries', valueInteger: 3 }]);
    const devices = await fetch(`${spine.url}/spine-directory/FHIR/R4/Device?${sdsQuery([
      ['organization', `${ODS}|P84001`], ['identifier', `${INTERACTION}|${interaction}`], ['identifier', `${PARTY_KEY}|P84001-100001`]])}`,
    { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(((await devices.json()) as any).entry[0].resource.identifier[0].value, '918999198738');

    const moved = await call('PUT', `/endpoints/${endpoint.body.id}`, { ...endpoint.body, address: 'https://new.parkside.example/fhir' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal((await call('GET', `/endpoints/${endpoint.body.id}`)).body.address, 'https://new.parkside.example/fhir');

    assertOutcome(await call('POST', '/devices', { asid: '12ab', partyKey: 'P84001-1', ownerOdsCode: 'P84001', interactions: [interaction] }),
      400, 'INVALID_VALUE', /^Invalid value - '12ab' in field 'asid'$/);
    assertOutcome(await call('POST', '/devices', { asid: '1234', partyKey: 'P84001-1', ownerOdsCode: 'P84001', interactions: [] }),
      400, 'INVALID_VALUE', /^Invalid value - '\[\]' in field 'interactions'$/);
    assertOutcome(await call('POST', '/endpoints', { ...endpoint.body, id: undefined, address: 'ftp://x' }),
      400, 'INVALID_VALUE', /'address' must be an http\(s\) URL/, 'address');
    assertOutcome(await call('POST', '/endpoints', { ...endpoint.body, id: undefined, reliability: { nhsMHSRetries: -1 } }),
      400, 'INVALID_VALUE', /^Invalid value - '-1' in field 'reliability\/nhsMHSRetries'$/);
    // Found by probing: an empty value was stored and served as valueString "" (FHIR strings are never empty), a newline as is.
    assertOutcome(await call('POST', '/endpoints', { ...endpoint.body, id: undefined, reliability: { nhsMHSSyncReplyMode: '' } }),
      400, 'INVALID_VALUE', /^Invalid value - '' in field 'reliability\/nhsMHSSyncReplyMode'$/);
    assertOutcome(await call('POST', '/endpoints', { ...endpoint.body, id: undefined, reliability: { nhsMHSActor: 'urn:a\nb' } }),
      400, 'INVALID_VALUE', /^Invalid value - 'urn:a\nb' in field 'reliability\/nhsMHSActor'$/);
    assertOutcome(await call('GET', '/devices/not-a-uuid'), 400, 'INVALID_VALUE', /^Invalid value - 'not-a-uuid' in field 'id'$/);
    assertOutcome(await call('PUT', '/devices/00000000-0000-4000-8000-000000000000', { ...device.body, id: undefined }),
      404, 'RESOURCE_NOT_FOUND', /Accredited system/);
  });

  it('refuses an endpoint address with a space or control character anywhere, and stores nothing', async () => {
    // Found by probing: the URL parser drops tabs and newlines and trims spaces, so 'https://ex\nample.com' passed
    // as an http(s) URL and was stored, and served by the SDS, with the newline in it.
    const valid = 'https://gpconnect.spaced.example/fhir';
    const body = { partyKey: 'P84001-100002', managingOdsCode: 'P84001', fqdn: 'gpconnect.spaced.example', cpaId: 'SPACEDCPA1', interactions: ['urn:x'] };
    const unusable = fc.constantFrom(' ', '\t', '\n', '\r', '\u000b', '\f', '\u0001', '\u001f', '\u007f', '\u0085', '\u00a0', '\u2028');
    await fc.assert(fc.asyncProperty(unusable, fc.integer({ min: 0, max: valid.length }), async (character, at) => {
      const address = valid.slice(0, at) + character + valid.slice(at);
      assertOutcome(await call('POST', '/endpoints', { ...body, address }), 400, 'INVALID_VALUE', /^Invalid value - '.*' in field 'address'$/s);
    }), { numRuns: 40 });
    const stored = await call('GET', '/endpoints?managingOdsCode=P84001&limit=1000');
    assert.deepEqual(stored.body.items.filter((e: any) => e.cpaId === 'SPACEDCPA1'), []);
    assert.equal((await call('POST', '/endpoints', { ...body, address: valid })).status, 201);
  });

  it('audits every admin change, by the application that made it', async () => {
    const { token, principal } = await createAppAndToken(spine, { activities: ['directory:admin', 'audit:read-all', 'audit:read'] });
    assert.equal((await call('PUT', '/organisations/AUD01', { name: 'Audited', role: 'other' }, token)).status, 201);
    assert.equal((await call('PUT', '/organisations/AUD01', { name: 'Audited again', role: 'other' }, token)).status, 200);
    const response = await fetch(`${spine.url}/audit/FHIR/R4/AuditEvent?agent=${principal.appId}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    const text = JSON.stringify(await response.json());
    assert.match(text, /directory\.organisation\.create/);
    assert.match(text, /directory\.organisation\.update/);
    assert.match(text, /Organization\/AUD01/);
  });

  it('needs a token (401) with directory:admin (403)', async () => {
    const anonymous = await fetch(`${spine.url}/admin/directory/organisations`);
    assert.equal(anonymous.status, 401);
    const { token: reader } = await createAppAndToken(spine, { activities: ['directory:read'] });
    assertOutcome(await call('POST', '/organisations', { odsCode: 'QQQ01', name: 'X', role: 'other' }, reader),
      403, 'ACCESS_DENIED', /not permitted 'directory:admin'/);
    assert.equal(await directoryApi(spine.ctx.db).getOrganisation('QQQ01'), undefined);
  });
});
