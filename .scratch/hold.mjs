import { startEmbeddedPostgres } from '/work/wt/faults/dist/platform/db/embedded.js';
const s = await startEmbeddedPostgres(process.argv[2], console.log);
console.log('ready');
setInterval(() => {}, 1000);
