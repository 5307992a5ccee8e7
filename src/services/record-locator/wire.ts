import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { ClassifiedError } from '../../platform/http/error-mapper.js';
import { NRL_ERROR_SYSTEM, NRL_RESPONSE_SYSTEM, type NrlIssue, type NrlResponse } from './errors.js';

/** NRL's OperationOutcome: the spec example's id and NHSDigital-OperationOutcome profile, codings without `version`. */
export interface NrlOperationOutcome {
  resourceType: 'OperationOutcome';
  id: string;
  meta: { profile: string[] };
  issue: Array<{
    severity: 'error' | 'information';
    code: string;
    details: { coding: Array<{ system: string; code: string; display: string }> };
    diagnostics: string;
    expression?: string[];
  }>;
}

const PROFILE = 'https://fhir.nhs.uk/StructureDefinition/NHSDigital-OperationOutcome';

function outcome(issues: NrlOperationOutcome['issue']): NrlOperationOutcome {
  return { resourceType: 'OperationOutcome', id: randomUUID(), meta: { profile: [PROFILE] }, issue: issues };
}

export function errorOutcome(issues: NrlIssue[]): NrlOperationOutcome {
  return outcome(issues.map(({ spec, diagnostics, expression }) => ({
    severity: 'error',
    code: spec.issueCode,
    details: { coding: [{ system: spec.system ?? NRL_ERROR_SYSTEM, code: spec.code, display: spec.display }] },
    diagnostics,
    ...(expression === undefined ? {} : { expression: [expression] }),
  })));
}

export function successOutcome(response: NrlResponse): NrlOperationOutcome {
  return outcome([{
    severity: 'information',
    code: 'informational',
    details: { coding: [{ system: NRL_RESPONSE_SYSTEM, code: response.code, display: response.display }] },
    diagnostics: response.diagnostics,
  }]);
}

export function sendNrlError(reply: FastifyReply, error: ClassifiedError & { issues?: NrlIssue[] }) {
  if (error.headers) reply.headers(error.headers);
  const issues = error.issues ?? [{
    spec: error.spec,
    diagnostics: error.diagnostics ?? error.spec.display,
    expression: error.expression?.[0],
  }];
  return reply.code(error.spec.status).type('application/fhir+json').send(errorOutcome(issues));
}

/** Where NRL's producer answers a created pointer: relative, as the live NRL's Location header is. */
export const producerLocation = (id: string) => `/producer/FHIR/R4/DocumentReference/${id}`;

export function sendNrlSuccess(reply: FastifyReply, response: NrlResponse, location?: string) {
  if (location) reply.header('Location', location);
  return reply.code(response.status).type('application/fhir+json').send(successOutcome(response));
}
