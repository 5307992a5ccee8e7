import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { SpineError } from '../../../platform/http/errors.js';
import { etagFor } from '../../../platform/fhir/etag.js';
import { searchset } from '../../../platform/fhir/bundle.js';
import { PDS_ERRORS } from '../errors.js';
import { patientHeaders, patientIdParams } from '../schemas.js';
import { readView } from '../views/patient-views.js';
import { relatedPersonsOf, resolvePatient, readPatientRow, type StoredPatientText } from '../store/patient-reads.js';
import { PDS_BASE, fullUrlFor } from './paths.js';

/**
 * The patient a (valid) NHS number leads to, or the PDS error: 404 INVALIDATED_RESOURCE, 404
 * RESOURCE_NOT_FOUND. Failed look-ups are audited too (the route's `config.audit`).
 */
async function findPatientOrThrow(ctx: PlatformContext, request: FastifyRequest, id: string): Promise<StoredPatientText> {
  const row = await resolvePatient(ctx.db.pool, id);
  if (row?.status === 'active') return row;
  const invalidated = row?.status === 'invalidated' || (row === undefined && (await readPatientRow(ctx.db.pool, id))?.status === 'invalidated');
  request.audited = { resource: `Patient/${id}`, nhsNumbers: [id], outcome: 'failure', detail: { reason: invalidated ? 'invalidated' : 'not-found' } };
  throw new SpineError(invalidated ? PDS_ERRORS.INVALIDATED_RESOURCE : PDS_ERRORS.RESOURCE_NOT_FOUND);
}

/** X-Request-ID (a UUID) and the NHS number (400 INVALID_RESOURCE_ID), checked at the door. */
const readSchema = { headers: patientHeaders, params: patientIdParams };

export function registerReadRoutes(app: FastifyInstance, ctx: PlatformContext) {
  app.get<{ Params: { id: string } }>(`${PDS_BASE}/Patient/:id`, { schema: readSchema, config: { activity: 'patient:read', audit: { action: 'patient.read' } } }, async (request, reply) => {
    const { id } = request.params;
    const row = await findPatientOrThrow(ctx, request, id);
    // The stored JSON text is sent as is; only a restricted record is parsed, to strip it.
    const body = row.restricted ? JSON.stringify(readView(JSON.parse(row.json))) : row.json;
    request.audited = { resource: `Patient/${row.nhsNumber}`, nhsNumbers: row.nhsNumber === id ? [id] : [id, row.nhsNumber] };
    return reply.header('ETag', etagFor(row.versionId)).type('application/fhir+json').send(body);
  });

  app.get<{ Params: { id: string } }>(`${PDS_BASE}/Patient/:id/RelatedPerson`, { schema: readSchema, config: { activity: 'patient:read', audit: { action: 'patient.related-person.read' } } }, async (request, reply) => {
    const row = await findPatientOrThrow(ctx, request, request.params.id);
    // PDS spec: "Related people are not returned for a restricted patient and an empty bundle is
    // returned": a next of kin's address is often the patient's own (found by probing: it was returned).
    const related = row.restricted ? [] : await relatedPersonsOf(ctx.db, row.nhsNumber);
    const bundle = searchset(related.map((r) => ({
      fullUrl: fullUrlFor(ctx.config.publicBaseUrl, `Patient/${row.nhsNumber}/RelatedPerson/${r.id}`),
      resource: r.resource,
    })), { now: ctx.clock.now() });
    request.audited = { resource: `Patient/${row.nhsNumber}/RelatedPerson`, nhsNumbers: [row.nhsNumber], detail: { count: related.length } };
    // PDS spec: the RelatedPerson Bundle carries the patient's ETag (its meta.versionId), as a read does.
    return reply.header('ETag', etagFor(row.versionId)).type('application/fhir+json').send(bundle);
  });
}
