import { SpineError } from '../../../platform/http/errors.js';
import { PDS_ERRORS } from '../errors.js';
import type { Patient } from '../fhir-types.js';
import type { PatchOperation } from './patch-operations.js';

const invalidUpdate = (reason: string) => new SpineError(PDS_ERRORS.INVALID_UPDATE, `Invalid update with error - ${reason}`);

/** The list item a path is inside (`/address/0/line/1` → address, 0), if it names one by index. */
function listItemOf(path: string): { field: string; index: string; rest: string[] } | undefined {
  const [field, index, ...rest] = path.split('/').slice(1);
  if (field === undefined || index === undefined || !/^[0-9]+$/.test(index)) return undefined;
  return { field, index, rest };
}

/**
 * The id (an extension's url) a request gives for `/field/index`: an `add`, `replace` or `test` of
 * `/field/index/id`, a `test` of the whole item, or a `replace` of the whole item carrying it. PDS
 * spec ("Replacing"): `{ "op": "replace", "path": "/name/0/id", "value": "123" }` before the changes
 * is the documented way to name the item, as `add` and `test` are.
 */
function identityGiven(ops: readonly PatchOperation[], field: string, index: string, key: string): { value: unknown; byTest: boolean } | undefined {
  const item = `/${field}/${index}`;
  for (const o of ops) {
    const byTest = o.op === 'test';
    if (o.path === `${item}/${key}` && o.op !== 'remove') return { value: o.value, byTest };
    if (o.path === item && (byTest || o.op === 'replace') && o.value !== null && typeof o.value === 'object' && key in o.value) {
      return { value: (o.value as Record<string, unknown>)[key], byTest };
    }
  }
  return undefined;
}

/**
 * PDS spec: a patch that changes an existing list item (a name, address, telecom, …) must name
 * the item by its `id` (an extension by its `url`) in the same request, so a patch written against
 * an old ordering of the list cannot hit the wrong item. In PDS's order and words (its published
 * test suites, for patients 5900046192 and 5900059073): no id given → "no id or url found for path
 * with root /address/0"; no such item → "Invalid patch - index '0' is out of bounds"; another
 * item's id → "no 'address' resources with object id '123456'". A `test` of a wrong id is left to
 * fail as a test.
 */
export function checkItemsIdentified(current: Patient, ops: readonly PatchOperation[]): void {
  for (const op of ops) {
    const at = listItemOf(op.path);
    if (!at || op.op === 'test') continue;
    const list = current[at.field];
    if (list !== undefined && !Array.isArray(list)) continue;
    const item = list?.[Number(at.index)] as { id?: unknown; url?: unknown } | undefined;
    const key = at.field === 'extension' ? 'url' : 'id';
    // An item stored without an id (or url) has nothing to be named by.
    if (item !== undefined && (item === null || typeof item !== 'object' || item[key] === undefined)) continue;
    const given = identityGiven(ops, at.field, at.index, key);
    if (!given) throw invalidUpdate(`no id or url found for path with root /${at.field}/${at.index}`);
    if (item === undefined) throw invalidUpdate(`Invalid patch - index '${at.index}' is out of bounds`);
    if (given.value !== item[key] && !given.byTest) throw invalidUpdate(`no '${at.field}' resources with object id '${String(given.value)}'`);
  }
}
