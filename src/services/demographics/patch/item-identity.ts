import { SpineError } from '../../../platform/http/errors.js';
import { PDS_ERRORS } from '../errors.js';
import type { Patient } from '../fhir-types.js';
import type { PatchOperation } from './patch-operations.js';

/**
 * PDS spec: a patch that changes an existing list item (a name, address, telecom, …) must name
 * the item by its `id` (an extension by its `url`), by an `add` or `test` of that field in the
 * same request, so a patch written against an old ordering of the list cannot hit the wrong item.
 */
export function checkItemsIdentified(current: Patient, ops: readonly PatchOperation[]): void {
  for (const op of ops) {
    const [field, index, ...rest] = op.path.split('/').slice(1);
    if (field === undefined || index === undefined || !/^[0-9]+$/.test(index)) continue;
    if (op.op === 'test' || (rest.length === 1 && (rest[0] === 'id' || rest[0] === 'url'))) continue;
    const list = current[field];
    if (!Array.isArray(list)) continue;
    const item = list[Number(index)] as { id?: unknown; url?: unknown } | undefined;
    if (!item || typeof item !== 'object') continue;
    const key = field === 'extension' ? 'url' : 'id';
    const identity = item[key];
    if (identity === undefined) continue;
    const named = ops.some((o) => (o.op === 'add' || o.op === 'test') && o.path === `/${field}/${index}/${key}` && o.value === identity)
      || ops.some((o) => o.op === 'test' && o.path === `/${field}/${index}` && (o.value as { [k: string]: unknown } | null)?.[key] === identity);
    if (!named) {
      throw new SpineError(PDS_ERRORS.INVALID_UPDATE,
        `Invalid update with error - update to '${op.path}' must identify '/${field}/${index}' by its ${key} ('${String(identity)}')`);
    }
  }
}
