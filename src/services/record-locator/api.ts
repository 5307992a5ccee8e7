import type { Queryable } from '../../platform/db/pool.js';
import { parseAppId, parseOrganisation, parsePointerTypes, type Parsed } from './domain/permissions.js';
import { deletePermission, listPermissions, pointerPage, searchPointers, setPermission, type Permission } from './store.js';
import { RECORD_TYPES } from './domain/record-types.js';
import type { DocumentReference } from './domain/document-reference.js';

/** What the record locator offers the rest of the code (the CLI): its permission store, validated. */
export type { Permission } from './store.js';

function valueOf<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(`${parsed.field}: ${parsed.problem}`);
  return parsed.value;
}

/** Sets the pointer types `appId` may produce and consume for `organisation` (ODS or ODS.extension). */
export async function setPointerTypes(db: Queryable, appId: string, organisation: string, pointerTypes: unknown): Promise<Permission> {
  const permission = { appId: valueOf(parseAppId(appId)), organisation: valueOf(parseOrganisation(organisation)), pointerTypes: valueOf(parsePointerTypes(pointerTypes)) };
  await setPermission(db, permission);
  return permission;
}

export async function removePointerTypes(db: Queryable, appId: string, organisation: string): Promise<boolean> {
  return deletePermission(db, valueOf(parseAppId(appId)), valueOf(parseOrganisation(organisation)));
}

export async function listPointerTypes(db: Queryable, appId?: string): Promise<Permission[]> {
  return listPermissions(db, appId === undefined ? undefined : valueOf(parseAppId(appId)));
}

/** Bulk export: a page of pointers (JSON text) after `after` in (NHS number, id) order; `since`: changed after then. */
export function exportPointerPage(db: Queryable, after: { nhsNumber: string; id: string }, limit: number, since?: Date) {
  return pointerPage(db, after, limit, since);
}

/** Every pointer type NRL knows (SNOMED CT system|code) with its display name. */
export function pointerTypes(): Array<{ type: string; display: string }> {
  return [...RECORD_TYPES].map(([type, display]) => ({ type, display }));
}

/** A patient's pointers of every type (the console's view), up to `limit`, and how many there are. Not audited: the caller audits. */
export async function pointersForPatient(db: Queryable, nhsNumber: string, limit: number): Promise<{ total: number; pointers: DocumentReference[] }> {
  const { total, rows } = await searchPointers(db, { nhsNumber, types: [...RECORD_TYPES.keys()], limit });
  return { total, pointers: rows.map((r) => JSON.parse(r.json) as DocumentReference) };
}
