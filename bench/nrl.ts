import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { loadConfig } from '../src/platform/config.js';
import { createContext, createLogger, migrateAll, openDatabase } from '../src/platform/runtime.js';
import { recordLocatorService } from '../src/services/record-locator/index.js';
import { SyntheticNhsNumbers } from '../src/services/demographics/api.js';
import { seedSyntheticPointers, syntheticPointer } from '../src/services/record-locator/synthetic.js';
import type { Bench } from './run.js';
import { withCeilingLoads, type CpuPerRequest } from './ceiling.js';
import type { BenchOptions } from './options.js';
import { runLoad, type LoadRun } from './support/load.js';
import { postmasterPid } from './support/cpu.js';
import { alternate, measureRun, type Combined } from './support/alternate.js';
import { appAccessToken, demoApp, requireBuild, startSpineProcess } from './support/platform.js';
import { log, type BenchLine } from './support/report.js';
import { withLock } from './support/lock.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/platform/db/embedded.js';
import { resetStatementStats, statementsFile, withStatementStats, withoutStatementStats, writeStatementStats } from './support/pg-statements.js';

/**
 * Issue 10's NRL figures: consumer search by NHS number over 1,000,000 pointers, authenticated
 * (demo app's access token) and audited, against the same run's bare Fastify + PK-read ceiling
 * (target ≥ 90%, p99 < 50 ms); producer create against the bare-insert ceiling, bare Fastify + one
 * autocommit insert (`fastify_pg_insert_rps`; target ≥ 70%).
 * The pointers are seeded once into `<bench-dir>/nrl` (about 2,000,000 synthetic patients' worth:
 * one in four has 1–3 pointers) and reused.
 */
const SYNTHETIC_PATIENTS = 2_000_000;
const SEED = 1;
const MARKER = 'bench-pointers.json';
const DEMO_ODS = 'A83008';
const TARGETS = { searchShareOfCeiling: 0.9, searchP99: 50, createShareOfInserts: 0.7 } as const;
/** Slices each load and its ceiling take in turn (support/alternate.ts). */
const ROUNDS = 3;
const WARM_UP_SECONDS = 3;

const cpuNote = ({ cpuMs: c, figures }: Combined, ceiling?: CpuPerRequest) =>
  `CPU/req: server ${c.server.toFixed(3)} ms, PostgreSQL ${c.postgres.toFixed(3)} ms, load client ${c.client.toFixed(3)} ms${
    ceiling ? ` (ceiling ${ceiling.server.toFixed(3)}, ${ceiling.postgres.toFixed(3)}, ${ceiling.client.toFixed(3)}; server ${serverTimes(c, ceiling)} the ceiling's)` : ''
  }; ${coresBusy(c, figures.rps)}`;

/**
 * The share of the machine's cores the three processes kept busy: a load that leaves them idler than
 * its ceiling did is held by its latency (what each request waits for), not by the CPU it costs.
 */
function coresBusy(c: CpuPerRequest, rps: number): string {
  const cores = availableParallelism();
  return `the three kept ${((((c.server + c.postgres + c.client) * rps) / 1000 / cores) * 100).toFixed(0)}% of ${cores} cores busy`;
}

/** The server's CPU a request over the ceiling's: steadier than the throughput ratio when the host's speed wanders between minutes. */
const serverTimes = (c: CpuPerRequest, ceiling: CpuPerRequest) => (ceiling.server > 0 ? `${(c.server / ceiling.server).toFixed(2)}×` : 'n/a');

async function ensureSeeded(dataDir: string): Promise<{ line?: BenchLine; sample: string[] }> {
  const marker = join(dataDir, MARKER);
  if (existsSync(marker)) return { sample: (JSON.parse(readFileSync(marker, 'utf8')) as { sample: string[] }).sample };
  if (existsSync(join(dataDir, 'pg'))) throw new Error(`${dataDir} has a store the bench did not seed: remove it`);
  mkdirSync(dataDir, { recursive: true });
  const config = loadConfig({ dataDir, services: 'record-locator' }, { LOG_LEVEL: 'warn' });
  const logger = createLogger(config);
  const database = await openDatabase(config, logger);
  try {
    await migrateAll(database.db, [recordLocatorService]);
    const ctx = await createContext(config, database.db, logger);
    log(`nrl: seeding pointers for ${SYNTHETIC_PATIENTS} synthetic patients into ${dataDir} (reused by later runs)`);
    const started = Date.now();
    const summary = await seedSyntheticPointers(ctx, { patients: SYNTHETIC_PATIENTS, seed: SEED });
    const seconds = (Date.now() - started) / 1000;
    const { rows } = await database.db.query<{ nhs_number: string }>(
      `SELECT DISTINCT nhs_number FROM record_locator.pointers TABLESAMPLE SYSTEM (2) LIMIT 20000`);
    const sample = rows.map((r) => r.nhs_number);
    writeFileSync(marker, `${JSON.stringify({ summary, seededInSeconds: seconds, sample })}\n`);
    return { line: { bench: 'nrl', what: 'seed synthetic pointers', value: `${summary} in ${seconds.toFixed(0)} s` }, sample };
  } finally {
    await database.close();
  }
}

export const bench: Bench = async (options: BenchOptions, ceilings) => {
  requireBuild();
  const dataDir = join(options.benchDir, 'nrl');
  mkdirSync(dataDir, { recursive: true });
  return withLock(`${dataDir}.lock`, async () => {
    const lines: BenchLine[] = [];
    const { line, sample } = await ensureSeeded(dataDir);
    if (line) lines.push(line);
    // BENCH_PG_STATEMENTS: PostgreSQL started here with pg_stat_statements loaded, the server pointed at it.
    const postgres: EmbeddedServer | undefined = statementsFile ? await withStatementStats(await startEmbeddedPostgres(dataDir), dataDir) : undefined;
    const server = await startSpineProcess(dataDir, [], postgres ? { DATABASE_URL: postgres.connectionString } : undefined);
    try {
      // The demo app may consume and produce every record type at its own ODS code (dataset nrl, first start).
      const token = await appAccessToken(demoApp(dataDir, server.url));
      const headers = { authorization: `Bearer ${token}`, 'nhsd-end-user-organisation-ods': DEMO_ODS };
      const searchPath = () => `/record-locator/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(
        `https://fhir.nhs.uk/Id/nhs-number|${sample[Math.floor(Math.random() * sample.length)]}`)}`;
      // CPU per request of the server, PostgreSQL and the load client, beside the ceilings' own: on a
      // shared machine throughput moves with the neighbours, the work each request costs does not.
      const postmaster = postmasterPid(dataDir);
      const onSpine = (load: () => Promise<LoadRun>) => measureRun(server.pid, postmaster, load);
      // Each load runs in turn with its ceiling's (support/alternate.ts), so their ratio is read on
      // the same machine; PostgreSQL's statement figures (BENCH_PG_STATEMENTS) are the Spine's alone.
      const alternated = async (label: string, ceiling: (seconds: number) => ReturnType<typeof onSpine>, load: (seconds: number) => Promise<LoadRun>) => {
        if (postgres) await resetStatementStats(postgres.connectionString);
        const [bare, own] = await alternate(ROUNDS, options.seconds, ceiling, (seconds) => onSpine(() => load(seconds)));
        if (postgres) await writeStatementStats(postgres.connectionString, `nrl ${label}`, own.figures.requests);
        return { bare, own };
      };
      const search = (seconds: number) => runLoad({
        url: server.url, connections: options.connections, seconds, headers,
        next: () => ({ path: searchPath(), headers: { 'x-request-id': randomUUID() } }),
      });
      // Creates go to synthetic patients the searches never ask for: pointers added run after run
      // to the searched patients would make every later search return more and cost more.
      const searched = new Set(sample);
      const unsearched = new SyntheticNhsNumbers();
      const createFor = () => {
        for (;;) {
          const nhsNumber = unsearched.next();
          if (!searched.has(nhsNumber)) return nhsNumber;
        }
      };
      // The pointers are made before the run, as the token bench signs its assertions before its
      // run: building one cost the load client about half as much again as the bare-insert
      // ceiling's whole request, CPU the server and PostgreSQL share on this machine. Enough for
      // 6,000 creates/s; past that they are sent again (another pointer of the same patient).
      log('nrl: making the pointers to create');
      const bodies = Array.from({ length: options.seconds * 6_000 }, (_, n) => {
        const pointer = syntheticPointer(createFor(), 1000 + n, DEMO_ODS, 'http://snomed.info/sct|736253002', new Date().toISOString());
        delete pointer.id;
        return JSON.stringify(pointer);
      });
      let n = 0;
      const create = (seconds: number) => runLoad({
        url: server.url, connections: options.connections, seconds, headers, expectStatus: 201,
        next: () => ({
          method: 'POST', path: '/record-locator/producer/FHIR/R4/DocumentReference', body: bodies[n++ % bodies.length],
          headers: { 'x-request-id': randomUUID(), 'content-type': 'application/fhir+json' },
        }),
      });
      const { search: searchRun, searchCeiling, create: createRun, insertCeiling } = await withCeilingLoads(options, async (ceiling) => {
        log('nrl: warm-up (search, the PK-read and insert ceilings)');
        await search(WARM_UP_SECONDS);
        await ceiling.pkRead(WARM_UP_SECONDS);
        await ceiling.insert(WARM_UP_SECONDS);
        log(`nrl: consumer search by NHS number, in turn with bare Fastify + PK read (${ROUNDS} slices each)`);
        const searches = await alternated('search', ceiling.pkRead, search);
        log('nrl: warm-up (create)');
        await create(WARM_UP_SECONDS);
        log(`nrl: producer create, in turn with bare Fastify + insert (${ROUNDS} slices each)`);
        const creates = await alternated('create', ceiling.insert, create);
        return { search: searches.own, searchCeiling: searches.bare, create: creates.own, insertCeiling: creates.bare };
      });
      const searches = searchRun.figures;
      const creates = createRun.figures;
      const searchShare = searches.rps / searchCeiling.figures.rps;
      // The bare-insert ceiling is issue 9's `fastify_pg_insert_rps` (bare Fastify + one autocommit
      // insert over HTTP, as a create is); PostgreSQL's own rate from 20 clients is printed beside it.
      const createShare = creates.rps / insertCeiling.figures.rps;
      const atStart = (rps: number, ceiling: number) => `${((rps / ceiling) * 100).toFixed(0)}% of the run's first (${ceiling.toFixed(0)} req/s)`;
      lines.push(
        { bench: 'nrl', what: 'bare Fastify + pg PK read, in turn with the searches', figures: searchCeiling.figures, note: cpuNote(searchCeiling) },
        {
          bench: 'nrl', what: 'consumer search by NHS number (~1M pointers)', figures: searches,
          target: `≥ 90% of Fastify + PK read, p99 < ${TARGETS.searchP99} ms`,
          met: searchShare >= TARGETS.searchShareOfCeiling && searches.p99 < TARGETS.searchP99 && searches.failures === 0,
          note: `${(searchShare * 100).toFixed(0)}% of bare Fastify + PK read in turn with it (${searchCeiling.figures.rps.toFixed(0)} req/s), ${atStart(searches.rps, ceilings.pkRead.rps)}; ${cpuNote(searchRun, searchCeiling.cpuMs)}`,
        },
        { bench: 'nrl', what: 'bare Fastify + pg insert, in turn with the creates', figures: insertCeiling.figures, note: cpuNote(insertCeiling) },
        {
          bench: 'nrl', what: 'producer create', figures: creates, target: '≥ 70% of bare Fastify + insert',
          met: createShare >= TARGETS.createShareOfInserts && creates.failures === 0,
          note: `${(createShare * 100).toFixed(0)}% of bare Fastify + insert in turn with it (${insertCeiling.figures.rps.toFixed(0)} req/s), ${atStart(creates.rps, ceilings.insert.rps)}, ${((creates.rps / ceilings.insertsPerSecond) * 100).toFixed(0)}% of PostgreSQL's own inserts from 20 clients (${ceilings.insertsPerSecond.toFixed(0)}/s); ${cpuNote(createRun, insertCeiling.cpuMs)}`,
        },
      );
      return lines;
    } finally {
      await server.stop();
      // Back as a plain run needs it (no module preloaded, no setting left behind), then stopped.
      if (postgres) await (await withoutStatementStats(postgres, dataDir)).stop();
    }
  });
};
