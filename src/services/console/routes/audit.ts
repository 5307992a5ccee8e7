import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { searchAuditRecords, verifyAuditChain, type AuditSearch, type ChainHead, type ChainVerdict, type ChainedRecord, type RecordedBound } from '../../audit/api.js';
import { formDay, pageRoute } from '../http.js';
import { render } from '../render.js';
import { auditConsole } from '../audit.js';
import { toCsv } from '../csv.js';

const PAGE_SIZE = 100;
const EXPORT_LIMIT = 10_000;

const optional = (pattern: string, maxLength: number) => ({ type: 'string', maxLength, pattern });
export const AUDIT_QUERY = {
  type: 'object',
  properties: {
    nhsNumber: optional('^(\\s*|\\d{10})$', 10),
    user: optional('^[\\x20-\\x7e]*$', 100),
    organisation: optional('^[A-Za-z0-9.]*$', 20),
    action: optional('^[a-z.:-]*$', 60),
    from: optional('^(|\\d{4}-\\d{2}-\\d{2})$', 10),
    to: optional('^(|\\d{4}-\\d{2}-\\d{2})$', 10),
  },
};

export interface AuditQuery { nhsNumber?: string; user?: string; organisation?: string; action?: string; from?: string; to?: string }

/** The form's fields as an audit search: empty fields are no filter; `to` includes its whole day. */
export function auditSearchOf(query: AuditQuery, limit: number): AuditSearch {
  const value = (text: string | undefined) => (text && text.trim() !== '' ? text.trim() : undefined);
  const recorded: RecordedBound[] = [];
  const from = value(query.from);
  const to = value(query.to);
  if (from) recorded.push({ op: 'atOrAfter', at: formDay('from', from) });
  if (to) recorded.push({ op: 'before', at: formDay('to', to, 1) });
  return {
    nhsNumber: value(query.nhsNumber), agent: value(query.user), odsCode: value(query.organisation)?.toUpperCase(),
    action: value(query.action), recorded, limit,
  };
}

const CSV_COLUMNS = ['seq', 'recordedAt', 'action', 'outcome', 'resource', 'nhsNumbers', 'userId', 'roleCode', 'odsCode', 'appName', 'requestId', 'hash'] as const;

export function auditCsv(records: readonly ChainedRecord[]): string {
  return toCsv([...CSV_COLUMNS], records.map((r) => CSV_COLUMNS.map((c) => {
    const value = r[c];
    return Array.isArray(value) ? value.join(' ') : value === null || value === undefined ? '' : String(value);
  })));
}

/** How long a whole-chain check holds: a view after that has the whole chain checked again, in the background. */
export const WHOLE_CHECK_EVERY_MS = 10 * 60 * 1000;

/** The audit page's verdict, and when the whole chain was last checked (undefined: not yet). */
export type ChainWatchVerdict = ChainVerdict & { wholeCheckedAt?: Date };

/**
 * The chain's verdict for the audit page. A view checks only the records added since the last
 * intact verdict of this process (the first view, the whole chain), and views at once share one
 * check: verifying the whole trail on every view read every record each time, a scan that grows
 * without end. A record altered after it was checked would then never be found, so a view also
 * starts a check of the whole chain `WHOLE_CHECK_EVERY_MS` after the last one ended; it runs in
 * the background (the view does not wait for it), and a break it finds is shown by every view until
 * a later whole check finds the chain intact. `openspine audit verify` checks the whole chain too.
 */
function chainWatch(ctx: PlatformContext): () => Promise<ChainWatchVerdict> {
  let verified: { head: ChainHead; records: number } | undefined;
  let running: Promise<ChainVerdict> | undefined;
  let wholeRunning: Promise<void> | undefined;
  let wholeCheckedAt: Date | undefined;
  // Measured from the end of the last whole check, so that on a trail that takes long to read the
  // checks do not follow each other without a pause.
  let nextWholeCheck = 0;
  let wholeBreak: ChainVerdict | undefined;
  const wholeChecked = (startedAt: Date, verdict: ChainVerdict) => {
    wholeCheckedAt = startedAt;
    nextWholeCheck = ctx.clock.now().getTime() + WHOLE_CHECK_EVERY_MS;
    wholeBreak = verdict.intact ? undefined : verdict;
  };
  const checkWhole = () => {
    const startedAt = ctx.clock.now();
    wholeRunning ??= verifyAuditChain(ctx.db)
      .then((verdict) => wholeChecked(startedAt, verdict), (err: unknown) => {
        ctx.log.warn({ err }, 'the console could not check the whole audit chain; the next view tries again');
      })
      .finally(() => { wholeRunning = undefined; });
  };
  return async () => {
    const from = verified;
    if (from !== undefined && ctx.clock.now().getTime() >= nextWholeCheck) checkWhole();
    const startedAt = ctx.clock.now();
    running ??= verifyAuditChain(ctx.db, from ? { from } : {})
      .then((verdict) => {
        if (verdict.intact) verified = { head: verdict.head, records: verdict.records };
        if (from === undefined) wholeChecked(startedAt, verdict);
        return verdict;
      })
      .finally(() => { running = undefined; });
    const verdict = await running;
    return { ...(wholeBreak ?? verdict), ...(wholeCheckedAt ? { wholeCheckedAt } : {}) };
  };
}

export async function registerAuditRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const chainVerdict = chainWatch(ctx);
  app.get('/audit', pageRoute('audit', { querystring: AUDIT_QUERY }), async (request, reply) => {
    const query = request.query as AuditQuery;
    const searched = Object.values(query).some((v) => typeof v === 'string' && v.trim() !== '');
    const search = auditSearchOf(query, PAGE_SIZE);
    // Entries committed with their writes are chained first, so the search shows them.
    if (searched) await ctx.audit.chainPending();
    const [result, chain] = await Promise.all([searched ? searchAuditRecords(ctx.db, search) : undefined, chainVerdict()]);
    await auditConsole(ctx, request, {
      action: 'console.audit.search', nhsNumbers: search.nhsNumber ? [search.nhsNumber] : [], detail: { query, found: result?.total ?? 0 },
    });
    const exportUrl = `/console/audit.csv?${new URLSearchParams(Object.entries(query).filter(([, v]) => typeof v === 'string') as Array<[string, string]>).toString()}`;
    return render(request, reply, { template: 'audit.njk', title: 'Audit', page: 'audit', query, searched, result, chain, exportUrl, wholeCheckMinutes: WHOLE_CHECK_EVERY_MS / 60_000 });
  });

  app.get('/audit.csv', pageRoute('audit', { querystring: AUDIT_QUERY }), async (request, reply) => {
    const query = request.query as AuditQuery;
    const search = auditSearchOf(query, EXPORT_LIMIT);
    await ctx.audit.chainPending();
    const result = await searchAuditRecords(ctx.db, search);
    await auditConsole(ctx, request, {
      action: 'console.audit.export', nhsNumbers: search.nhsNumber ? [search.nhsNumber] : [], detail: { query, exported: result.records.length },
    });
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="audit.csv"').send(auditCsv(result.records));
  });
}
