import { SYSTEMS, asArray, identifierValue, isObject, type Json } from '../fhir.js';
import { OID, address, hl7Date, idOf, personName, str } from './datatypes.js';
import { el, type XmlElement } from './xml.js';

/**
 * The patient as an HL7 V3 `recordTarget`: NHS number, home address, name, sex, date of birth and
 * the registered GP practice (the patient's care provision, type 1: "registered GP").
 */
const SEX_CODES: Record<string, string> = { male: '1', female: '2', other: '9', unknown: '0' };

export function recordTarget(patient: Json): XmlElement {
  const birthDate = str(patient.birthDate);
  const gender = str(patient.gender);
  const gp = asArray(patient.generalPractitioner).find(isObject);
  return el('recordTarget', { typeCode: 'RCT' },
    el('Patient', { classCode: 'PAT' },
      idOf(OID.nhsNumber, identifierValue(patient.identifier, SYSTEMS.nhsNumber)),
      address(asArray(patient.address).find(isObject)),
      el('patientPerson', { classCode: 'PSN', determinerCode: 'INSTANCE' },
        personName(asArray(patient.name).find(isObject), { use: true }),
        gender === undefined ? undefined : el('administrativeGenderCode', { code: SEX_CODES[gender], codeSystem: OID.sex }),
        birthDate === undefined ? undefined : el('birthTime', { value: hl7Date(birthDate) }),
        el('playedProviderPatient', { classCode: 'PAT' },
          el('subjectOf', { typeCode: 'SBJ' },
            el('patientCareProvision', { classCode: 'PCPR', moodCode: 'EVN' },
              el('code', { code: '1', codeSystem: OID.careProvisionType }),
              el('responsibleParty', { typeCode: 'RESP' },
                el('healthCareProvider', { classCode: 'PROV' },
                  idOf(OID.ods, gp ? identifierValue(gp.identifier, SYSTEMS.ods) : undefined)))))))));
}
