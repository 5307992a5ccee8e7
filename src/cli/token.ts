import type { Command } from 'commander';
import { configFrom, withStoreOptions } from './options.js';

export function registerTokenCommand(program: Command) {
  withStoreOptions(program.command('token'))
    .description('mint an access token for demos, exactly as a client would: a signed JWT client assertion (and, with --user, token exchange of a demo CIS2 ID token)')
    .option('--app <apiKey>', 'application API key (default: the demo app from <data-dir>/demo-credentials.json)')
    .option('--key <file>', "the app's private key PEM (default: from the demo credentials)")
    .option('--kid <kid>', "the key's kid (default: from the demo credentials, else the key's thumbprint, as `apps create` sets it)")
    .option('--user <userId>', 'user-restricted: a user of the embedded demo issuer, e.g. 555000000001')
    .option('--role <roleProfileId>', "the user's role profile to act in (sent as NHSD-Session-URID), e.g. 555000000101")
    .option('--url <baseUrl>', 'ask a running Spine at this URL (POST <url>/oauth2/token, aud = that URL); '
      + 'without it the token is minted in-process against the database (DATABASE_URL, or the embedded store '
      + 'when no server is using it), with aud = the configured public URL')
    .action(async (options) => {
      const { clientForm, signingCredentials, viaServer } = await import('./token-client.js');
      const { CLIENT_CREDENTIALS, findApplicationByApiKey, grantToken, ID_TOKEN_TYPE, mintDemoIdToken, TOKEN_EXCHANGE, tokenUrlOf } = await import('../services/identity/api.js');
      const { withContext } = await import('./context.js');
      const dataDir = configFrom(options).dataDir;
      const credentials = await signingCredentials(options, dataDir);
      if (options.role && !options.user) throw new Error('--role needs --user');
      if (options.url) {
        process.stdout.write(`${JSON.stringify(await viaServer(options.url, credentials, options, dataDir))}\n`);
        return;
      }
      // Minting in-process signs with the demo issuer's key from the store itself: demo mode by nature.
      await withContext({ ...options, demo: true }, async (ctx) => {
        const tokenUrl = tokenUrlOf(ctx);
        const form: Record<string, string> = { grant_type: CLIENT_CREDENTIALS, ...(await clientForm(credentials, tokenUrl)) };
        if (options.user) {
          const clientId = (await findApplicationByApiKey(ctx.db, credentials.apiKey))?.cis2ClientId;
          Object.assign(form, { grant_type: TOKEN_EXCHANGE, subject_token_type: ID_TOKEN_TYPE, subject_token: await mintDemoIdToken(ctx, { userId: options.user, roleProfileId: options.role, clientId }) });
        }
        const { response } = await grantToken(ctx, { form, sessionUrid: options.role });
        process.stdout.write(`${JSON.stringify(response)}\n`);
      });
    });
}
