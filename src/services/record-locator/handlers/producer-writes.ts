import { isDeepStrictEqual } from 'node:util';
import { insertPendingAudit } from '../../../platform/audit/store.js';
import type { Queryable } from '../../../platform/db/pool.js';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import type { PlatformContext } from '../../../platform/service.js';
import { timeOrderedUuid } from '../../../platform/uuids.js';
import type { NrlCaller } from '../caller.js';
import { NRL_DIAGNOSTICS, NRL_ERRORS, NRL_RESPONSES, NrlIssuesError, nrlError, type NrlResponse } from '../errors.js';
import { custodianOf, pointerTypeOf, producerIdOf, type DocumentReference } from '../domain/document-reference.js';
import { validatePointer } from '../domain/validate-pointer.js';
import { deletePointers, insertPointer, insertPointerAnnounced, readPointersForUpdate, rowOf, updatePointerResource, type PointerRow } from '../store.js';

/**
 * The producer's writes. Each runs in one transaction with its outbox events: a supersede creates
 * the new pointer and deletes the ones it replaces, or does nothing at all.
 */
export interface WriteOutcome {
  response: NrlResponse;
  id: string;
  nhsNumber: string;
  replaced: string[];
}

/**
 * The write's audit entry for what it is about to write (`stageRouteAudit`'s stored form): it is
 * inserted in the write's own transaction, so the pointer and its entry commit together.
 */
export type WriteAudit = (written: Omit<WriteOutcome, 'response'>) => string;

/** NRL's fields a producer may never change once a pointer exists (spec: updateDocumentReference). */
const IMMUTABLE_FIELDS = ['masterIdentifier', 'id', 'identifier', 'status', 'type', 'subject', 'custodian', 'relatesTo', 'author'] as const;

const SOURCE = 'record-locator';

function assertValid(pointer: DocumentReference) {
  const issues = validatePointer(pointer);
  if (issues.length) throw new NrlIssuesError(issues);
}

function assertCustodianAndType(caller: NrlCaller, pointer: DocumentReference) {
  if (custodianOf(pointer) !== caller.organisation) {
    throw nrlError(NRL_ERRORS.BAD_REQUEST, NRL_DIAGNOSTICS.custodianMismatch, 'custodian.identifier.value');
  }
  if (!caller.pointerTypes.includes(pointerTypeOf(pointer) ?? '')) {
    throw nrlError(NRL_ERRORS.AUTHOR_CREDENTIALS_ERROR, NRL_DIAGNOSTICS.typeNotAllowed, 'type.coding[0].code');
  }
}

/** The pointers `relatesTo` names, checked as NRLF checks them; the ids of those it `replaces`. */
async function pointersToSupersede(tx: Queryable, caller: NrlCaller, pointer: DocumentReference, nhsNumber: string): Promise<string[]> {
  const relations = pointer.relatesTo ?? [];
  if (relations.length === 0) return [];
  const targetIds = relations.map((r) => r.target?.identifier?.value).filter((id): id is string => typeof id === 'string');
  const existing = new Map((await readPointersForUpdate(tx, targetIds)).map((row) => [row.id, row]));
  const replaced: string[] = [];
  relations.forEach((relation, index) => {
    const at = `relatesTo[${index}].target.identifier.value`;
    const id = relation.target?.identifier?.value;
    if (!id) throw nrlError(NRL_ERRORS.BAD_REQUEST, 'No identifier value provided for relatesTo target', at);
    if (producerIdOf(id) !== caller.organisation) {
      throw nrlError(NRL_ERRORS.BAD_REQUEST, 'The relatesTo target identifier value does not include the expected ODS code for this organisation', at);
    }
    const target = existing.get(id);
    if (!target) throw nrlError(NRL_ERRORS.BAD_REQUEST, 'The relatesTo target document does not exist', at);
    if (target.nhsNumber !== nhsNumber) {
      throw nrlError(NRL_ERRORS.BAD_REQUEST, 'The relatesTo target document NHS number does not match the NHS number in the request', at);
    }
    if (target.type !== pointerTypeOf(pointer)) {
      throw nrlError(NRL_ERRORS.BAD_REQUEST, 'The relatesTo target document type does not match the type in the request', at);
    }
    if (relation.code === 'replaces' && !replaced.includes(id)) replaced.push(id);
  });
  return replaced;
}

const eventPayload = (row: PointerRow, extra: Record<string, unknown> = {}) =>
  ({ id: row.id, type: row.type, category: row.category, custodian: row.custodian, ...extra });

/**
 * `POST /DocumentReference` (the server assigns `{ODS}-{uuid}`) and `PUT /DocumentReference`
 * (upsert: the producer chose the id, which must carry its ODS code).
 */
export async function createPointer(ctx: PlatformContext, caller: NrlCaller, body: DocumentReference, idChosenBy: 'server' | 'producer', audit: WriteAudit): Promise<WriteOutcome> {
  // A time-ordered UUID (version 7): one producer's new ids follow each other in the id and
  // custodian indexes, so a create adds to the page the last one did instead of a random page of
  // each (fewer pages read and first-changed after a checkpoint: bench/README.md). The spec asks
  // only for a UUID; the time in it is about the pointer's `date`, which consumers see anyway.
  const pointer: DocumentReference = idChosenBy === 'server' ? { ...body, id: `${caller.organisation}-${timeOrderedUuid()}` } : { ...body };
  assertValid(pointer);
  const id = pointer.id!;
  if (idChosenBy === 'producer' && producerIdOf(id) !== caller.organisation) {
    throw nrlError(NRL_ERRORS.BAD_REQUEST, NRL_DIAGNOSTICS.idNotOwnOrganisation);
  }
  assertCustodianAndType(caller, pointer);
  // NRLF stamps both: `date` is when the pointer was created in NRL, not a producer's claim.
  const now = ctx.clock.now().toISOString();
  pointer.date = now;
  pointer.meta = { ...(pointer.meta ?? {}), lastUpdated: now };
  const row = rowOf(pointer, id);

  if (!pointer.relatesTo?.length) {
    // The common case, a plain create: the pointer, its event and its entry in one statement, no transaction to open.
    const entry = audit({ id, nhsNumber: row.nhsNumber, replaced: [] });
    const created = await insertPointerAnnounced(ctx.db, row, { type: 'nrl-pointer-created', source: SOURCE, payload: eventPayload(row) }, entry);
    if (!created) throw nrlError(NRL_ERRORS.DUPLICATE_REJECTED, NRL_DIAGNOSTICS.duplicate(id));
    return { response: NRL_RESPONSES.RESOURCE_CREATED, id, nhsNumber: row.nhsNumber, replaced: [] };
  }
  const replaced = await ctx.db.tx(async (tx) => {
    const supersedes = await pointersToSupersede(tx, caller, pointer, row.nhsNumber);
    if (!(await insertPointer(tx, row))) throw nrlError(NRL_ERRORS.DUPLICATE_REJECTED, NRL_DIAGNOSTICS.duplicate(id));
    const deleted = supersedes.length ? await deletePointers(tx, supersedes) : [];
    await enqueueEvent(tx, {
      type: deleted.length ? 'nrl-pointer-superseded' : 'nrl-pointer-created',
      source: SOURCE,
      nhsNumber: row.nhsNumber,
      payload: eventPayload(row, deleted.length ? { replaces: deleted } : {}),
    });
    await insertPendingAudit(tx, [audit({ id, nhsNumber: row.nhsNumber, replaced: deleted })]);
    return deleted;
  });
  return { response: replaced.length ? NRL_RESPONSES.RESOURCE_SUPERSEDED : NRL_RESPONSES.RESOURCE_CREATED, id, nhsNumber: row.nhsNumber, replaced };
}

/** `PUT /DocumentReference/{id}`: everything but NRL's immutable fields may change; `date` is kept. */
export async function updatePointer(ctx: PlatformContext, caller: NrlCaller, pathId: string, body: DocumentReference, audit: WriteAudit): Promise<WriteOutcome> {
  if (body.id !== pathId) throw nrlError(NRL_ERRORS.BAD_REQUEST, NRL_DIAGNOSTICS.pathBodyIdMismatch);
  assertValid(body);
  if (producerIdOf(pathId) !== caller.organisation) {
    throw nrlError(NRL_ERRORS.AUTHOR_CREDENTIALS_ERROR, NRL_DIAGNOSTICS.idNotOwnOrganisation);
  }
  return ctx.db.tx(async (tx) => {
    const [existing] = await readPointersForUpdate(tx, [pathId]);
    if (!existing) throw nrlError(NRL_ERRORS.NO_RECORD_FOUND, NRL_DIAGNOSTICS.notFound);
    for (const field of IMMUTABLE_FIELDS) {
      if (!isDeepStrictEqual(body[field], existing.resource[field])) {
        throw nrlError(NRL_ERRORS.BAD_REQUEST, NRL_DIAGNOSTICS.immutableField(field), field);
      }
    }
    assertCustodianAndType(caller, body);
    const updated: DocumentReference = {
      ...body,
      date: existing.resource.date,
      meta: { ...(body.meta ?? {}), lastUpdated: ctx.clock.now().toISOString() },
    };
    if (updated.date === undefined) delete updated.date;
    const row = rowOf(updated, pathId);
    await updatePointerResource(tx, row);
    await enqueueEvent(tx, { type: 'nrl-pointer-updated', source: SOURCE, nhsNumber: row.nhsNumber, payload: eventPayload(row) });
    await insertPendingAudit(tx, [audit({ id: pathId, nhsNumber: row.nhsNumber, replaced: [] })]);
    return { response: NRL_RESPONSES.RESOURCE_UPDATED, id: pathId, nhsNumber: row.nhsNumber, replaced: [] };
  });
}

/** `DELETE /DocumentReference/{id}` of one of the producer's own pointers, of a type it may write. */
export async function deletePointer(ctx: PlatformContext, caller: NrlCaller, id: string, audit: WriteAudit): Promise<WriteOutcome> {
  if (producerIdOf(id) !== caller.organisation) {
    throw nrlError(NRL_ERRORS.AUTHOR_CREDENTIALS_ERROR, NRL_DIAGNOSTICS.deleteOtherOrganisation);
  }
  return ctx.db.tx(async (tx) => {
    const [existing] = await readPointersForUpdate(tx, [id]);
    if (!existing) throw nrlError(NRL_ERRORS.NO_RECORD_FOUND, NRL_DIAGNOSTICS.notFound);
    if (!caller.pointerTypes.includes(existing.type)) {
      throw nrlError(NRL_ERRORS.AUTHOR_CREDENTIALS_ERROR, 'The type of the requested DocumentReference is not in the list of allowed types for this organisation');
    }
    await deletePointers(tx, [id]);
    await enqueueEvent(tx, { type: 'nrl-pointer-deleted', source: SOURCE, nhsNumber: existing.nhsNumber, payload: eventPayload(existing) });
    await insertPendingAudit(tx, [audit({ id, nhsNumber: existing.nhsNumber, replaced: [] })]);
    return { response: NRL_RESPONSES.RESOURCE_DELETED, id, nhsNumber: existing.nhsNumber, replaced: [] };
  });
}
