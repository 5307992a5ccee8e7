import type { Db } from '../../platform/db/pool.js';
import { exportPatientPage } from '../demographics/api.js';
import { exportPointerPage } from '../record-locator/api.js';
import { exportPrescriptionPage } from '../prescriptions/api.js';
import { optedOutPatients } from '../consent/api.js';
import { NdjsonFileWriter } from './ndjson-files.js';
import type { ExportType } from './kickoff-params.js';
import { deleteSegments, type ExportFile, type ExportJob } from './store.js';

/**
 * One export job's data: each asked-for type read from its service's `api.ts` in keyset pages, the
 * patients with a national data opt-out in effect at the job's transaction time removed (a page
 * at a time, through consent's `api.ts`), the rest written as ndjson segments. Pages are sized by
 * bytes: the next page asks for as many rows as fit in PAGE_BYTES at the sizes seen so far, so a
 * page of large records holds fewer of them. After every page `beat` is told the counts so far
 * (the lease is renewed there) and throws to stop the export. The job's state (lease, completion,
 * audit) is the runner's (`worker.ts`); this runs in a thread of its own (`export-thread.ts`).
 */
const PAGE_BYTES = 1024 * 1024;
const FIRST_PAGE_ROWS = 200;
const MAX_PAGE_ROWS = 5_000;
export const LEASE_MS = 60_000;

/** The export was told to stop at a heartbeat: cancelled by its client, or its process is shutting down. */
export class ExportStopped extends Error {}

interface SourceRow { nhsNumber: string; json: string; key: string }
type Source = (after: string, limit: number, since?: Date) => Promise<SourceRow[]>;

function sources(db: Db): Record<ExportType, { start: string; page: Source }> {
  return {
    Patient: {
      start: '',
      page: async (after, limit, since) => (await exportPatientPage(db, after, limit, since)).map((r) => ({ ...r, key: r.nhsNumber })),
    },
    DocumentReference: {
      start: '\u0000',
      page: async (after, limit, since) => {
        const [nhsNumber, id] = after === '\u0000' ? ['', ''] : after.split('\u0000') as [string, string];
        return (await exportPointerPage(db, { nhsNumber, id }, limit, since)).map((r) => ({ nhsNumber: r.nhsNumber, json: r.json, key: `${r.nhsNumber}\u0000${r.id}` }));
      },
    },
    MedicationRequest: {
      // A page is `limit` prescriptions, each one line per item (MedicationRequest).
      start: '\u0000',
      page: async (after, limit, since) => {
        const [nhsNumber, shortFormId] = after === '\u0000' ? ['', ''] : after.split('\u0000') as [string, string];
        return (await exportPrescriptionPage(db, { nhsNumber, shortFormId }, limit, since))
          .map((r) => ({ nhsNumber: r.nhsNumber, json: r.json, key: `${r.nhsNumber}\u0000${r.shortFormId}` }));
      },
    },
  };
}

export interface ExportCounts {
  [counter: string]: number;
}

export interface ExportResult {
  files: ExportFile[];
  counts: ExportCounts;
}

export async function runExport(db: Db, job: ExportJob, beat: (counts: ExportCounts) => Promise<void>): Promise<ExportResult> {
  // A job taken over from a process that died starts again from nothing.
  await deleteSegments(db, job.id);
  const writer = new NdjsonFileWriter(db, job.id);
  const counts: ExportCounts = {};
  for (const type of job.types as ExportType[]) {
    const source = sources(db)[type];
    counts[type] = 0;
    counts[`${type}OptedOut`] = 0;
    let after = source.start;
    let limit = FIRST_PAGE_ROWS;
    for (;;) {
      const asked = limit;
      const rows = await source.page(after, asked, job.since);
      if (rows.length === 0) break;
      const optedOut = await optedOutPatients(db, [...new Set(rows.map((r) => r.nhsNumber))], job.transactionTime);
      let bytes = 0;
      for (const row of rows) {
        bytes += row.json.length;
        if (optedOut.has(row.nhsNumber)) counts[`${type}OptedOut`]! += 1;
        else {
          await writer.write(type, row.json);
          counts[type]! += 1;
        }
      }
      after = rows[rows.length - 1]!.key;
      limit = Math.max(10, Math.min(MAX_PAGE_ROWS, Math.floor(PAGE_BYTES / Math.max(1, bytes / rows.length))));
      await beat(counts);
      if (rows.length < asked) break;
    }
    await writer.closeFile();
  }
  return { files: writer.files, counts };
}
