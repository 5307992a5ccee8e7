import fastJsonPatch from 'fast-json-patch';
import { SpineError } from '../../../platform/http/errors.js';
import { PDS_ERRORS } from '../errors.js';
import type { Patient } from '../fhir-types.js';
import { checkPatchOperations, type PatchOperation } from './patch-operations.js';
import { checkPatchedRecord } from './patient-rules.js';
import { checkItemsIdentified } from './item-identity.js';

/**
 * Applies a PDS PATCH all-or-nothing: checks the operations, applies them to a copy (a failed
 * `test` or an unresolvable path rejects the whole request), then checks the resulting record.
 */
export function applyPatientPatch(current: Patient, ops: readonly PatchOperation[], today: string): Patient {
  checkPatchOperations(ops);
  checkItemsIdentified(current, ops);
  let patched: Patient;
  try {
    patched = fastJsonPatch.applyPatch(current, ops as fastJsonPatch.Operation[], true, false).newDocument;
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    const reason = name === 'TEST_OPERATION_FAILED'
      ? `test of '${(err as { operation?: PatchOperation }).operation?.path ?? ''}' failed`
      : (err as Error).message.split('\n')[0];
    throw new SpineError(PDS_ERRORS.INVALID_UPDATE, `Invalid update with error - ${reason}`);
  }
  checkPatchedRecord(current, patched, today);
  return patched;
}
