import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, startTestSpine } from '../support/spine.js';
import type { Db } from '../../src/platform/db/pool.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { sdsBundleValidators } from './sds-support.js';

/** Every directory row, ordered, without timestamps: what two starts must agree on. */
async function snapshot(db: Db) {
  const tables = {
    organisations: 'SELECT ods_code, name, role, parent_ods_code, active, postcode FROM directory.organisations ORDER BY ods_code',
    mailboxes: 'SELECT mailbox_id, mailbox_name, ods_code, org_code, billing_entity, password, active FROM directory.mesh_mailboxes ORDER BY mailbox_id',
    workflows: 'SELECT workflow_id, senders, receivers FROM directory.mesh_workflows ORDER BY workflow_id',
    devices: 'SELECT id, asid, party_key, owner_ods_code, manufacturing_ods_code, interactions FROM directory.devices ORDER BY id',
    endpoints: 'SELECT id, party_key, managing_ods_code, address, fqdn, cpa_id, mhs_id, interactions, reliability FROM directory.endpoints ORDER BY id',
  };
  const result: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(tables)) result[name] = (await db.query(sql)).rows;
  return result;
}

describe('directory demo seed', () => {
  let database: { url: string; drop(): Promise<void> };
  before(async () => { database = await createTestDatabase(); });
  after(async () => { await database?.drop(); });

  it('is idempotent across two starts on the same database, and keeps an operator\'s edits', async () => {
    const first = await startTestSpine({ databaseUrl: database.url });
    const before = await snapshot(first.ctx.db);
    // The demo data is all there: organisations, the 3 MESH sandbox mailboxes and workflows, SDS records.
    assert.ok(before.organisations!.length >= 10);
    for (const id of ['X26ABC1', 'X26ABC2', 'X26ABC3']) assert.ok(before.mailboxes!.some((m: any) => m.mailbox_id === id), id);
    for (const id of ['TEST_WORKFLOW', 'TEST_WORKFLOW_ACK', 'TEST_WORKFLOW2']) assert.ok(before.workflows!.some((w: any) => w.workflow_id === id), id);
    assert.equal(before.devices!.length, 2);
    assert.equal(before.endpoints!.length, 3);
    await directoryApi(first.ctx.db).upsertOrganisation({ odsCode: 'A83008', name: 'Renamed by an operator', role: 'gp-practice', active: false });
    const edited = await snapshot(first.ctx.db);
    await first.stop();

    const second = await startTestSpine({ databaseUrl: database.url });
    try {
      assert.deepEqual(await snapshot(second.ctx.db), edited);
      assert.notDeepEqual(edited, before);
      assert.equal((await directoryApi(second.ctx.db).getOrganisation('A83008'))?.name, 'Renamed by an operator');
    } finally {
      await second.stop();
    }
  });

  it('the spec-schema validators used by the SDS tests do reject a wrong bundle', () => {
    const { deviceBundle, endpointBundle } = sdsBundleValidators();
    assert.throws(() => deviceBundle({ resourceType: 'Bundle', total: 'one' }), /DeviceBundle\.yaml/);
    assert.throws(() => endpointBundle({ resourceType: 'Bundle', entry: [{ resource: { status: 'off' } }] }), /EndpointBundle\.yaml/);
    assert.throws(() => deviceBundle({ id: 'not-a-uuid' }), /format/);
  });
});

describe('dataset nhs-sds-sandbox', () => {
  it('loads the SDS records and their organisations into a directory started without demo data, once', async () => {
    const spine = await startTestSpine({ env: { OPENSPINE_SEED_DEMO: 'false' } });
    try {
      const { directoryService } = await import('../../src/services/directory/index.js');
      const load = directoryService.datasets!['nhs-sds-sandbox']!;
      assert.equal((await spine.ctx.db.query('SELECT count(*) AS n FROM directory.devices')).rows[0].n, 0);
      assert.equal(await load(spine.ctx, {}),
        '2 accredited systems (2 new), 3 MHS endpoints (3 new), 3 organisations (3 new)');
      assert.equal(await load(spine.ctx, {}),
        '2 accredited systems (0 new), 3 MHS endpoints (0 new), 3 organisations (0 new)');
      assert.equal((await directoryApi(spine.ctx.db).getOrganisation('YES'))?.name, 'NHS Spine (OpenTest)');
      assert.equal(await directoryApi(spine.ctx.db).getMailbox('X26ABC1'), undefined);
    } finally {
      await spine.close();
    }
  });
});
