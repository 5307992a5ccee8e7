import type { PrescriptionState } from './lifecycle-state.js';

/**
 * Which of a prescription's issues (tracking's Tasks) an organisation may see: all of them for the
 * organisation that prescribed it, the pharmacy it is nominated to and the pharmacy holding it now
 * (the current issue's dispenser); for a pharmacy that dispensed only earlier issues of a repeat
 * prescription, those issues alone: it must be able to follow (and claim) its own issue after
 * another pharmacy takes the next (it saw nothing once it did), and has no business with the
 * current one. None for anyone else. Mirrored in SQL by store.ts `prescriptionsOfPatient` (which
 * prescriptions) and `countPrescriptionsOfPatient` (how many Tasks, for a search cut short).
 */
export type TrackedIssues = 'all' | 'none' | { only: number[] };

export interface Tracked { prescriberOds: string; nominatedPharmacy?: string; state: PrescriptionState }

export function issuesVisibleTo(odsCode: string, row: Tracked): TrackedIssues {
  if (row.prescriberOds === odsCode || row.nominatedPharmacy === odsCode || row.state.dispenser === odsCode) return 'all';
  const own = (row.state.repeat?.earlier ?? []).filter((e) => e.dispenser === odsCode).map((e) => e.issue);
  return own.length > 0 ? { only: own } : 'none';
}
