import type { Command } from 'commander';
import { withStoreOptions } from './options.js';

// A command loads what it uses when it runs: the store (and its migrations) and the service's api.
const loaded = async () => ({ ...await import('./context.js'), ...await import('../services/record-locator/api.js') });

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

/** `openspine nrl permissions set|remove|list`: which pointer types an application may use for an organisation. */
export function registerRecordLocatorCommands(program: Command) {
  const permissions = program.command('nrl').description('National Record Locator').command('permissions')
    .description('pointer types an application may produce and consume, per ODS code[.extension]');

  withStoreOptions(permissions.command('set'))
    .description('set the pointer types of an application acting for an organisation (replaces any it had)')
    .requiredOption('--app <appId>', 'application id (identity app id, or the gateway\'s nrl.app-id)')
    .requiredOption('--ods <code>', 'ODS code, or ODS code.extension')
    .requiredOption('--types <list>', 'comma-separated "system|code" types, e.g. http://snomed.info/sct|736253002')
    .action(async (options) => {
      const { withContext, setPointerTypes } = await loaded();
      const permission = await withContext(options, (ctx) => setPointerTypes(ctx.db, options.app, options.ods, list(options.types)));
      process.stdout.write(`${JSON.stringify(permission)}\n`);
    });

  withStoreOptions(permissions.command('remove'))
    .description('remove every pointer type of an application for an organisation')
    .requiredOption('--app <appId>', 'application id')
    .requiredOption('--ods <code>', 'ODS code, or ODS code.extension')
    .action(async (options) => {
      const { withContext, removePointerTypes } = await loaded();
      const removed = await withContext(options, (ctx) => removePointerTypes(ctx.db, options.app, options.ods));
      if (!removed) throw new Error(`application '${options.app}' has no pointer types for '${options.ods}'`);
      process.stdout.write('removed\n');
    });

  withStoreOptions(permissions.command('list'))
    .description('list permissions as JSON')
    .option('--app <appId>', 'only this application')
    .action(async (options) => {
      const { withContext, listPointerTypes } = await loaded();
      const rows = await withContext(options, (ctx) => listPointerTypes(ctx.db, options.app));
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    });
}
