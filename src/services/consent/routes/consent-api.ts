import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SpineError } from '../../../platform/http/errors.js';
import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import type { PlatformContext } from '../../../platform/service.js';
import { NDOP_ERRORS } from '../errors.js';
import { PATIENT_BASE, type ConsentBody } from '../domain/consent-profile.js';
import { consentMatches, parseTokens, type Token } from '../domain/search-tokens.js';
import { createConsent, updateConsent } from '../handlers/consent-writes.js';
import { findConsentById, findConsentsOfPatient, findVersion, findVersionsOfPatient } from '../store.js';
import { isUuid } from '../../../platform/uuids.js';
import { clipForDiagnostics as clip } from '../../../platform/http/validation-failure.js';
import {
  CONSENT_BODY, CONSENT_CREATE_BODY, CONSENT_HISTORY_QUERY, CONSENT_ID_PARAMS, CONSENT_SEARCH_QUERY, CONSENT_VREAD_PARAMS, FORMAT_QUERY,
} from '../schemas.js';
import { sendNdop } from './scope.js';
import { ndopCapabilityStatement } from './capability.js';

/** `/consent/STU3`: NDOP's Consent API (build_consent_restful.md), readable by privacy officers too. */

/** `patient=https://demographics.spineservices.nhs.uk/STU3/Patient/{NHS number}`, as the spec searches. */
function patientParameter(value: string): string {
  if (!value.startsWith(PATIENT_BASE)) {
    throw new SpineError(NDOP_ERRORS.INVALID_PARAMETER, `Invalid value - '${clip(value)}' in parameter 'patient': expected ${PATIENT_BASE}{NHS number}`);
  }
  const nhsNumber = value.slice(PATIENT_BASE.length);
  if (!isValidNhsNumber(nhsNumber)) throw new SpineError(NDOP_ERRORS.INVALID_NHS_NUMBER, `Invalid NHS number - '${clip(nhsNumber)}' in parameter 'patient'`);
  return nhsNumber;
}

/** `purpose` or `category`, a FHIR token parameter: its alternatives, none when it is not given. */
function tokenParameter(name: string, value: string | undefined): Token[] | undefined {
  if (value === undefined) return undefined;
  const tokens = parseTokens(value);
  if (!tokens) {
    throw new SpineError(NDOP_ERRORS.INVALID_PARAMETER, `Invalid value - '${clip(value)}' in parameter '${name}': expected a token (code, system|code, |code or system|)`);
  }
  return tokens;
}

export async function consentApiRoutes(app: FastifyInstance, ctx: PlatformContext) {
  // Read per request: with port 0 the public URL is known only once the server listens.
  const base = () => `${ctx.config.publicBaseUrl}/consent/STU3`;
  const fullUrl = (id: string) => `${base()}/Consent/${id}`;
  const selfUrl = (request: FastifyRequest) => `${ctx.config.publicBaseUrl}${request.url}`;
  const bundle = (type: 'searchset' | 'history', request: FastifyRequest, entries: Array<{ fullUrl: string; resource: unknown; search?: unknown }>) => ({
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: ctx.clock.now().toISOString() },
    type,
    total: entries.length,
    link: [{ relation: 'self', url: selfUrl(request) }],
    ...(entries.length > 0 ? { entry: entries } : {}),
  });
  // The platform writes the entry (config.audit) before the answer goes out; the handler says what it touched.
  const audit = (request: FastifyRequest, action: string, resource: string, nhsNumbers: string[], detail?: Record<string, unknown>) => {
    request.audited = { action, resource, nhsNumbers, ...(detail ? { detail } : {}) };
  };
  /**
   * Unlike NHS England's write-only API, a patient signed in with NHS login reads their own opt-out:
   * only their own NHS number; anyone else's is refused (403, audited as denied).
   */
  const assertMayRead = (request: FastifyRequest, nhsNumber: string, resource: string) => {
    const principal = request.principal;
    if (principal?.accessMode !== 'patient' || principal.nhsNumber === nhsNumber) return;
    request.audited = { action: 'consent.read', resource, nhsNumbers: [nhsNumber], outcome: 'denied', detail: { reason: 'not the patient\'s own opt-out' } };
    throw new SpineError(NDOP_ERRORS.ACCESS_DENIED, 'A patient may read their own opt-out only');
  };
  const location = (id: string, versionId: string) => ({ location: fullUrl(id), etag: `W/"${versionId}"` });

  app.get('/metadata', { schema: { querystring: FORMAT_QUERY }, config: { public: true } },
    async (_request, reply) => sendNdop(reply, 200, ndopCapabilityStatement(base(), ctx.clock.now())));

  app.get<{ Querystring: { patient?: string; _id?: string; purpose?: string; category?: string } }>('/Consent', {
    schema: { querystring: CONSENT_SEARCH_QUERY }, config: { activity: 'consent:read', audit: { action: 'consent.read' } },
  }, async (request, reply) => {
    const { patient, _id: id } = request.query;
    const filters = { purpose: tokenParameter('purpose', request.query.purpose), category: tokenParameter('category', request.query.category) };
    if (patient === undefined) {
      if (id === undefined) throw new SpineError(NDOP_ERRORS.INVALID_PARAMETER, "Search needs the 'patient' parameter (or '_id')");
      const byId = await findConsentById(ctx.db, id);
      if (byId) assertMayRead(request, byId.nhsNumber, 'Consent');
      const found = byId && consentMatches(byId.resource, filters) ? byId : undefined;
      await audit(request, 'consent.search', 'Consent', found ? [found.nhsNumber] : [], { id, total: found ? 1 : 0 });
      return sendNdop(reply, 200, bundle('searchset', request, found ? [{ fullUrl: fullUrl(found.id), resource: found.resource, search: { mode: 'match' } }] : []));
    }
    const nhsNumber = patientParameter(patient);
    assertMayRead(request, nhsNumber, 'Consent');
    if (id !== undefined && !isUuid(id)) throw new SpineError(NDOP_ERRORS.INVALID_PARAMETER, `Invalid value - '${clip(id)}' in parameter '_id': a Consent id is a UUID`);
    const found = (await findConsentsOfPatient(ctx.db, nhsNumber, id)).filter((c) => consentMatches(c.resource, filters));
    await audit(request, 'consent.search', 'Consent', [nhsNumber], { total: found.length });
    return sendNdop(reply, 200, bundle('searchset', request, found.map((c) => ({ fullUrl: fullUrl(c.id), resource: c.resource, search: { mode: 'match' } }))));
  });

  app.get<{ Querystring: { patient: string; versionId?: string } }>('/Consent/_history', {
    schema: { querystring: CONSENT_HISTORY_QUERY }, config: { activity: 'consent:read', audit: { action: 'consent.read' } },
  }, async (request, reply) => {
    const nhsNumber = patientParameter(request.query.patient);
    assertMayRead(request, nhsNumber, 'Consent');
    const versions = await findVersionsOfPatient(ctx.db, nhsNumber, request.query.versionId);
    await audit(request, 'consent.history', 'Consent', [nhsNumber], { total: versions.length });
    return sendNdop(reply, 200, bundle('history', request, versions.map((v) => ({ fullUrl: fullUrl(v.id), resource: v.resource }))));
  });

  app.get<{ Params: { id: string } }>('/Consent/:id', {
    schema: { params: CONSENT_ID_PARAMS, querystring: FORMAT_QUERY }, config: { activity: 'consent:read', audit: { action: 'consent.read' } },
  }, async (request, reply) => {
    const found = await findConsentById(ctx.db, request.params.id);
    if (!found) throw new SpineError(NDOP_ERRORS.NO_RECORD_FOUND, `No Consent with id ${request.params.id}`);
    assertMayRead(request, found.nhsNumber, `Consent/${found.id}`);
    await audit(request, 'consent.read', `Consent/${found.id}`, [found.nhsNumber]);
    return sendNdop(reply.headers({ etag: `W/"${found.versionId}"` }), 200, found.resource);
  });

  app.get<{ Params: { id: string; vid: string } }>('/Consent/:id/_history/:vid', {
    schema: { params: CONSENT_VREAD_PARAMS, querystring: FORMAT_QUERY }, config: { activity: 'consent:read', audit: { action: 'consent.read' } },
  }, async (request, reply) => {
    const found = await findVersion(ctx.db, request.params.id, request.params.vid);
    if (!found) throw new SpineError(NDOP_ERRORS.NO_RECORD_FOUND, `No version ${request.params.vid} of Consent ${request.params.id}`);
    assertMayRead(request, found.nhsNumber, `Consent/${found.id}/_history/${found.versionId}`);
    await audit(request, 'consent.vread', `Consent/${found.id}/_history/${found.versionId}`, [found.nhsNumber]);
    return sendNdop(reply.headers({ etag: `W/"${found.versionId}"` }), 200, found.resource);
  });

  app.post<{ Body: ConsentBody }>('/Consent', {
    schema: { body: CONSENT_CREATE_BODY, querystring: FORMAT_QUERY }, config: { activity: 'consent:write', audit: { action: 'consent.write' } },
  }, async (request, reply) => {
    const { row, optOut } = await createConsent(ctx, request.body, request.principal);
    await audit(request, 'consent.create', `Consent/${row.id}`, [row.nhsNumber],
      { versionId: row.versionId, status: optOut.status, effectiveFrom: optOut.effectiveFrom.toISOString(), source: optOut.source });
    return sendNdop(reply.headers(location(row.id, row.versionId)), 201, row.resource);
  });

  app.put<{ Params: { id: string }; Body: ConsentBody }>('/Consent/:id', {
    schema: { params: CONSENT_ID_PARAMS, body: CONSENT_BODY, querystring: FORMAT_QUERY }, config: { activity: 'consent:write', audit: { action: 'consent.write' }, checkOrder: ['params', 'body', 'querystring'] },
  }, async (request, reply) => {
    const { row, optOut } = await updateConsent(ctx, request.params.id, request.body, request.principal);
    await audit(request, 'consent.update', `Consent/${row.id}`, [row.nhsNumber],
      { versionId: row.versionId, status: optOut.status, effectiveFrom: optOut.effectiveFrom.toISOString(), source: optOut.source });
    return sendNdop(reply.headers(location(row.id, row.versionId)), 200, row.resource);
  });
}
