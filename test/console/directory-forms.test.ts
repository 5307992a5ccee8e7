import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { DEMO_IDENTITIES, consoleLogin, type ConsoleLogin } from '../support/console.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { listApplications } from '../../src/services/identity/api.js';
import { listPointerTypes } from '../../src/services/record-locator/api.js';

const heading = (html: string) => /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '').trim();
const decoded = (html: string) => html.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describe('console directory forms', () => {
  let spine: TestSpine;
  let admin: ConsoleLogin;
  before(async () => {
    spine = await startTestSpine();
    admin = await consoleLogin(spine.url, DEMO_IDENTITIES.administrator);
  });
  after(async () => { await spine.close(); });

  describe('codes the directory does not hold are refused, nothing stored', () => {
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

  describe('a change writes only what it changes', () => {
    /**
     * Sends `post` while another transaction holds the row, changed by `change`, and lets that
     * transaction commit only once the post waits for the row to write it: a post that read the row
     * before and writes what it read puts back what `change` set.
     */
    const whileChanged = async (table: string, change: string, post: () => Promise<Response>) => {
      let posted: Promise<Response> | undefined;
      await spine.ctx.db.tx(async (client) => {
        await client.query(change);
        posted = post();
        for (let waited = 0; ; waited += 10) {
          const { rows } = await spine.ctx.db.query(`SELECT 1 FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query ~ $1 AND datname = current_database()`, [`^(INSERT INTO|UPDATE) ${table}`]);
          if (rows.length > 0) break;
          assert.ok(waited < 5000, 'the post never reached its write');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      });
      return posted!;
    };
    const form = async (fields: Record<string, string>) => ({ _csrf: await admin.csrf(), ...fields });

    it('disabling a mailbox leaves a password set meanwhile; saving it without a password does too', async () => {
      const directory = directoryApi(spine.ctx.db);
      await directory.upsertMailbox({ mailboxId: 'TOGGLE1', mailboxName: 'Toggle', odsCode: 'X26', orgCode: 'X26', password: 'old', active: true });
      const disabled = await whileChanged('directory.mesh_mailboxes', "UPDATE directory.mesh_mailboxes SET password = 'new' WHERE mailbox_id = 'TOGGLE1'",
        async () => admin.post('/console/directory/mailboxes/toggle1/disable', await form({})));
      assert.equal(disabled.status, 303);
      assert.deepEqual(await directory.getMailbox('TOGGLE1').then((m) => [m?.active, m?.password]), [false, 'new']);
      const saved = await whileChanged('directory.mesh_mailboxes', "UPDATE directory.mesh_mailboxes SET password = 'newer' WHERE mailbox_id = 'TOGGLE1'",
        async () => admin.post('/console/directory/mailboxes', await form({ mailboxId: 'TOGGLE1', mailboxName: 'Toggle (renamed)', odsCode: 'X26', active: 'yes' })));
      assert.equal(saved.status, 303);
      assert.deepEqual(await directory.getMailbox('TOGGLE1').then((m) => [m?.mailboxName, m?.active, m?.password]), ['Toggle (renamed)', true, 'newer']);
    });

    it('disabling or saving an organisation leaves a parent set meanwhile', async () => {
      const directory = directoryApi(spine.ctx.db);
      await directory.upsertOrganisation({ odsCode: 'TGL01', name: 'Toggle practice', role: 'gp-practice', active: true });
      const disabled = await whileChanged('directory.organisations', "UPDATE directory.organisations SET parent_ods_code = 'X26', name = 'Renamed' WHERE ods_code = 'TGL01'",
        async () => admin.post('/console/directory/organisations/tgl01/disable', await form({})));
      assert.equal(disabled.status, 303);
      assert.deepEqual(await directory.getOrganisation('TGL01').then((o) => [o?.active, o?.name, o?.parentOdsCode]), [false, 'Renamed', 'X26']);
      const saved = await whileChanged('directory.organisations', "UPDATE directory.organisations SET parent_ods_code = 'P84001' WHERE ods_code = 'TGL01'",
        async () => admin.post('/console/directory/organisations', await form({ odsCode: 'TGL01', name: 'Toggle practice', role: 'gp-practice', active: 'yes' })));
      assert.equal(saved.status, 303);
      assert.deepEqual(await directory.getOrganisation('TGL01').then((o) => [o?.active, o?.name, o?.parentOdsCode]), [true, 'Toggle practice', 'P84001']);
    });

    it('a name with a control character, or of spaces only, is refused and nothing is stored', async () => {
      const directory = directoryApi(spine.ctx.db);
      for (const name of ['Two\nlines', 'Bell\u0007', '   ']) {
        const organisation = await admin.post('/console/directory/organisations', await form({ odsCode: 'CTL01', name, role: 'other', active: 'yes' }));
        assert.equal(organisation.status, 400, JSON.stringify(name));
        const mailbox = await admin.post('/console/directory/mailboxes', await form({ mailboxId: 'CTLBOX1', mailboxName: name, odsCode: 'X26', password: 'pw', active: 'yes' }));
        assert.equal(mailbox.status, 400, JSON.stringify(name));
      }
      assert.equal(await directory.getOrganisation('CTL01'), undefined);
      assert.equal(await directory.getMailbox('CTLBOX1'), undefined);
    });

    it('a postcode is stored in the standard form whichever spelling is typed; what is not a postcode is refused', async () => {
      const directory = directoryApi(spine.ctx.db);
      const saved = await admin.post('/console/directory/organisations', await form({ odsCode: 'PCF01', name: 'Postcode practice', role: 'gp-practice', postcode: ' ls16ae ', active: 'yes' }));
      assert.equal(saved.status, 303);
      assert.equal((await directory.getOrganisation('PCF01'))?.postcode, 'LS1 6AE');
      const refused = await admin.post('/console/directory/organisations', await form({ odsCode: 'PCF02', name: 'Postcode practice', role: 'gp-practice', postcode: 'NOWHERE', active: 'yes' }));
      assert.equal(refused.status, 400);
      assert.ok(decoded(await refused.text()).includes("Check the field 'postcode': NOWHERE is not a UK postcode"));
      assert.equal(await directory.getOrganisation('PCF02'), undefined);
    });
  });
});
