import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { populationBatches } from '../src/services/demographics/population/population.js';
import { SyntheticNhsNumbers } from '../src/services/demographics/population/nhs-numbers.js';
import { withCeilingLoads } from './ceiling.js';
import { alternate, measureRun } from './support/alternate.js';
import { postmasterPid } from './support/cpu.js';
import type { Patient } from '../src/services/demographics/fhir-types.js';
import type { Bench, Prepare } from './run.js';
import type { BenchOptions } from './options.js';
import { runLoad, type LoadFigures } from './support/load.js';
import { clinicianAccessToken, requireBuild, startSpineProcess } from './support/platform.js';
import { log, type BenchLine } from './support/report.js';
import { withLock } from './support/lock.js';

const BASE = '/personal-demographics/FHIR/R4/Patient';
const SEED = 1;
const SAMPLE = 20_000;
const MARKER = 'bench-population.json';

/** Targets from the brief: reads at 8,000/s with p99 < 20 ms and ≥ half the Fastify+PK ceiling; searches by p95. */
const TARGETS = { readRps: 8000, readP99: 20, readShareOfCeiling: 0.5, exactP95: 10, fuzzyP95: 30, rssMb: 400 } as const;
/** Slices the reads and their ceiling take in turn (support/alternate.ts). */
const ROUNDS = 3;
const WARM_UP_SECONDS = 3;

/**
 * Seeds the data dir once (`openspine seed --patients N`, timed) and reuses it on later runs. A
 * marker file says which population is there; a store the bench did not seed is never touched.
 */
export async function ensureSeeded(options: BenchOptions): Promise<BenchLine | undefined> {
  const marker = join(options.pdsDataDir, MARKER);
  const wanted = { patients: options.patients, seed: SEED };
  if (existsSync(marker)) {
    const found = JSON.parse(readFileSync(marker, 'utf8')) as typeof wanted;
    if (found.patients === wanted.patients && found.seed === wanted.seed) return undefined;
    throw new Error(`${options.pdsDataDir} holds ${found.patients} patients, not ${wanted.patients}: pick another --data-dir or remove it`);
  }
  if (existsSync(join(options.pdsDataDir, 'pg'))) throw new Error(`${options.pdsDataDir} has a store the bench did not seed: pick another --data-dir or remove it`);
  mkdirSync(options.pdsDataDir, { recursive: true });
  log(`pds: seeding ${options.patients} patients into ${options.pdsDataDir} (reused by later runs)`);
  const started = Date.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['dist/cli/main.js', 'seed', '--patients', String(options.patients), '--seed', String(SEED), '--data-dir', options.pdsDataDir], { stdio: 'inherit' });
    child.on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new Error(`openspine seed exited with ${code}`);
  const seconds = (Date.now() - started) / 1000;
  writeFileSync(marker, `${JSON.stringify({ ...wanted, seededInSeconds: seconds })}\n`);
  return { bench: 'pds', what: `seed ${options.patients} patients (openspine seed)`, value: `${seconds.toFixed(0)} s`, target: options.patients === 1_000_000 ? '< 300 s' : undefined, met: options.patients === 1_000_000 ? seconds < 300 : undefined };
}

/**
 * The first patients of the seeded population, regenerated here (same seed, same stream), so the
 * bench knows real NHS numbers and names without reading the database. Invalidated records are
 * left out: reading them is a 404 by design.
 */
function samplePatients(patients: number): Patient[] {
  const sample: Patient[] = [];
  for (const batch of populationBatches({ patients: Math.min(patients, SAMPLE), seed: SEED })) {
    const invalidated = new Set(batch.invalidated);
    sample.push(...batch.patients.filter((p) => !invalidated.has(p.id)));
  }
  return sample;
}

/**
 * NHS numbers across the whole population (the generator hands them out in order), so reads touch
 * the whole table as the ceiling's do. About 0.2% are superseded numbers (answered with the
 * survivor) and 0.1% invalidated (404 INVALIDATED_RESOURCE, also a correct answer).
 */
function populationNhsNumbers(patients: number): string[] {
  const numbers = new SyntheticNhsNumbers();
  return Array.from({ length: patients }, () => numbers.next());
}

function searchPath(p: Patient, mode: 'exact' | 'fuzzy'): string {
  const name = p.name!.find((n) => n.use === 'usual')!;
  const query = new URLSearchParams({ family: name.family!, given: name.given![0]!, birthdate: `eq${p.birthDate}`, gender: p.gender! });
  query.set(mode === 'exact' ? '_exact-match' : '_fuzzy-match', 'true');
  return `${BASE}?${query.toString()}`;
}

/** Seeds the store before the ceilings are measured (a long seed would put minutes between them and the reads). */
export const prepare: Prepare = async (options) => {
  requireBuild();
  mkdirSync(options.pdsDataDir, { recursive: true });
  const seeded = await withLock(`${options.pdsDataDir}.lock`, () => ensureSeeded(options));
  return seeded ? [seeded] : [];
};

export const bench: Bench = async (options) => {
  requireBuild();
  mkdirSync(options.pdsDataDir, { recursive: true });
  // Two benches on one data dir would stop each other's embedded PostgreSQL.
  return withLock(`${options.pdsDataDir}.lock`, () => benchLocked(options));
};

async function benchLocked(options: BenchOptions): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];
  const seeded = await ensureSeeded(options);
  if (seeded) lines.push(seeded);
  const sample = samplePatients(options.patients);
  const server = await startSpineProcess(options.pdsDataDir);
  try {
    const token = await clinicianAccessToken(options.pdsDataDir, server.url);
    const headers = { authorization: `Bearer ${token}` };
    const pick = () => sample[Math.floor(Math.random() * sample.length)]!;
    const load = (seconds: number, path: () => string): Promise<LoadFigures> => runLoad({
      url: server.url, connections: options.connections, seconds, headers,
      next: () => ({ path: path(), headers: { 'x-request-id': randomUUID() } }),
    });
    const stopRss = server.sampleRss();
    const everyone = populationNhsNumbers(options.patients);
    const readLoad = (seconds: number) => runLoad({
      url: server.url, connections: options.connections, seconds, headers, expectStatus: [200, 404],
      next: () => ({ path: `${BASE}/${everyone[Math.floor(Math.random() * everyone.length)]}`, headers: { 'x-request-id': randomUUID() } }),
    });
    const postmaster = postmasterPid(options.pdsDataDir);
    // The reads run in turn with the PK-read ceiling (support/alternate.ts), so their ratio is read on the same machine.
    const [ceilingRun, readRun] = await withCeilingLoads(options, async (ceiling) => {
      log('pds: warm-up (reads, the PK-read ceiling)');
      // Connections, JIT, and the table's hot pages (a cold 1M-row table reads ~1/3 slower for the first seconds).
      await readLoad(5);
      await ceiling.pkRead(WARM_UP_SECONDS);
      log(`pds: read by NHS number, in turn with bare Fastify + PK read (${ROUNDS} slices each)`);
      return alternate(ROUNDS, options.seconds, ceiling.pkRead, (seconds) => measureRun(server.pid, postmaster, () => readLoad(seconds)));
    });
    const ceiling = ceilingRun.figures;
    const reads = readRun.figures;
    log('pds: exact search');
    const exact = await load(options.seconds, () => searchPath(pick(), 'exact'));
    log('pds: fuzzy search');
    const fuzzy = await load(options.seconds, () => searchPath(pick(), 'fuzzy'));
    const rss = stopRss();
    const share = reads.rps / ceiling.rps;
    lines.push(
      {
        bench: 'pds', what: `read Patient/{id} (${options.patients} patients)`, figures: reads,
        target: `≥ ${TARGETS.readRps}/s, p99 < ${TARGETS.readP99} ms, ≥ 50% ceiling`,
        met: reads.rps >= TARGETS.readRps && reads.p99 < TARGETS.readP99 && share >= TARGETS.readShareOfCeiling && reads.failures === 0,
        note: `${(share * 100).toFixed(0)}% of bare Fastify + PK read in turn with it (${ceiling.rps.toFixed(0)} req/s); ${reads.statusCounts[404] ?? 0} invalidated (404); CPU/read: server ${readRun.cpuMs.server.toFixed(3)} ms, PostgreSQL ${readRun.cpuMs.postgres.toFixed(3)} ms (ceiling ${ceilingRun.cpuMs.server.toFixed(3)}, ${ceilingRun.cpuMs.postgres.toFixed(3)})`,
      },
      { bench: 'pds', what: 'exact search (family, given, birthdate, gender)', figures: exact, target: `p95 < ${TARGETS.exactP95} ms`, met: exact.p95 < TARGETS.exactP95 && exact.failures === 0 },
      { bench: 'pds', what: 'fuzzy search (family, given, birthdate, gender)', figures: fuzzy, target: `p95 < ${TARGETS.fuzzyP95} ms`, met: fuzzy.p95 < TARGETS.fuzzyP95 && fuzzy.failures === 0 },
      { bench: 'pds', what: 'server RSS, peak while under load', value: `${rss.peakMb.toFixed(0)} MB (${rss.samples} samples)`, target: `< ${TARGETS.rssMb} MB`, met: rss.peakMb < TARGETS.rssMb },
    );
    return lines;
  } finally {
    await server.stop();
  }
}
