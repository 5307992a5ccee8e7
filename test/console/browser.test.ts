import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { DEMO_IDENTITIES } from '../support/console.js';
import { accessibilityViolations, screenshot, signedIn } from '../support/browser.js';
import { userToken } from '../support/identity.js';
import { MB1, V2, meshAuthorization, sendMessage } from '../messaging/support/mesh-client.js';
import { CONSOLE_ROLES, PAGES, type ConsoleRole } from '../../src/services/console/pages.js';

/** A page as a role first sees it (the privacy officer's "who looked" with a patient named). */
const pageUrl = (base: string, path: string, role: ConsoleRole) =>
  `${base}${path === '/console/who-looked' && role === 'privacy-officer' ? `${path}?nhsNumber=9000000009` : path}`;

describe('the operations console in a real browser (Debian chromium)', () => {
  let spine: TestSpine;
  before(async () => {
    spine = await startTestSpine();
    // Some traffic, so the overview's charts and the audit trail have something to show.
    const { token } = await userToken(spine, { roleCode: 'R8000' });
    for (const nhsNumber of ['9000000009', '9000000017', '9000000025']) {
      await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/${nhsNumber}`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': crypto.randomUUID() } });
    }
    await sendMessage(spine.url, MB1, 'X26ABC2', 'seed message');
  });
  after(async () => { await spine.close(); });

  for (const role of CONSOLE_ROLES) {
    it(`${role}: every page the role may see loads without an accessibility violation or CSP error; the others are refused 403 and not linked`, async () => {
      await signedIn(spine.url, DEMO_IDENTITIES[role], async (page, browser) => {
        for (const shown of PAGES) {
          const response = await page.goto(pageUrl(spine.url, shown.path, role));
          if (!shown.roles.includes(role)) {
            assert.equal(response?.status(), 403, `${role} ${shown.path}`);
            assert.equal(await page.locator('h1').innerText(), 'You cannot see this page');
            continue;
          }
          assert.equal(response?.status(), 200, `${role} ${shown.path}`);
          const links = await page.locator('header a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
          for (const other of PAGES) assert.equal(links.includes(other.path), other.roles.includes(role), `${role}: link to ${other.path}`);
          assert.deepEqual(await accessibilityViolations(page), [], `${role} ${shown.path}`);
          await screenshot(page, `${shown.id}--${role}`);
        }
        assert.deepEqual(browser.problems, []);
      });
    });
  }

  it('an administrator creates a mailbox and a workflow from the directory page, and a message sent to it shows in its inbox depth', async () => {
    await signedIn(spine.url, DEMO_IDENTITIES.administrator, async (page) => {
      for (const section of ['applications', 'workflows', 'mailboxes']) {
        await page.goto(`${spine.url}/console/directory/${section}`);
        assert.deepEqual(await accessibilityViolations(page), [], section);
        await screenshot(page, `directory-${section}--administrator`);
      }
      await page.getByLabel('Mailbox id').fill('X26CON1');
      await page.getByLabel('Name', { exact: true }).fill('Console test mailbox');
      await page.getByLabel('Organisation (ODS code)').fill('X26');
      await page.getByLabel('Password').fill('console-password');
      await Promise.all([page.waitForURL(/saved=/), page.getByRole('button', { name: 'Save mailbox' }).click()]);
      assert.match(await page.locator('main').innerText(), /Mailbox X26CON1 saved/);
      await page.goto(`${spine.url}/console/directory/workflows`);
      await page.getByLabel('Workflow id').fill('CONSOLE_TEST');
      await page.getByLabel('Mailboxes that may send it').fill(MB1);
      await page.getByLabel('Mailboxes that may receive it').fill('X26CON1');
      await Promise.all([page.waitForURL(/saved=/), page.getByRole('button', { name: 'Save workflow' }).click()]);
      assert.deepEqual(await accessibilityViolations(page), []);

      const messageId = await sendMessage(spine.url, MB1, 'X26CON1', 'to the new mailbox', { 'mex-workflowid': 'CONSOLE_TEST' });
      const inbox = await fetch(`${spine.url}/messageexchange/X26CON1/inbox`, { headers: { accept: V2, authorization: meshAuthorization('X26CON1', { password: 'console-password' }) } });
      assert.deepEqual(((await inbox.json()) as { messages: string[] }).messages, [messageId]);

      await page.goto(`${spine.url}/console/messages`);
      const row = await page.locator('tr', { hasText: 'X26CON1' }).innerText();
      assert.match(row, /X26CON1\s+Console test mailbox\s+X26\s+1\s+\d{4}-\d{2}-\d{2}/);
      await screenshot(page, 'messages-mailboxes--administrator');
    });
  });

});
