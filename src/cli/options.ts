import type { Command } from 'commander';
import { loadConfig, type Config, type ConfigFlags } from '../platform/config.js';

/** Options every command that touches the Spine's store shares. */
export function withStoreOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (env OPENSPINE_DATA_DIR; default ./.openspine)')
    .option('--services <list>', 'comma-separated services this process runs (env OPENSPINE_SERVICES; default all)');
}

export function configFrom(options: ConfigFlags): Config {
  return loadConfig(options);
}
