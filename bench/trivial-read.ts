import type { Bench } from './run.js';
import { runLoad } from './support/load.js';
import { startServerProcess } from './support/server.js';
import { appAccessToken, demoApp, freshDataDir, requireBuild } from './support/platform.js';
import { cpuSecondsOf, postgresCpuSeconds, postmasterPid } from './support/cpu.js';

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
      const load = (seconds: number) => runLoad({
        url: server.url,
        connections: options.connections,
        seconds,
        headers: { authorization: `Bearer ${token}` },
        next: () => ({ path: `/bench/trivial/${9000000000 + (n++ % 100000)}` }),
      });
      await load(3); // warm-up: V8 optimises the hot path before it is measured
      const stopRss = server.sampleRss();
      // CPU per request of the server and of PostgreSQL, beside the ceilings' own: on a shared machine
      // throughput moves with the neighbours, the work each request costs does not.
      const postmaster = postmasterPid(data.dir);
      const before = { server: cpuSecondsOf(server.pid), postgres: postgresCpuSeconds(postmaster) };
      const figures = await load(options.seconds);
      const rss = stopRss();
      const per = (seconds: number) => ((seconds * 1000) / Math.max(1, figures.requests)).toFixed(3);
      const cpu = `CPU/req: server ${per(cpuSecondsOf(server.pid) - before.server)} ms, PostgreSQL ${per(postgresCpuSeconds(postmaster) - before.postgres)} ms`
        + ` (PK-read ceiling ${ceilings.cpuMs.pkRead.server.toFixed(3)}, ${ceilings.cpuMs.pkRead.postgres.toFixed(3)})`;
      return [{
        bench: 'trivial-read',
        what: 'authenticated, audited trivial read',
        figures,
        note: `${((figures.rps / ceilings.hello.rps) * 100).toFixed(0)}% of bare Fastify; ${((figures.rps / ceilings.insertsPerSecond) * 100).toFixed(0)}% of bare inserts; RSS peak ${rss.peakMb.toFixed(0)} MB; ${cpu}`,
      }];
    } finally {
      await server.stop();
    }
  } finally {
    data.remove();
  }
};
