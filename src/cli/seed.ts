import type { Command } from 'commander';
import type { SeedOptions } from '../platform/service.js';
import { configFrom, withStoreOptions } from './options.js';
import { parseWholeNumber } from '../platform/config.js';

/** Which dataset each shortcut flag loads. */
const SYNTHETIC_PATIENTS = 'synthetic-patients';
const MESH_FILES = 'mesh-files';

export function registerSeedCommand(program: Command) {
  withStoreOptions(program.command('seed'))
    .description('load data: a named dataset, a synthetic patient population, or MESH mailboxes and workflows from files')
    .option('--dataset <name>', 'a named dataset, e.g. nhs-sandbox, mesh-sandbox, demo')
    .option('--patients <n>', 'generate N synthetic patients (valid 999-range NHS numbers)')
    .option('--mesh-mailboxes <file>', 'MESH mailboxes, JSONL in the MESH sandbox format')
    .option('--mesh-workflows <file>', 'MESH workflows, JSONL in the MESH sandbox format')
    .option('--seed <n>', 'random seed for generated data', '1')
    .action(async (options) => {
      // Seeding loads every service (their datasets and demo seeds) and the population generator.
      const { default: cliProgress } = await import('cli-progress');
      const { createContext, createLogger, migrateAll, openDatabase } = await import('../platform/runtime.js');
      const { servicesNamed } = await import('../services/registry.js');
      const config = configFrom(options);
      const modules = servicesNamed(config.services);
      const log = createLogger({ ...config, logLevel: 'warn' });
      const database = await openDatabase(config, log);
      try {
        await migrateAll(database.db, modules);
        const ctx = await createContext(config, database.db, log);
        const jobs: Array<[string, SeedOptions]> = [];
        if (options.dataset) jobs.push([options.dataset, {}]);
        if (options.patients) {
          const patients = parseWholeNumber('--patients', options.patients, 0, 1);
          jobs.push([SYNTHETIC_PATIENTS, { patients, seed: parseWholeNumber('--seed', options.seed, 1) }]);
        }
        if (options.meshMailboxes || options.meshWorkflows) {
          jobs.push([MESH_FILES, { mailboxes: options.meshMailboxes, workflows: options.meshWorkflows }]);
        }
        if (jobs.length === 0) throw new Error('nothing to seed: give --dataset, --patients or --mesh-mailboxes/--mesh-workflows');
        for (const [name, seedOptions] of jobs) {
          if (name === 'demo') {
            for (const module of modules) await module.seedDemo?.(ctx);
            process.stdout.write('demo: seeded\n');
            continue;
          }
          // Several services may contribute to one dataset (the synthetic population: patients, then their pointers).
          const owners = modules.filter((m) => m.datasets?.[name]);
          if (owners.length === 0) {
            const known = modules.flatMap((m) => Object.keys(m.datasets ?? {}));
            throw new Error(`unknown dataset '${name}'; known: demo, ${[...new Set(known)].join(', ')}`);
          }
          for (const owner of owners) {
            const bar = new cliProgress.SingleBar({ format: `${name} [{bar}] {percentage}% {value}/{total} {eta_formatted} left`, etaBuffer: 50 }, cliProgress.Presets.shades_classic);
            let started = false;
            seedOptions.progress = (done, total) => {
              if (!process.stderr.isTTY) return;
              if (!started) { bar.start(total, 0); started = true; }
              bar.update(done);
            };
            const summary = await owner.datasets![name]!(ctx, seedOptions);
            if (started) bar.stop();
            process.stdout.write(`${name}: ${summary}\n`);
          }
        }
      } finally {
        await database.close();
      }
    });
}
