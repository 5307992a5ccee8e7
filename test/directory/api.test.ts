import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { directoryApi, type MeshMailbox } from '../../src/services/directory/api.js';

describe('directory api.ts (the contract other services use)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine?.close(); });

  it('knows the MESH sandbox mailboxes after the demo seed', async () => {
    const mailbox = await directoryApi(spine.ctx.db).getMailbox('x26abc1');
    assert.deepEqual(mailbox, {
      mailboxId: 'X26ABC1', mailboxName: 'TESTMB1', odsCode: 'X26', orgCode: 'X26',
      billingEntity: 'England', password: 'password', active: true,
    });
  });

  it('finds the receivers of a workflow, and those of one ODS code', async () => {
    const directory = directoryApi(spine.ctx.db);
    const receivers = await directory.mailboxesReceivingWorkflow('TEST_WORKFLOW_ACK');
    assert.deepEqual(receivers.map((m) => m.mailboxId), ['X26ABC1', 'X26ABC3']);
    const ofX27 = await directory.mailboxesForOdsAndWorkflow('X27', 'TEST_WORKFLOW_ACK');
    assert.deepEqual(ofX27.map((m) => m.mailboxId), ['X26ABC3']);
    assert.deepEqual(await directory.mailboxesForOdsAndWorkflow('X26', 'NO_SUCH_WORKFLOW'), []);
    assert.deepEqual(await directory.getWorkflow('TEST_WORKFLOW'),
      { workflowId: 'TEST_WORKFLOW', senders: ['X26ABC1'], receivers: ['X26ABC2'] });
  });

  it('upserts and reads back mailboxes, workflows and organisations; inactive mailboxes receive nothing', async () => {
    const directory = directoryApi(spine.ctx.db);
    const mailbox: MeshMailbox = {
      mailboxId: 'QA1MB001', mailboxName: 'QA mailbox', odsCode: 'QA1', orgCode: 'QA1', password: 'secret', active: true,
    };
    await directory.upsertMailbox({ ...mailbox, mailboxId: 'qa1mb001' });
    assert.deepEqual(await directory.getMailbox('QA1MB001'), mailbox);
    await directory.upsertWorkflow({ workflowId: 'QA_FLOW', senders: ['x26abc1'], receivers: ['QA1MB001'] });
    assert.deepEqual((await directory.mailboxesReceivingWorkflow('QA_FLOW')).map((m) => m.mailboxId), ['QA1MB001']);
    assert.deepEqual((await directory.getWorkflow('QA_FLOW'))?.senders, ['X26ABC1']);
    await directory.upsertMailbox({ ...mailbox, active: false });
    assert.deepEqual(await directory.mailboxesReceivingWorkflow('QA_FLOW'), []);

    await directory.upsertOrganisation({ odsCode: 'QA1', name: 'QA Surgery', role: 'gp-practice', active: true, parentOdsCode: 'QA0' });
    assert.deepEqual(await directory.getOrganisation('qa1'),
      { odsCode: 'QA1', name: 'QA Surgery', role: 'gp-practice', active: true, parentOdsCode: 'QA0' });
    await directory.upsertOrganisation({ odsCode: 'QA1', name: 'QA Surgery (renamed)', role: 'gp-practice', active: false });
    assert.deepEqual(await directory.getOrganisation('QA1'),
      { odsCode: 'QA1', name: 'QA Surgery (renamed)', role: 'gp-practice', active: false });
    const practices = await directory.listOrganisations({ role: 'gp-practice' });
    assert.ok(practices.some((o) => o.odsCode === 'QA1'));
    assert.ok(practices.every((o) => o.role === 'gp-practice'));
    assert.equal((await directory.listOrganisations({ limit: 1 })).length, 1);
    assert.equal(await directory.getOrganisation('NOPE1'), undefined);
  });
});
