import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/activities.js';

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** One access to patient data (or another audited action): who, as what, on which patients, with what result. */
export interface AuditEntry {
  requestId: string;
  /** Dotted verb from the service's vocabulary, e.g. 'patient.read', 'patient.search', 'message.send'. */
  action: string;
  /** FHIR-ish reference of what was touched, e.g. 'Patient/9000000009'. */
  resource?: string;
  nhsNumbers: string[];
  outcome: AuditOutcome;
  appId?: string;
  appName?: string;
  userId?: string;
  roleProfileId?: string;
  roleCode?: string;
  odsCode?: string;
  clientAddress?: string;
  /** Non-clinical detail (search parameters, message ids); never a message body or a full record. */
  detail?: Record<string, unknown>;
}

/**
 * The parts of an entry that come from the request and its principal. Building them marks the
 * request as audited by its handler, so the platform's route audit (route-audit.ts) adds no second entry.
 */
export function auditContext(request: FastifyRequest, principal: Principal | undefined = request.principal) {
  request.auditRecorded = true;
  return requestParty(request, principal);
}

/** Who made the request, and from where: the parts of an entry `auditContext` gives, without marking the request. */
export function requestParty(request: FastifyRequest, principal: Principal | undefined = request.principal) {
  return {
    requestId: String(request.id),
    appId: principal?.appId,
    appName: principal?.appName,
    userId: principal?.userId,
    roleProfileId: principal?.roleProfileId,
    roleCode: principal?.roleCode,
    odsCode: principal?.odsCode,
    clientAddress: request.ip,
  };
}
