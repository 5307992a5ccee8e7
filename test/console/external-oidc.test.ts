import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { accessibilityViolations, openBrowser, screenshot } from '../support/browser.js';

/**
 * The console signs people in with any OpenID Connect issuer, not only the embedded demo one: here
 * a separate, real OpenID provider (the `oidc-provider` package, on its own port) that names roles
 * in a `groups` claim, which the console maps to its roles.
 */
const CLIENT_ID = 'openspine-console-test';
const CLIENT_SECRET = 'a-client-secret-of-the-external-issuer';
const GROUPS: Record<string, string[]> = { 'olu.ops': ['staff', 'spine-operators'], 'ada.admin': ['spine-admins'], 'no.role': ['staff'] };

describe('the console with an external OpenID Connect issuer', () => {
  let issuerServer: Server;
  let issuer: string;
  let provider: Provider | undefined;
  let spine: TestSpine;

  before(async () => {
    // The issuer listens first (the console's configuration names it); its client, whose redirect
    // URI is the console's, is registered once the Spine's port is known.
    issuerServer = createServer((req, res) => {
      if (provider) provider.callback()(req, res);
      else res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
    spine = await startTestSpine({
      flags: { services: 'identity,directory,audit,console' },
      env: {
        OPENSPINE_CONSOLE_OIDC_ISSUER: issuer, OPENSPINE_CONSOLE_OIDC_CLIENT_ID: CLIENT_ID, OPENSPINE_CONSOLE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
        OPENSPINE_CONSOLE_OIDC_ROLE_CLAIM: 'groups', OPENSPINE_CONSOLE_OIDC_ROLES: 'spine-admins=administrator,spine-operators=operator',
      },
    });
    provider = new Provider(issuer, {
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${spine.url}/console/auth/callback`], grant_types: ['authorization_code'], response_types: ['code'] }],
      claims: { openid: ['sub'], profile: ['name', 'groups'] },
      // The console reads the person's name and groups from the ID token itself.
      conformIdTokenClaims: false,
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: `Person ${sub}`, groups: GROUPS[sub] ?? [] }) }),
    });
  });
  after(async () => {
    await spine.close();
    await new Promise((resolve) => issuerServer.close(resolve));
  });

  const signInThroughIssuer = async (login: string) => {
    const browser = await openBrowser();
    const page = browser.page;
    await page.goto(`${spine.url}/console/login`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`));
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    // The issuer asks for consent to share the profile with the console once.
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${spine.url}/console/`));
    return browser;
  };

  it('an operator signs in through the external issuer in the browser, with the role its groups claim maps to', async () => {
    const browser = await signInThroughIssuer('olu.ops');
    try {
      const page = browser.page;
      assert.match(page.url(), /\/console\/overview$/);
      assert.match(await page.locator('header').innerText(), /Person olu\.ops \(Operator\)/);
      assert.equal((await page.goto(`${spine.url}/console/directory`))?.status(), 403);
      assert.equal((await page.goto(`${spine.url}/console/messages`))?.status(), 200);
      assert.deepEqual(await accessibilityViolations(page), []);
      await screenshot(page, 'external-oidc--operator');
      const audit = await spine.ctx.db.query<{ detail: { issuer: string; role: string }; user_id: string }>(
        "SELECT detail, user_id FROM audit.events WHERE action = 'console.login' AND outcome = 'success'");
      assert.deepEqual(audit.rows.map((r) => [r.user_id, r.detail.issuer, r.detail.role]), [['olu.ops', issuer, 'operator']]);
    } finally {
      await browser.close();
    }
  });

  it('an administrator\'s group gives the administrator role; a person in no mapped group is refused', async () => {
    const admin = await signInThroughIssuer('ada.admin');
    try {
      assert.equal((await admin.page.goto(`${spine.url}/console/directory`))?.status(), 200);
    } finally {
      await admin.close();
    }
    const browser = await openBrowser();
    try {
      const page = browser.page;
      await page.goto(`${spine.url}/console/login`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`));
      await page.locator('input[name="login"]').fill('no.role');
      await page.locator('input[name="password"]').fill('any password');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL((url) => url.href.startsWith(`${spine.url}/console/auth/callback`));
      assert.match(await page.locator('main').innerText(), /no value of the ID token's 'groups' claim gives access to the console/);
    } finally {
      await browser.close();
    }
  });
});
