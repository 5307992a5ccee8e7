import { capabilityStatement as describe } from '../../platform/fhir/capability.js';
import { DEFAULT_COUNT, MAX_COUNT } from './search-params.js';

/** `GET /audit/FHIR/R4/metadata`: what this endpoint supports, so FHIR clients can discover it. */
export function capabilityStatement(baseUrl: string, now: Date) {
  return describe({
    software: 'OpenSpine audit',
    description: 'Spine audit trail: who accessed which patient record',
    url: `${baseUrl}/audit/FHIR/R4`,
    now,
    security: "Bearer access token. Activity 'audit:read' sees the caller's own activity; 'audit:read-all' (privacy officers) sees all.",
    resources: [{
      type: 'AuditEvent',
      profile: 'http://hl7.org/fhir/StructureDefinition/AuditEvent',
      interaction: [{ code: 'read' }, { code: 'search-type' }],
      searchParam: [
        { name: 'patient', type: 'reference', documentation: 'NHS number of a patient the access concerned: 9000000009, Patient/9000000009 or https://fhir.nhs.uk/Id/nhs-number|9000000009' },
        { name: 'agent', type: 'reference', documentation: 'Who accessed: an SDS user id or an application id (also as https://fhir.nhs.uk/Id/sds-user-id|id or urn:openspine:application-id|id)' },
        { name: 'date', type: 'date', documentation: 'When recorded; prefixes eq, ne, gt, lt, ge, le, sa, eb; repeat for a range' },
        { name: '_count', type: 'number', documentation: `Entries per page, 1 to ${MAX_COUNT} (default ${DEFAULT_COUNT}); newest first` },
        { name: '_before', type: 'number', documentation: "Paging cursor set by the Bundle's next link: entries with an id below this" },
      ],
    }],
  });
}
