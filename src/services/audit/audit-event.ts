import type { AuditRecord } from '../../platform/audit/chain.js';

/**
 * An audit record as a FHIR R4 AuditEvent (https://hl7.org/fhir/R4/auditevent.html). Pure mapping:
 * the record is the truth, this is one view of it.
 */

export const SYSTEMS = {
  auditEventType: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
  restfulInteraction: 'http://hl7.org/fhir/restful-interaction',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
  securityRoleType: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
  entityType: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
  objectRole: 'http://terminology.hl7.org/CodeSystem/object-role',
  nhsNumber: 'https://fhir.nhs.uk/Id/nhs-number',
  sdsUserId: 'https://fhir.nhs.uk/Id/sds-user-id',
  sdsRoleProfileId: 'https://fhir.nhs.uk/Id/sds-role-profile-id',
  jobRoleCode: 'https://fhir.nhs.uk/CodeSystem/NHSDigital-SDS-JobRoleCode',
  odsCode: 'https://fhir.nhs.uk/Id/ods-organization-code',
  // OpenSpine's own identifiers: no NHS system names these.
  applicationId: 'urn:openspine:application-id',
  auditAction: 'urn:openspine:audit-action',
  requestId: 'urn:openspine:x-request-id',
} as const;

type Coding = { system: string; code: string; display?: string };
type Identifier = { system: string; value: string };

export interface AuditEventResource {
  resourceType: 'AuditEvent';
  id: string;
  type: Coding;
  subtype: Coding[];
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  recorded: string;
  outcome: '0' | '4' | '8';
  outcomeDesc?: string;
  agent: Array<{
    type: { coding: Coding[] };
    who: { type?: string; identifier?: Identifier; display?: string };
    role?: Array<{ coding: Coding[] }>;
    requestor: boolean;
    network?: { address: string; type: '1' | '2' };
  }>;
  source: { observer: { display: string }; type: Coding[] };
  entity: Array<{
    what: { reference?: string; identifier?: Identifier; type?: string };
    type?: Coding;
    role?: Coding;
    name?: string;
    detail?: Array<{ type: string; valueString: string }>;
  }>;
}

const VERB_TO_ACTION: Array<[RegExp, AuditEventResource['action'], string | undefined]> = [
  [/(^|\.)(create|send|upload|register|allocate)$/, 'C', 'create'],
  [/(^|\.)(read|download|retrieve|get|vread|history)$/, 'R', 'read'],
  [/(^|\.)(update|patch|acknowledge|amend)$/, 'U', 'update'],
  [/(^|\.)(delete|remove|cancel)$/, 'D', 'delete'],
  // FHIR: a query/search is E (execute); DICOM's "query" is too.
  [/(^|\.)(search|list|trace|match)$/, 'E', 'search-type'],
];

/** The AuditEvent action code (C/R/U/D/E) and RESTful interaction for a dotted verb like 'patient.read'. */
export function actionCodes(action: string): { code: AuditEventResource['action']; interaction?: string } {
  const found = VERB_TO_ACTION.find(([pattern]) => pattern.test(action));
  return found ? { code: found[1], interaction: found[2] } : { code: 'E' };
}

const OUTCOME_CODES = { success: '0', denied: '4', failure: '8' } as const;
const OUTCOME_TEXT = { success: 'Success', denied: 'Access denied', failure: 'Failed' } as const;

/** Network address type: 1 machine name, 2 IP address (FHIR network-type). */
const networkType = (address: string): '1' | '2' => (/^[0-9.]+$|:/.test(address) ? '2' : '1');

export function toAuditEvent(record: AuditRecord): AuditEventResource {
  const { code, interaction } = actionCodes(record.action);
  const network = record.clientAddress ? { address: record.clientAddress, type: networkType(record.clientAddress) } : undefined;
  const agent: AuditEventResource['agent'] = [];
  if (record.userId) {
    agent.push({
      type: { coding: [{ system: SYSTEMS.securityRoleType, code: 'humanuser', display: 'human user' }] },
      who: { type: 'Practitioner', identifier: { system: SYSTEMS.sdsUserId, value: record.userId } },
      ...(record.roleCode ? { role: [{ coding: [{ system: SYSTEMS.jobRoleCode, code: record.roleCode }] }] } : {}),
      requestor: true,
      ...(network ? { network } : {}),
    });
  }
  if (record.roleProfileId) {
    agent.push({
      type: { coding: [{ system: SYSTEMS.securityRoleType, code: 'humanuser', display: 'human user' }] },
      who: { type: 'PractitionerRole', identifier: { system: SYSTEMS.sdsRoleProfileId, value: record.roleProfileId } },
      requestor: false,
    });
  }
  if (record.appId) {
    agent.push({
      type: { coding: [{ system: SYSTEMS.dicom, code: '110150', display: 'Application' }] },
      who: { type: 'Device', identifier: { system: SYSTEMS.applicationId, value: record.appId }, ...(record.appName ? { display: record.appName } : {}) },
      requestor: !record.userId,
      ...(network && !record.userId ? { network } : {}),
    });
  }
  if (record.odsCode) {
    agent.push({
      type: { coding: [{ system: SYSTEMS.dicom, code: '110153', display: 'Source Role ID' }] },
      who: { type: 'Organization', identifier: { system: SYSTEMS.odsCode, value: record.odsCode } },
      requestor: false,
    });
  }
  if (agent.length === 0) {
    // Work the Spine did on its own (a worker, a CLI command): FHIR needs at least one agent.
    agent.push({ type: { coding: [{ system: SYSTEMS.dicom, code: '110150', display: 'Application' }] }, who: { display: 'OpenSpine' }, requestor: true });
  }
  const detail = record.detail
    ? { detail: Object.entries(record.detail).map(([type, value]) => ({ type, valueString: typeof value === 'string' ? value : JSON.stringify(value) })) }
    : {};
  const entity: AuditEventResource['entity'] = record.nhsNumbers.map((nhsNumber) => ({
    what: { type: 'Patient', identifier: { system: SYSTEMS.nhsNumber, value: nhsNumber } },
    type: { system: SYSTEMS.entityType, code: '1', display: 'Person' },
    role: { system: SYSTEMS.objectRole, code: '1', display: 'Patient' },
  }));
  if (record.resource) {
    entity.push({
      what: { reference: record.resource },
      type: { system: SYSTEMS.entityType, code: '2', display: 'System Object' },
      ...detail,
    });
  }
  entity.push({
    name: 'X-Request-ID',
    what: { identifier: { system: SYSTEMS.requestId, value: record.requestId } },
    type: { system: SYSTEMS.entityType, code: '2', display: 'System Object' },
    // Without a resource the detail (e.g. search parameters) belongs to the request itself.
    ...(record.resource ? {} : detail),
  });
  return {
    resourceType: 'AuditEvent',
    id: String(record.seq),
    type: { system: SYSTEMS.auditEventType, code: 'rest', display: 'RESTful Operation' },
    subtype: [
      { system: SYSTEMS.auditAction, code: record.action },
      ...(interaction ? [{ system: SYSTEMS.restfulInteraction, code: interaction }] : []),
    ],
    action: code,
    recorded: record.recordedAt,
    outcome: OUTCOME_CODES[record.outcome],
    outcomeDesc: OUTCOME_TEXT[record.outcome],
    agent,
    source: {
      observer: { display: 'OpenSpine' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity,
  };
}
