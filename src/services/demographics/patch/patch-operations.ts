import { SpineError } from '../../../platform/http/errors.js';
import { PDS_ERRORS, diagnostics } from '../errors.js';

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

const OPS = new Set(['add', 'replace', 'remove', 'test']);
/** Top-level Patient fields a PATCH may touch. */
const PATCHABLE_FIELDS = new Set([
  'name', 'gender', 'birthDate', 'deceasedDateTime', 'multipleBirthInteger', 'address', 'telecom', 'contact',
  'generalPractitioner', 'extension', 'managingOrganization',
]);
/** Fields that identify the record: never patched. */
const FIXED_FIELDS = new Set(['resourceType', 'id', 'identifier', 'meta']);
const LISTS = new Set(['name', 'address', 'telecom', 'contact', 'generalPractitioner', 'extension']);

const invalidUpdate = (reason: string) => new SpineError(PDS_ERRORS.INVALID_UPDATE, `Invalid update with error - ${reason}`);

/** The `{"patches": [...]}` body: a non-empty list of well-formed RFC 6902 operations. */
export function parsePatchBody(body: unknown): PatchOperation[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidUpdate('No patches found');
  const patches = (body as { patches?: unknown }).patches;
  if (!Array.isArray(patches) || patches.length === 0) throw new SpineError(PDS_ERRORS.INVALID_UPDATE, diagnostics.noPatches);
  return patches.map((p, i) => {
    if (p === null || typeof p !== 'object') throw invalidUpdate(`patch ${i} is not an object`);
    const { op, path } = p as Record<string, unknown>;
    if (typeof op !== 'string' || !OPS.has(op)) throw invalidUpdate(`patch ${i} has an unsupported op '${String(op)}'`);
    if (typeof path !== 'string' || !path.startsWith('/')) throw invalidUpdate(`patch ${i} has an invalid path '${String(path)}'`);
    if (op !== 'remove' && !('value' in (p as object))) throw invalidUpdate(`patch ${i} ('${op}' of '${path}') has no value`);
    return p as PatchOperation;
  });
}

const segments = (path: string) => path.split('/').slice(1);

/**
 * PDS rules on the operations themselves, before they are applied: known fields only, the
 * identifying fields never; a new list item goes to `/list/-`; a remove from a list is immediately
 * preceded by a test of the same item (its id, its url or the whole object).
 */
export function checkPatchOperations(ops: readonly PatchOperation[]): void {
  ops.forEach((op, i) => {
    const [field = '', index] = segments(op.path);
    if (FIXED_FIELDS.has(field)) throw new SpineError(PDS_ERRORS.FORBIDDEN_UPDATE, `Invalid update with error - '${op.path}' cannot be updated`);
    // PDS spec, PATCH's error example: a field PDS does not update is "Update unsupported for resource".
    if (!PATCHABLE_FIELDS.has(field)) throw invalidUpdate(`Update unsupported for resource - '${field}'`);
    if (op.op === 'add' && LISTS.has(field) && index !== undefined && index !== '-' && segments(op.path).length === 2) {
      throw invalidUpdate(`a new item must be added at '/${field}/-', not '${op.path}'`);
    }
    // PDS spec ("Removal"): a test must precede the removal of a list item (or of part of one);
    // a single field such as `/gender` is removed by a bare `remove`, as the spec's delete-gender example.
    if (op.op === 'remove' && LISTS.has(field)) checkRemovePrecededByTest(ops, i);
  });
}

function checkRemovePrecededByTest(ops: readonly PatchOperation[], i: number): void {
  const remove = ops[i]!;
  const previous = ops[i - 1];
  const preceding = previous === undefined ? 'the first item' : `'${previous.op}' of '${previous.path}'`;
  const fail = () => invalidUpdate(`removal '${remove.path}' is not immediately preceded by equivalent test - instead it is ${preceding}`);
  if (!previous || previous.op !== 'test') throw fail();
  const parts = segments(remove.path);
  // The item being removed from, e.g. /name/1 for /name/1/suffix/0.
  const item = LISTS.has(parts[0]!) && parts.length >= 2 ? `/${parts[0]}/${parts[1]}` : remove.path;
  const equivalent = [remove.path, `${item}/id`, `${item}/url`, item];
  if (!equivalent.includes(previous.path)) throw fail();
}
