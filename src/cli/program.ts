/** The `openspine` command's subcommands (started by `main.ts`, once it has checked Node's version). */
import { Command } from 'commander';
import { registerServeCommands } from './serve.js';
import { registerSeedCommand } from './seed.js';
import { registerIdentityCommands } from './apps.js';
import { registerAuditCommands } from './audit.js';
import { registerRecordLocatorCommands } from './record-locator.js';
import { registerDirectoryCommands } from './directory.js';
import { registerBackupCommands } from './backup.js';

const program = new Command()
  .name('openspine')
  .description('OpenSpine: an open national health information exchange backbone (NHS Spine APIs)')
  .version('0.1.0');

registerServeCommands(program);
registerSeedCommand(program);
registerIdentityCommands(program);
registerAuditCommands(program);
registerRecordLocatorCommands(program);
registerDirectoryCommands(program);
registerBackupCommands(program);

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`openspine: ${err.message}\n`);
  process.exit(1);
});
