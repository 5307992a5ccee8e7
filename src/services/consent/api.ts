import type { Queryable } from '../../platform/db/pool.js';
import { findVersionsOfPatient, optedOutAmong } from './store.js';
import { OPT_OUT_SOURCES } from './domain/consent-profile.js';

/**
 * The opt-out, for other services that use patient data for purposes beyond direct care (bulk
 * export): which of these patients have a national data opt-out in effect at `at`.
 */
export function optedOutPatients(db: Queryable, nhsNumbers: readonly string[], at: Date): Promise<Set<string>> {
  return optedOutAmong(db, nhsNumbers, at);
}

/** One version of a patient's opt-out, as a person reading their record is shown it. */
export interface OptOutVersion {
  /** `active`: opted out; `inactive`: the opt-out withdrawn. */
  status: 'active' | 'inactive';
  effectiveFrom: Date;
  recordedAt: Date;
  /** The channel it came through (NDOP-OptOutSource-1 code and display). */
  source: { code: string; display: string };
  /** Who set it: the application and organisation, as the audit trail records the caller. */
  setBy: { appName?: string; odsCode?: string; roleCode?: string; patient: boolean };
}

/** A patient's national data opt-out: whether one is in effect `at`, and every version, newest first. */
export async function optOutOfPatient(db: Queryable, nhsNumber: string, at: Date): Promise<{ optedOut: boolean; versions: OptOutVersion[] }> {
  const [inEffect, versions] = await Promise.all([optedOutAmong(db, [nhsNumber], at), findVersionsOfPatient(db, nhsNumber)]);
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    optedOut: inEffect.has(nhsNumber),
    versions: versions.map((v) => ({
      status: v.status === 'active' ? 'active' : 'inactive',
      effectiveFrom: v.effectiveFrom,
      recordedAt: v.recordedAt,
      source: { code: v.source, display: (OPT_OUT_SOURCES as Record<string, string>)[v.source] ?? v.source },
      setBy: { appName: text(v.setBy.appName), odsCode: text(v.setBy.odsCode), roleCode: text(v.setBy.roleCode), patient: v.setBy.accessMode === 'patient' },
    })),
  };
}
