import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { ErrorSpec } from '../../platform/http/errors.js';
import type { Json } from './domain/fhir.js';

/** EPS's media type: every answer, errors included (spec: `application/fhir+json; fhirVersion=4.0`). */
export const FHIR_JSON = 'application/fhir+json; fhirVersion=4.0';

const lastUpdated = (now: Date) => ({ lastUpdated: now.toISOString().replace(/\.\d{3}Z$/, '+00:00') });
export const fhirInstant = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** The success answer of `$process-message`, Task and Claim (spec: examples/spec/errors/operation-outcome-success.json). */
export const successOutcome = (now: Date): Json =>
  ({ resourceType: 'OperationOutcome', meta: lastUpdated(now), issue: [{ code: 'informational', severity: 'information' }] });

export interface EpsIssue { spec: ErrorSpec; diagnostics?: string; expression?: string[] }

/** An error OperationOutcome as EPS's examples write it: the coding when the error has a code, diagnostics when there are any. */
export function errorOutcome(issue: EpsIssue, now: Date): Json {
  const { spec } = issue;
  return {
    resourceType: 'OperationOutcome',
    meta: lastUpdated(now),
    issue: [{
      severity: spec.severity ?? 'error',
      code: spec.issueCode,
      ...(spec.code ? { details: { coding: [{ system: spec.system, code: spec.code, ...(spec.display ? { display: spec.display } : {}) }] } } : {}),
      ...(issue.diagnostics !== undefined ? { diagnostics: issue.diagnostics } : {}),
      ...(issue.expression ? { expression: issue.expression } : {}),
    }],
  };
}

/** The dispenser holding a prescription, as the directory knows it. */
export interface Dispenser { odsCode: string; name?: string; postcode?: string }

/**
 * PRESCRIPTION_WITH_ANOTHER_DISPENSER as EPS answers it (examples/spec/errors/release/
 * with-another-dispenser-error.json; fhir-dispensing.yaml: "Details of the prescription will be in
 * OperationOutcome.contained.Organization"): the dispenser holding it contained, pointed to by
 * Extension-Spine-supportingInfo, and no diagnostics.
 */
export function withAnotherDispenserOutcome(spec: ErrorSpec, dispenser: Dispenser, now: Date): Json {
  const id = randomUUID();
  return {
    ...errorOutcome({ spec }, now),
    contained: [{
      resourceType: 'Organization',
      id,
      identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: dispenser.odsCode }],
      ...(dispenser.name ? { name: dispenser.name } : {}),
      ...(dispenser.postcode ? { address: [{ use: 'work', postalCode: dispenser.postcode }] } : {}),
    }],
    extension: [{ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-Spine-supportingInfo', valueReference: { reference: `#${id}` } }],
  };
}

/** Sends JSON already serialized (an answer kept for replays is sent as the text kept). */
export const sendFhirText = (reply: FastifyReply, status: number, text: string) =>
  // A Buffer, so Fastify sends the media type as EPS writes it (for text it lower-cases and quotes parameters and adds charset).
  reply.code(status).header('content-type', FHIR_JSON).send(Buffer.from(text));

export const sendFhir = (reply: FastifyReply, status: number, body: unknown) => sendFhirText(reply, status, JSON.stringify(body));
