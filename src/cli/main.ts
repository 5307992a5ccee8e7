#!/usr/bin/env node
import { nodeVersionProblem } from './node-version.js';

// Checked before anything else is loaded: on an older Node a dependency fails to load, deep in
// Fastify, with a message that does not say why.
const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(`openspine: ${problem}\n`);
  process.exit(1);
}
await import('./program.js');
