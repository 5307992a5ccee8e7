import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { EpsCaller } from '../caller.js';
import { EPS_ERRORS, epsError } from '../errors.js';
import { SYSTEMS, type Json } from '../domain/fhir.js';
import { shortFormIdProblem } from '../domain/prescription-id.js';
import { stateAt } from '../domain/lifecycle.js';
import { issuesVisibleTo, type TrackedIssues } from '../domain/tracking-access.js';
import { trackingBundle, type CutShort, type TrackedPrescription } from '../domain/responses.js';
import { countPrescriptionsOfPatient, historiesOf, prescriptionsOfPatient, readPrescription, type PrescriptionRow } from '../store.js';

/**
 * Tracking (`GET Task`): a prescription's status and history, by the prescription
 * (`focus:identifier` or `identifier`, its short-form id) or by the patient (`patient:identifier`
 * or `patient`, an NHS number, optionally `system|value`). Who may see it: the prescribing
 * organisation, the pharmacy holding it, or (user-restricted, the patient's own record) anyone the
 * platform let in with `prescription:track` in sandbox mode.
 */
const PATIENT_PARAMS = ['patient:identifier', 'patient'];
const PRESCRIPTION_PARAMS = ['focus:identifier', 'identifier'];
const QUERY_ERROR = 'Query parameter must be one of: identifier, focus:identifier, patient:identifier.';

/**
 * A token's value (`value`, or `system|value` with the parameter's own system). One naming another
 * system (or none: `|value`) is an identifier no prescription or patient has, so it finds nothing, as
 * FHIR's token search says: its value was read whatever the system, so an NHS number given as a
 * prescription id's system found the patient's prescriptions (found by probing).
 */
function valueOfToken(raw: string, system: string): string | undefined {
  const bar = raw.indexOf('|');
  if (bar < 0) return raw;
  return raw.slice(0, bar) === system ? raw.slice(bar + 1) : undefined;
}
/** A search by patient answers the newest 100 prescriptions the caller may see, and says so when there are more. */
const PATIENT_LIMIT = 100;


export async function trackPrescriptions(ctx: PlatformContext, caller: EpsCaller, query: Record<string, unknown>): Promise<{ bundle: Json; returned: number; nhsNumbers: string[] }> {
  const names = Object.keys(query);
  const given = [...PATIENT_PARAMS, ...PRESCRIPTION_PARAMS].filter((n) => names.includes(n));
  if (given.length !== 1 || names.some((n) => !given.includes(n))) throw epsError(EPS_ERRORS.QUERY_INVALID, QUERY_ERROR);
  const raw = query[given[0]!];
  if (typeof raw !== 'string') throw epsError(EPS_ERRORS.QUERY_INVALID, `${given[0]} must be given once`);
  const byPatient = PATIENT_PARAMS.includes(given[0]!);
  const value = valueOfToken(raw, byPatient ? SYSTEMS.nhsNumber : SYSTEMS.prescriptionOrderNumber);
  let rows: PrescriptionRow[];
  let cut: CutShort | undefined;
  if (value === undefined) {
    rows = [];
  } else if (byPatient) {
    if (!isValidNhsNumber(value)) throw epsError(EPS_ERRORS.INVALID_VALUE, `Invalid NHS number '${value}'`, given[0]);
    const seenBy = caller.sandbox ? undefined : caller.odsCode;
    // One more than are shown: whether the search was cut short, and then how far (the Bundle says so).
    rows = await prescriptionsOfPatient(ctx.db, value, PATIENT_LIMIT + 1, seenBy);
    if (rows.length > PATIENT_LIMIT) {
      rows = rows.slice(0, PATIENT_LIMIT);
      cut = { shown: PATIENT_LIMIT, ...await countPrescriptionsOfPatient(ctx.db, value, seenBy) };
    }
  } else {
    if (shortFormIdProblem(value)) throw epsError(EPS_ERRORS.INVALID_VALUE, `'${value}' is not a valid short-form prescription id`, given[0]);
    const row = await readPrescription(ctx.db, value);
    rows = row ? [row] : [];
  }
  const visible = rows.map((row) => ({ row, issues: caller.sandbox ? 'all' as const : issuesVisibleTo(caller.odsCode, row) }))
    .filter((v): v is { row: PrescriptionRow; issues: Exclude<TrackedIssues, 'none'> } => v.issues !== 'none');
  rows = visible.map((v) => v.row);
  const tracked: TrackedPrescription[] = [];
  const now = ctx.clock.now();
  // Every row is the one patient's (a search by patient) or the one prescription: their histories in one statement.
  const histories = await historiesOf(ctx.db, rows[0]?.nhsNumber ?? '', rows.map((r) => r.shortFormId));
  for (const { row, issues } of visible) {
    // As it stands now: one whose validity has ended is expired, whether or not the sweep has marked it yet.
    const state = stateAt(row.state, ctx.config.sandbox ? undefined : now, row.validUntil);
    tracked.push({
      shortFormId: row.shortFormId, longFormId: row.longFormId, nhsNumber: row.nhsNumber, status: state.status, dispenser: state.dispenser,
      prescriberOds: row.prescriberOds, courseOfTherapy: row.courseOfTherapy, createdAt: row.createdAt, items: state.items,
      ...(row.state.repeat ? { repeat: { issue: row.state.repeat.issue, issues: row.state.repeat.issues } } : {}),
      history: histories.get(row.shortFormId) ?? [],
      ...(issues === 'all' ? {} : { onlyIssues: issues.only }),
    });
  }
  // A search by patient is audited under that patient even when the caller may see none of theirs.
  const searched = byPatient && value !== undefined ? [value] : [];
  const bundle = trackingBundle(tracked, now, cut);
  // The Tasks it holds (not the warning of a search cut short).
  const returned = ((bundle.entry as unknown[] | undefined)?.length ?? 0) - (cut ? 1 : 0);
  return { bundle, returned, nhsNumbers: [...new Set([...searched, ...rows.map((r) => r.nhsNumber)])] };
}
