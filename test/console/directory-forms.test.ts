import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { DEMO_IDENTITIES, consoleLogin, type ConsoleLogin } from '../support/console.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { listApplications } from '../../src/services/identity/api.js';
import { listPointerTypes } from '../../src/services/record-locator/api.js';

const heading = (html: string) => /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '').trim();
const decoded = (html: string) => html.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describe('console directory forms: codes the directory does not hold are refused, nothing stored', () => {
  let spine: TestSpine;
  let admin: ConsoleLogin;
  before(async () => {
    spine = await startTestSpine();
    admin = await consoleLogin(spine.url, DEMO_IDENTITIES.administrator);
  });
  after(async () => { await spine.close(); });

  const refused = async (path: string, form: Record<string, string>, message: string) => {
    const response = await admin.post(path, { _csrf: await admin.csrf(), ...form });
    const html = await response.text();
    assert.equal(response.status, 400, path);
    assert.equal(heading(html), 'Not in the directory');
    assert.ok(decoded(html).includes(message), `${path}: ${message}`);
  };

  it('a mailbox of an unknown organisation is 400 naming the field; with a known one it is saved', async () => {
    await refused('/console/directory/mailboxes', { mailboxId: 'NEWBOX1', mailboxName: 'New box', odsCode: 'ZZZ99', password: 'secret-pw', active: 'yes' },
      "Check the field 'odsCode': there is no organisation ZZZ99 in the directory.");
    const directory = directoryApi(spine.ctx.db);
    assert.equal(await directory.getMailbox('NEWBOX1'), undefined);
    const saved = await admin.post('/console/directory/mailboxes', { _csrf: await admin.csrf(), mailboxId: 'NEWBOX1', mailboxName: 'New box', odsCode: 'x26', password: 'secret-pw', active: 'yes' });
    assert.equal(saved.status, 303);
    assert.equal((await directory.getMailbox('NEWBOX1'))?.odsCode, 'X26');
  });

  it('a workflow naming unknown mailboxes is 400 naming the field and the mailboxes', async () => {
    await refused('/console/directory/workflows', { workflowId: 'NEW_WORKFLOW', senders: 'X26ABC1, NOSUCH1', receivers: 'X26ABC2' },
      "Check the field 'senders': there is no mailbox NOSUCH1 in the directory.");
    await refused('/console/directory/workflows', { workflowId: 'NEW_WORKFLOW', senders: 'X26ABC1', receivers: 'NOSUCH2 NOSUCH1' },
      "Check the field 'receivers': there are no mailboxes NOSUCH1, NOSUCH2 in the directory.");
    assert.equal(await directoryApi(spine.ctx.db).getWorkflow('NEW_WORKFLOW'), undefined);
  });

  it('an application or NRL pointer-type permission for an unknown organisation is 400 naming the field', async () => {
    const before = (await listApplications(spine.ctx.db)).length;
    await refused('/console/directory/applications', { name: 'Nowhere app', odsCode: 'ZZZ98' },
      "Check the field 'odsCode': there is no organisation ZZZ98 in the directory.");
    assert.equal((await listApplications(spine.ctx.db)).length, before);
    const app = (await listApplications(spine.ctx.db))[0]!;
    await refused(`/console/directory/applications/${app.appId}/pointer-types`, { organisation: 'ZZZ97.ABC', 'type:0': 'on' },
      "Check the field 'organisation': there is no organisation ZZZ97 in the directory.");
    assert.ok(!(await listPointerTypes(spine.ctx.db)).some((p) => p.organisation.startsWith('ZZZ97')));
  });
});
