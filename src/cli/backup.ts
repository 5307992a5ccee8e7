import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Command } from 'commander';
import type { Database } from '../platform/runtime.js';
import type { Config } from '../platform/config.js';
import { configFrom, withStoreOptions } from './options.js';

async function withDatabase<T>(options: Record<string, unknown>, work: (database: Database, config: Config) => Promise<T>, logLevel = 'warn'): Promise<T> {
  const config = configFrom(options);
  const { createLogger, openDatabase } = await import('../platform/runtime.js');
  const database = await openDatabase(config, createLogger({ ...config, logLevel }));
  try {
    return await work(database, config);
  } finally {
    await database.close();
  }
}

const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

export function registerBackupCommands(program: Command) {
  withStoreOptions(program.command('backup'))
    .description('copy the whole store (every service\'s tables, from one snapshot) to a file while the Spine runs; `openspine restore` reads it')
    .requiredOption('--file <path>', 'the backup file to write (gzip), under a temporary name renamed when complete; - for standard output (to pipe it into an encryption tool, say)')
    .action(async (options) => {
      const { writeBackup } = await import('../platform/db/backup.js');
      const started = Date.now();
      const toStdout = options.file === '-';
      const partial = `${options.file}.partial`;
      // On standard output the backup is the only thing written there: the store's log lines are kept off it.
      await withDatabase(options, async ({ db }) => {
        const gzip = createGzip();
        const file = toStdout ? undefined : createWriteStream(partial, { mode: 0o600 });
        if (file) gzip.pipe(file);
        else gzip.pipe(process.stdout, { end: false });
        try {
          const header = await writeBackup(db, gzip);
          gzip.end();
          await finished(file ?? gzip);
          if (!toStdout) renameSync(partial, options.file);
          const rows = header.tables.reduce((sum, t) => sum + t.rows, 0);
          const where = toStdout ? 'standard output' : `${options.file} (${megabytes(statSync(options.file).size)} MB)`;
          process.stderr.write(`backup: ${header.tables.length} tables, ${rows} rows, ${header.migrations.length} migrations to ${where} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        } catch (err) {
          gzip.destroy();
          file?.destroy();
          if (!toStdout) rmSync(partial, { force: true });
          throw err;
        }
      }, toStdout ? 'silent' : 'warn');
    });

  withStoreOptions(program.command('restore'))
    .description('load a backup into a new, empty database: migrate it to the backup\'s release, then load every row in one transaction')
    .requiredOption('--file <path>', 'the backup file (`openspine backup`); - for standard input')
    .action(async (options) => {
      const { BackupReader, appliedMigrations, hasTables, restoreBackup } = await import('../platform/db/backup.js');
      const { migrateSets } = await import('../platform/runtime.js');
      const { migrationSetsOf } = await import('../services/migration-sets.js');
      const started = Date.now();
      const reader = new BackupReader((options.file === '-' ? process.stdin : createReadStream(options.file)).pipe(createGunzip()));
      const header = await reader.header();
      await withDatabase(options, async ({ db }, config) => {
        if (await hasTables(db)) throw new Error('restore loads a backup into a new, empty database only: this one has tables already (give another DATABASE_URL or --data-dir)');
        // The backup's own migrations, no more: a store between an upgrade's expand and contract steps
        // is restored as it was, its contract steps still pending.
        await migrateSets(db, migrationSetsOf(config.services), { only: new Set(header.migrations) });
        const applied = new Set(await appliedMigrations(db));
        const unknown = header.migrations.filter((m) => !applied.has(m));
        if (unknown.length > 0) {
          throw new Error(`the backup's store had migrations this release does not have (${unknown.join(', ')}): restore it with the release that made it, or a later one (with --services naming every service it ran)`);
        }
        await restoreBackup(db, header, reader);
        await db.query('ANALYZE');
      });
      const rows = header.tables.reduce((sum, t) => sum + t.rows, 0);
      process.stdout.write(`restore: ${header.tables.length} tables, ${rows} rows from the backup of ${header.createdAt} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    });
}
