import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { DEMO_IDENTITIES } from '../support/console.js';
import { accessibilityViolations, readPatient, resizeTo, screenshot, scrollRightOnce, signedIn, tableContainersTabbedTo } from '../support/browser.js';
import { userToken } from '../support/identity.js';
import { MB1, sendMessage } from '../messaging/support/mesh-client.js';

/** Console flows in a real browser (Debian chromium): keyboard only, without JavaScript, the audit trail, the live overview. */
describe('console flows in a real browser', () => {
  let spine: TestSpine;
  before(async () => {
    spine = await startTestSpine();
    // Some traffic, so the overview's charts have something to show.
    const { token } = await userToken(spine, { roleCode: 'R8000' });
    for (const nhsNumber of ['9000000009', '9000000017', '9000000025']) {
      await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/${nhsNumber}`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': crypto.randomUUID() } });
    }
  });
  after(async () => { await spine.close(); });

  it('keyboard only: an operator finds a message sent through the MESH API and opens its history', async () => {
    const messageId = await sendMessage(spine.url, MB1, 'X26ABC2', 'found with the keyboard');
    await signedIn(spine.url, DEMO_IDENTITIES.operator, async (page) => {
      await page.goto(`${spine.url}/console/messages`);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to main content');
      const focusOn = async (test: () => Promise<boolean>, what: string) => {
        for (let i = 0; i < 80; i++) {
          if (await test()) return;
          await page.keyboard.press('Tab');
        }
        assert.fail(`the keyboard never reached ${what}`);
      };
      await focusOn(() => page.evaluate(() => document.activeElement?.id === 'messageId'), 'the message id field');
      await page.keyboard.type(messageId);
      await Promise.all([page.waitForURL(/messageId=/), page.keyboard.press('Enter')]);
      assert.match(await page.locator('#results').innerText(), /^1 message found/);
      await focusOn(() => page.evaluate((id) => document.activeElement?.textContent === id, messageId), 'the message link');
      await Promise.all([page.waitForURL(new RegExp(`/console/messages/${messageId}$`)), page.keyboard.press('Enter')]);
      const history = await page.locator('main').innerText();
      assert.match(history, /uploaded by X26ABC1/);
      assert.match(history, /accepted/);
      assert.deepEqual(await accessibilityViolations(page), []);
      await screenshot(page, 'message-history--operator');
    });
  });

  it('an audit entry appears for a PDS read made through the PDS API', async () => {
    const { token } = await userToken(spine, { roleCode: 'R8000', odsCode: 'A83008', userId: '555000000001' });
    const read = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000033`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': crypto.randomUUID() } });
    assert.equal(read.status, 200);
    await signedIn(spine.url, DEMO_IDENTITIES['privacy-officer'], async (page) => {
      await page.goto(`${spine.url}/console/audit`);
      await page.getByLabel("Patient's NHS number").fill('9000000033');
      await page.getByLabel('Action').fill('patient.read');
      await Promise.all([page.waitForURL(/nhsNumber=9000000033/), page.getByRole('button', { name: 'Search the audit trail' }).click()]);
      const rows = await page.locator('tbody tr').allInnerTexts();
      assert.equal(rows.length, 1);
      assert.match(rows[0]!, /patient\.read[\s\S]*success[\s\S]*9000000033[\s\S]*555000000001 \(R8000\)[\s\S]*A83008[\s\S]*Test clinical system/);
      assert.match(await page.locator('main').innerText(), /Intact/);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download these entries as CSV' }).click()]);
      assert.equal(download.suggestedFilename(), 'audit.csv');
      await screenshot(page, 'audit-search--privacy-officer');
    });
  });

  it('the overview refreshes its figures in place', async () => {
    await signedIn(spine.url, DEMO_IDENTITIES.operator, async (page, browser) => {
      await page.goto(`${spine.url}/console/overview`);
      const refreshed = async () => {
        await page.evaluate(() => document.querySelector('[data-live-refresh] table')!.setAttribute('data-before-refresh', ''));
        const response = await page.waitForResponse((r) => r.url().endsWith('/console/overview/live') && r.status() === 200, { timeout: 60_000 });
        assert.match(await response.text(), /Each minute of the last hour/);
        await page.waitForFunction(() => document.querySelector('[data-before-refresh]') === null && document.querySelector('[data-live-refresh] table') !== null);
      };
      // On a desktop screen the Health table fits, and its container stays no tab stop when the panel comes back from the server.
      await refreshed();
      await screenshot(page, 'overview');
      assert.deepEqual(await tableContainersTabbedTo(page), []);
      // On a phone it scrolls: a keyboard user on its region stays on it, scrolled where it was, when the figures are replaced.
      await resizeTo(page, 400);
      for (let i = 0; i < 80 && await page.evaluate(() => document.activeElement?.getAttribute('aria-label')) !== 'Health'; i++) await page.keyboard.press('Tab');
      const scrolled = await scrollRightOnce(page);
      assert.ok(scrolled > 0, 'the right arrow scrolled the Health table');
      await refreshed();
      assert.deepEqual(await page.evaluate(() => {
        const focused = document.activeElement!;
        return { role: focused.getAttribute('role'), label: focused.getAttribute('aria-label'), tabIndex: focused.getAttribute('tabindex'), scrollLeft: focused.scrollLeft };
      }), { role: 'region', label: 'Health', tabIndex: '0', scrollLeft: scrolled });
      assert.deepEqual(await accessibilityViolations(page), []);
      assert.deepEqual(browser.problems, []);
    });
  });

  it('without JavaScript a person signs in and looks a patient up, with the reason recorded', async () => {
    await signedIn(spine.url, DEMO_IDENTITIES.operator, async (page) => {
      await readPatient(page, spine.url, '9000000009', 'Patient request');
      assert.match(await page.locator('#results ~ .nhsuk-card').first().innerText(), /Jane Smith[\s\S]*9000000009/);
      await screenshot(page, 'patient-read--operator-without-javascript');
      // Nothing measures a table's overflow without JavaScript: every table's container stays the tab stop the server made it.
      await page.goto(`${spine.url}/console/overview`);
      assert.deepEqual(await tableContainersTabbedTo(page), ['Health']);
    }, { javaScriptEnabled: false });
    await signedIn(spine.url, DEMO_IDENTITIES.patient, async (page) => {
      await page.goto(`${spine.url}/console/who-looked`);
      const accesses = await page.locator('main ol li').allInnerTexts();
      assert.ok(accesses.some((a) => /a Spine Operator at .*\(X26\) looked at the record, using OpenSpine console/.test(a)), accesses.join('\n'));
      await screenshot(page, 'who-looked--patient');
    });
  });
});
