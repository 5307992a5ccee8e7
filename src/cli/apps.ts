import type { Command } from 'commander';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Application } from '../services/identity/store/applications.js';
import { configFrom, withStoreOptions } from './options.js';
import { registerTokenCommand } from './token.js';
import { parseWholeNumber } from '../platform/config.js';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

/** `openspine apps create|list` and `openspine token`: the identity service's commands. */
export function registerIdentityCommands(program: Command) {
  registerTokenCommand(program);
  const apps = program.command('apps').description('applications allowed to call the Spine (OAuth2 signed-JWT clients)');

  withStoreOptions(apps.command('create'))
    .description('register an application: generates an RSA key pair, stores the public key, writes the private key PEM, prints {apiKey, kid, privateKeyPath}')
    .requiredOption('--name <name>', 'application name')
    .requiredOption('--ods <code>', "ODS code of the application's organisation, e.g. A83008")
    .option('--activities <list>', 'comma-separated activities (default: patient:*, messaging:use, directory:read)')
    .option('--rate-limit <n>', 'requests per second allowed (default 50)')
    .option('--key-out <file>', 'where to write the private key PEM (default <data-dir>/keys/<kid>.pem)')
    .option('--key-bits <n>', 'RSA key size (NHS England asks for 4096)', '4096')
    .option('--url <baseUrl>', 'register through a running Spine\'s admin API (as the demo admin app from <data-dir>/demo-credentials.json) '
      + 'instead of writing to the database directly; use it while `serve` holds the embedded store')
    .action(async (options) => {
      const { createApplication } = await import('../services/identity/api.js');
      const { parseApplicationInput } = await import('../services/identity/application-input.js');
      const { generateSigningKey } = await import('../services/identity/keys.js');
      const { adminAccessToken, callAdmin } = await import('./token-client.js');
      const { withContext } = await import('./context.js');
      const input = {
        name: options.name,
        odsCode: options.ods,
        activities: options.activities === undefined ? undefined : list(options.activities),
        rateLimit: options.rateLimit === undefined ? undefined : Number(options.rateLimit),
      };
      // Refuse bad input before generating a key or touching the store.
      const parsed = parseApplicationInput(input);
      if (!parsed.ok) throw new Error(parsed.problem);
      const bits = parseWholeNumber('--key-bits', options.keyBits, 4096, 2048, 16384);
      const dataDir = configFrom(options).dataDir;
      const key = await generateSigningKey('RS512', bits);
      const privateKeyPath = resolve(options.keyOut ?? join(dataDir, 'keys', `${key.kid}.pem`));
      mkdirSync(dirname(privateKeyPath), { recursive: true, mode: 0o700 });
      writeFileSync(privateKeyPath, key.privateKeyPem, { mode: 0o600 });
      const registration = { ...input, jwks: { keys: [key.publicJwk] } };
      try {
        const apiKey = options.url
          ? ((await callAdmin(options.url, await adminAccessToken(options.url, dataDir), 'POST', '/applications', registration)) as { application: { apiKey: string } }).application.apiKey
          : await withContext(options, async (ctx) => (await createApplication(ctx.db, registration)).application.apiKey);
        process.stdout.write(`${JSON.stringify({ apiKey, kid: key.kid, privateKeyPath })}\n`);
      } catch (err) {
        // No app, no key file: a failed registration leaves nothing behind.
        rmSync(privateKeyPath, { force: true });
        throw err;
      }
    });

  withStoreOptions(apps.command('list'))
    .description('list registered applications as JSON (public keys only)')
    .option('--url <baseUrl>', 'ask a running Spine\'s admin API instead of the database')
    .action(async (options) => {
      const { listApplications } = await import('../services/identity/store/applications.js');
      const { adminAccessToken, callAdmin } = await import('./token-client.js');
      const { withContext } = await import('./context.js');
      const dataDir = configFrom(options).dataDir;
      const applications = options.url
        ? ((await callAdmin(options.url, await adminAccessToken(options.url, dataDir), 'GET', '/applications')) as { applications: Application[] }).applications
        : await withContext(options, (ctx) => listApplications(ctx.db));
      const rows = applications.map((app) => ({
        apiKey: app.apiKey, name: app.name, odsCode: app.odsCode, activities: app.activities,
        rateLimit: app.rateLimit, kids: app.jwks.keys.map((k) => k.kid), createdAt: app.createdAt,
      }));
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    });
}
