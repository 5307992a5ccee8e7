import { randomUUID } from 'node:crypto';
import { buildClientAssertion, CLIENT_ASSERTION_TYPE, CLIENT_CREDENTIALS } from '../src/services/identity/api.js';
import type { Bench } from './run.js';
import { runLoad } from './support/load.js';
import { demoApp, freshDataDir, startSpineProcess } from './support/platform.js';
import { log } from './support/report.js';

/** RS512 signing costs ~1 ms here, so the assertions are made before the run, not during it. */
const MAX_ASSERTIONS = 12_000;

/**
 * POST /oauth2/token (client credentials with a signed JWT client assertion), every request with
 * a fresh assertion and unique jti, as NHS England's platform requires: the endpoint verifies the
 * RS512 signature, records the jti against replay, and issues an access token. The run ends after
 * its duration or when the pre-made assertions run out, whichever is first.
 */
export const bench: Bench = async (options, ceilings) => {
  const data = freshDataDir(options.benchDir, 'token');
  try {
    // The bench is one client address asking as fast as it can: lift the per-address limit it measures past.
    const server = await startSpineProcess(data.dir, ['--token-rate-limit', '1000000000']);
    try {
      const app = demoApp(data.dir, server.url);
      const count = Math.min(MAX_ASSERTIONS, options.seconds * 1000);
      log(`token: signing ${count} client assertions`);
      const bodies: string[] = [];
      for (let i = 0; i < count; i++) {
        const assertion = await buildClientAssertion({ ...app, jti: randomUUID() });
        bodies.push(new URLSearchParams({ grant_type: CLIENT_CREDENTIALS, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }).toString());
      }
      let next = 0;
      const stopRss = server.sampleRss();
      const figures = await runLoad({
        url: server.url,
        connections: options.connections,
        seconds: options.seconds,
        amount: bodies.length,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        next: () => ({ method: 'POST', path: '/oauth2/token', body: bodies[next++ % bodies.length] }),
      });
      const rss = stopRss();
      return [{
        bench: 'token',
        what: 'POST /oauth2/token, fresh signed assertions',
        figures,
        note: `${((figures.rps / ceilings.hello.rps) * 100).toFixed(0)}% of bare Fastify; ${bodies.length} assertions; RSS peak ${rss.peakMb.toFixed(0)} MB`,
      }];
    } finally {
      await server.stop();
    }
  } finally {
    data.remove();
  }
};
