import { capabilityStatement as describe } from '../../../platform/fhir/capability.js';
import { FHIR_SYSTEMS } from './model.js';

/**
 * A FHIR R4 CapabilityStatement for the SDS searches OpenSpine serves. The NHS SDS says it does
 * not support the capabilities interaction; OpenSpine offers one anyway (DESIGN: every FHIR API
 * has `metadata`), describing exactly the two searches and their parameters.
 */
export function capabilityStatement(baseUrl: string, now: Date) {
  const param = (name: string, documentation: string) => ({ name, type: 'token', documentation });
  const organization = param('organization', `ODS code of the organisation, as ${FHIR_SYSTEMS.odsCode}|<code>`);
  const identifier = param('identifier',
    `${FHIR_SYSTEMS.interactionId}|<interaction id> and/or ${FHIR_SYSTEMS.partyKey}|<party key>, as separate occurrences`);
  return describe({
    software: 'OpenSpine Spine Directory Service',
    description: 'Spine Directory Service FHIR API',
    url: baseUrl,
    now,
    resources: [
      {
        type: 'Device',
        interaction: [{ code: 'search-type' }],
        searchParam: [
          { ...organization, documentation: `${organization.documentation} (required)` },
          { ...identifier, documentation: `${identifier.documentation}; the interaction is required` },
          param('manufacturing-organization', `ODS code of the manufacturer, as ${FHIR_SYSTEMS.odsCode}|<code>`),
        ],
      },
      {
        type: 'Endpoint',
        interaction: [{ code: 'search-type' }],
        searchParam: [organization, identifier],
      },
    ],
  });
}
