import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AREA_KINDS, type AreaKind } from '../services/directory/domain/postcode-areas.js';
import { withStoreOptions } from './options.js';

// A command loads what it uses when it runs: the store (and its migrations) and the service's api.
const loaded = async () => ({ ...await import('./context.js'), ...await import('../services/directory/api.js') });

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

/** `openspine directory postcode-areas set|lookup`: the postcode prefixes NEMS's postcode rules read. */
export function registerDirectoryCommands(program: Command) {
  const areas = program.command('directory').description('Spine Directory Service').command('postcode-areas')
    .description('which ICB sub location and local authority are responsible for which postcodes (NEMS postcode rules)');

  withStoreOptions(areas.command('set'))
    .description('set the postcode prefixes (area LS, district LS1, sector LS1 6, postcode LS1 6AE) an organisation is responsible for (replaces what it had)')
    .requiredOption('--kind <kind>', AREA_KINDS.join(' or '))
    .requiredOption('--ods <code>', 'ICB sub location ODS code (e.g. 15F) or local authority code (e.g. E08000035)')
    .option('--prefixes <list>', 'comma-separated prefixes, e.g. LS1,LS2,"LS6 1"')
    .option('--file <path>', 'a file of prefixes, one a line (e.g. a district or sector column of the ONS postcode directory)')
    .action(async (options) => {
      if (!(AREA_KINDS as readonly string[]).includes(options.kind)) throw new Error(`--kind must be ${AREA_KINDS.join(' or ')}, not '${options.kind}'`);
      const prefixes = [
        ...(options.prefixes ? list(options.prefixes) : []),
        ...(options.file ? readFileSync(options.file, 'utf8').split(/\r?\n/).map((line) => line.split(',')[0]!.trim()).filter(Boolean) : []),
      ];
      if (prefixes.length === 0) throw new Error('give --prefixes or --file');
      const { withContext, directoryApi } = await loaded();
      await withContext(options, (ctx) => directoryApi(ctx.db).setPostcodeAreas(options.kind as AreaKind, options.ods, prefixes));
      process.stdout.write(`${JSON.stringify({ kind: options.kind, odsCode: options.ods.toUpperCase(), prefixes: prefixes.length })}\n`);
    });

  withStoreOptions(areas.command('lookup'))
    .description('the ICB sub location and local authority responsible for a postcode (longest matching prefix)')
    .requiredOption('--postcode <postcode>', 'e.g. "LS1 6AE"')
    .action(async (options) => {
      const { withContext, directoryApi } = await loaded();
      const found = await withContext(options, (ctx) => directoryApi(ctx.db).areasOfPostcode(options.postcode));
      process.stdout.write(`${JSON.stringify(found)}\n`);
    });
}
