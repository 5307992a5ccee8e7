// `node --import <this file>`: appends the URL of every module the process loads, one a line, to the
// file OPENSPINE_MODULE_TRACE names (test/cli-load.test.ts: what a CLI command loads).
import { register } from 'node:module';

register('./module-trace-hooks.mjs', import.meta.url, { data: { file: process.env.OPENSPINE_MODULE_TRACE } });
