import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { DEMO_IDENTITIES, prescriptionAndPointerFor } from '../support/console.js';
import { literally } from '../support/literally.js';
import { ARTIFACTS, accessibilityViolations, readPatient, resizeTo, screenshot, scrollRightOnce, signedIn, tableContainersTabbedTo } from '../support/browser.js';
import { MB1, meshAuthorization, V2 } from '../messaging/support/mesh-client.js';

/** Console actions in a real browser (Debian chromium), beside browser.test.ts so each file stays within the runner's time limit. */
describe('console actions in a real browser', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('prescriptions and pointers made through the EPS and NRL APIs: an operator reaches them from a patient look-up with its reason, the patient sees their own', async () => {
    const { shortFormId, pointerId } = await prescriptionAndPointerFor(spine, '9000000009');
    await signedIn(spine.url, DEMO_IDENTITIES.operator, async (page, browser) => {
      await readPatient(page, spine.url, '9000000009', 'Message delivery investigation');
      await Promise.all([page.waitForURL(/\/console\/records$/), page.getByRole('button', { name: /^Prescriptions and pointers of .*Jane Smith/ }).click()]);
      const prescriptions = await page.locator('table', { has: page.locator('caption', { hasText: 'Prescriptions' }) }).innerText();
      assert.match(prescriptions, new RegExp(`${literally(shortFormId)}\\s+Amoxicillin 250mg capsules, Co-codamol 30mg/500mg tablets`));
      const pointers = await page.locator('table', { has: page.locator('caption', { hasText: 'Record pointers' }) }).innerText();
      assert.match(pointers, new RegExp(`Mental health crisis plan\\s+${literally(pointerId)}\\s+ANGY1`));
      assert.equal(await page.locator('#records-reason').inputValue(), 'Message delivery investigation');
      assert.deepEqual(await accessibilityViolations(page), []);
      assert.deepEqual(browser.problems, []);
      await screenshot(page, 'records--operator');
      // On a desktop screen both tables fit: their containers scroll nothing, so they are no tab stops.
      assert.deepEqual(await tableContainersTabbedTo(page), []);
      assert.equal(await page.locator('main [role="region"], main [tabindex]').count(), 0);
      // On a phone the tables are wider than the screen and scroll sideways, each in its own region a keyboard can reach.
      await resizeTo(page, 400);
      assert.deepEqual(await tableContainersTabbedTo(page), ['Prescriptions', 'Record pointers']);
      for (let i = 0; i < 80 && await page.evaluate(() => document.activeElement?.getAttribute('aria-label')) !== 'Prescriptions'; i++) await page.keyboard.press('Tab');
      assert.deepEqual(await page.evaluate(() => {
        const region = document.activeElement!;
        return { role: region.getAttribute('role'), label: region.getAttribute('aria-label'), ring: region.matches(':focus-visible') && getComputedStyle(region).boxShadow };
      }), { role: 'region', label: 'Prescriptions', ring: 'rgb(255, 235, 59) 0px 0px 0px 4px, rgb(33, 43, 50) 0px 0px 0px 8px' });
      assert.ok(await scrollRightOnce(page) > 0);
      assert.deepEqual(await accessibilityViolations(page), []);
      await page.screenshot({ path: join(ARTIFACTS, 'records--operator-400px-keyboard.png') });
      // Wide again, the tables fit again and Tab passes them by, once the keyboard has left the one it was on.
      await resizeTo(page, 1280);
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Prescriptions');
      assert.deepEqual(await tableContainersTabbedTo(page), []);
      assert.deepEqual(await accessibilityViolations(page), []);
    });
    await signedIn(spine.url, DEMO_IDENTITIES.patient, async (page) => {
      await page.goto(`${spine.url}/console/records`);
      assert.match(await page.locator('main').innerText(), new RegExp(`${literally(shortFormId)}[\\s\\S]*${literally(pointerId)}`));
      assert.deepEqual(await accessibilityViolations(page), []);
      await screenshot(page, 'records--patient');
    });
  });

  it('an administrator disables a MESH mailbox from the directory page (MESH then refuses it) and enables it again', async () => {
    const inbox = () => fetch(`${spine.url}/messageexchange/${MB1}/inbox`, { headers: { accept: V2, authorization: meshAuthorization(MB1) } });
    assert.equal((await inbox()).status, 200);
    await signedIn(spine.url, DEMO_IDENTITIES.administrator, async (page) => {
      await page.goto(`${spine.url}/console/directory/mailboxes`);
      const row = page.locator('tr', { hasText: MB1 });
      await Promise.all([page.waitForURL(/saved=/), row.getByRole('button', { name: `Disable ${MB1}` }).click()]);
      assert.match(await page.locator('main').innerText(), new RegExp(`Mailbox ${MB1} disabled`));
      assert.match(await row.innerText(), /Disabled/);
      assert.deepEqual(await accessibilityViolations(page), []);
      await screenshot(page, 'directory-mailbox-disabled--administrator');
      // MESH remembers a mailbox for a few seconds (mailbox-cache.ts): wait for the change to reach it.
      let refused: Response | undefined;
      for (let i = 0; i < 40 && refused?.status !== 403; i++) {
        refused = await inbox();
        if (refused.status !== 403) await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(refused!.status, 403);
      assert.deepEqual(((await refused!.json()) as { detail: unknown }).detail, [{ event: 'AUTH', code: '403', msg: 'Request Received from Inactive Mailbox' }]);
      await Promise.all([page.waitForURL(/saved=/), row.getByRole('button', { name: `Enable ${MB1}` }).click()]);
      assert.match(await row.innerText(), /Active/);
      let back: Response | undefined;
      for (let i = 0; i < 40 && back?.status !== 200; i++) {
        back = await inbox();
        if (back.status !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(back!.status, 200);
    });
  });
});
