import fastJsonPatch from 'fast-json-patch';
import { SpineError } from '../../../platform/http/errors.js';
import { conformanceFailure } from '../../../platform/http/validation.js';
import { PDS_ERRORS } from '../errors.js';
import { patientValueError } from '../validation-errors.js';
import type { Patient } from '../fhir-types.js';
import { patientSchema } from '../schemas.js';
import { checkPatchOperations, type PatchOperation } from './patch-operations.js';
import { checkForbiddenChanges, checkPatchedRecord } from './patient-rules.js';
import { checkItemsIdentified } from './item-identity.js';

const invalidUpdate = (reason: string) => new SpineError(PDS_ERRORS.INVALID_UPDATE, `Invalid update with error - ${reason}`);

/** PDS: `add` at `/extension/-` (or `/name/-`, `/telecom/-`, …) starts the list when the record has none. */
function withListsToAddTo(current: Patient, ops: readonly PatchOperation[]): Patient {
  const missing = ops.flatMap((op) => {
    const match = op.op === 'add' ? /^\/([^/]+)\/-$/.exec(op.path) : null;
    return match && current[match[1]!] === undefined ? [match[1]!] : [];
  });
  return missing.length === 0 ? current : { ...current, ...Object.fromEntries(missing.map((field) => [field, []])) };
}

/**
 * PDS spec (`DeceasedDateTime.yaml`): a date of death is held as `yyyy-mm-ddTHH:MM:SS+00:00`; one
 * sent as a date is that day at midnight UTC, one sent without an offset is in UTC.
 */
export function deathInDateTimeForm(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00+00:00`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(value)) return `${value}+00:00`;
  return value;
}

/**
 * Applies a PDS PATCH all-or-nothing: checks the operations, applies them to a copy (a failed
 * `test` or an unresolvable path rejects the whole request), then checks the resulting record
 * against PDS's rules and against `Patient.yaml`: nothing is stored that PDS would not return.
 */
export function applyPatientPatch(current: Patient, ops: readonly PatchOperation[], today: string): Patient {
  checkPatchOperations(ops);
  checkItemsIdentified(current, ops);
  let patched: Patient;
  try {
    patched = fastJsonPatch.applyPatch(withListsToAddTo(current, ops), ops as fastJsonPatch.Operation[], true, false).newDocument;
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    const reason = name === 'TEST_OPERATION_FAILED'
      ? `test of '${(err as { operation?: PatchOperation }).operation?.path ?? ''}' failed`
      : (err as Error).message.split('\n')[0];
    throw invalidUpdate(reason!);
  }
  if (patched.deceasedDateTime !== undefined) patched = { ...patched, deceasedDateTime: deathInDateTimeForm(patched.deceasedDateTime) as string };
  // What PDS forbids outright first, then the shape, so a value of the wrong type is named as
  // such, then PDS's rules on the record.
  checkForbiddenChanges(current, patched);
  const failure = conformanceFailure(patientSchema, patched);
  if (failure) {
    // PDS answers a value it does not accept as it does in a new record: 400 INVALID_VALUE
    // "Invalid value - '…' in field 'deceasedDateTime'" (not INVALID_UPDATE), and so on.
    const { spec, diagnostics } = patientValueError(failure);
    throw new SpineError(spec, diagnostics);
  }
  checkPatchedRecord(current, patched, today);
  return patched;
}
