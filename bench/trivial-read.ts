import type { Bench } from './run.js';
import { runLoad } from './support/load.js';
import { startServerProcess } from './support/server.js';
import { appAccessToken, demoApp, freshDataDir, requireBuild } from './support/platform.js';

/**
 * The platform's own cost: an authenticated (bearer token), authorised, rate-limited, audited read
 * that does no other work. Compared with bare Fastify (what the platform's hooks cost) and with the
 * bare PostgreSQL insert rate (the audit record is one durable insert).
 */
export const bench: Bench = async (options, ceilings) => {
  requireBuild();
  const data = freshDataDir(options.benchDir, 'trivial-read');
  try {
    const server = await startServerProcess({
      args: ['--import', 'tsx', 'bench/support/trivial-read-server.ts', '--data-dir', data.dir],
    });
    try {
      const token = await appAccessToken(demoApp(data.dir, server.url));
      let n = 0;
      const stopRss = server.sampleRss();
      const figures = await runLoad({
        url: server.url,
        connections: options.connections,
        seconds: options.seconds,
        headers: { authorization: `Bearer ${token}` },
        next: () => ({ path: `/bench/trivial/${9000000000 + (n++ % 100000)}` }),
      });
      const rss = stopRss();
      return [{
        bench: 'trivial-read',
        what: 'authenticated, audited trivial read',
        figures,
        note: `${((figures.rps / ceilings.hello.rps) * 100).toFixed(0)}% of bare Fastify; ${((figures.rps / ceilings.insertsPerSecond) * 100).toFixed(0)}% of bare inserts; RSS peak ${rss.peakMb.toFixed(0)} MB`,
      }];
    } finally {
      await server.stop();
    }
  } finally {
    data.remove();
  }
};
