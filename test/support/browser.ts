import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import axe from 'axe-core';

/**
 * Browser tests drive Debian's chromium (apt-get install chromium; `.ci/run` installs it when it is
 * missing) through playwright-core: Playwright's own browser downloads are not used.
 */
export const CHROMIUM = process.env.OPENSPINE_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Screenshots and other artefacts of the browser tests (gitignored). */
export const ARTIFACTS = join(new URL('../../', import.meta.url).pathname, 'test-artifacts', 'console');

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Content-Security-Policy violations and uncaught page errors seen so far. */
  problems: string[];
  close(): Promise<void>;
}

/** A fresh browser profile (its own --user-data-dir), so no cookie or cache carries over between people. */
export async function openBrowser(options: { javaScriptEnabled?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (or set OPENSPINE_CHROMIUM)`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'openspine-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 },
    javaScriptEnabled: options.javaScriptEnabled ?? true,
  });
  const page = context.pages()[0] ?? await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return {
    context, page, problems,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** WCAG 2.2 A and AA rules, as axe-core tags them. */
const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** axe-core's violations on the page as it is now, one line each (rule, impact, where). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern.
  await page.evaluate(axe.source);
  const result = await page.evaluate((tags) => (window as unknown as { axe: typeof axe }).axe.run(document, { runOnly: { type: 'tag', values: tags } }), WCAG_22_AA);
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
}

/**
 * The tables that stick out past the page's content column (its `main`), each by its caption: a
 * reader must scroll sideways to see them. The design system's tables bleed 2 px each side on
 * purpose (their cells' text then lines up with the column), so 2 px is not sticking out.
 */
export async function overflowingTables(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const column = document.querySelector('main')!.getBoundingClientRect();
    return [...document.querySelectorAll('main table')]
      .filter((table) => table.getBoundingClientRect().right > column.right + 2)
      .map((table) => `${table.querySelector('caption')?.textContent?.trim() ?? 'a table'}: ${Math.round(table.getBoundingClientRect().right - column.right)} px past the column`);
  });
}

/** Makes the browser's window `width` px wide, once the page has seen it (its resize event fires with the next frame). */
export async function resizeTo(page: Page, width: number): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** Presses the right arrow on the focused element and gives how far it then scrolled, once its (smooth) scroll has ended. */
export async function scrollRightOnce(page: Page): Promise<number> {
  const ended = page.evaluate(() => new Promise<number>((resolve) => {
    const focused = document.activeElement!;
    focused.addEventListener('scrollend', () => resolve(focused.scrollLeft), { once: true });
    setTimeout(() => resolve(focused.scrollLeft), 5000); // it never scrolled: 0
  }));
  await page.keyboard.press('ArrowRight');
  return ended;
}

/**
 * The table containers the Tab key stops on, each by its label, found by tabbing round the whole
 * page (from wherever focus is, until a stop comes round again).
 */
export async function tableContainersTabbedTo(page: Page): Promise<string[]> {
  const reached: string[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      return { index: [...document.querySelectorAll('*')].indexOf(e), container: e.classList.contains('nhsuk-table-container'), label: e.getAttribute('aria-label') };
    });
    if (stop === null) continue;
    if (seen.has(stop.index)) return reached;
    seen.add(stop.index);
    if (stop.container) reached.push(stop.label ?? 'a container without a label');
  }
  throw new Error('tabbing never came round to a stop it had made');
}

/** Saves the page as a reader sees it (test-artifacts/console/), once no table on it sticks out of the content column. */
export async function screenshot(page: Page, name: string): Promise<string> {
  assert.deepEqual(await overflowingTables(page), [], `${name}: tables wider than the page's column`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Signs in through the console's sign-in page and the demo issuer's, as a person would. */
export async function signIn(page: Page, base: string, identity: string): Promise<void> {
  await page.goto(`${base}/console/login`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/identity\/demo-cis2\/authorize/);
  await page.check(`input[value="${identity}"]`);
  await Promise.all([page.waitForURL(/\/console\/(?!login|auth)/), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/**
 * A browser signed in to the console as `identity`: runs `work` with its page and closes the browser
 * whatever happens.
 */
export async function signedIn(
  base: string, identity: string, work: (page: Page, browser: Browser) => Promise<void>, options: { javaScriptEnabled?: boolean } = {},
): Promise<void> {
  const browser = await openBrowser(options);
  try {
    await signIn(browser.page, base, identity);
    await work(browser.page, browser);
  } finally {
    await browser.close();
  }
}

/** Reads a patient's record from the patients page, giving the reason, as a person does. */
export async function readPatient(page: Page, base: string, nhsNumber: string, reason: string): Promise<void> {
  await page.goto(`${base}/console/patients`);
  await page.locator('#read-nhsNumber').fill(nhsNumber);
  await page.locator('#read-reason').selectOption(reason);
  await Promise.all([page.waitForURL(/\/console\/patients\/read$/), page.getByRole('button', { name: 'Read the record' }).click()]);
}
