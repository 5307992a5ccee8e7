import { nextNhsNumber } from '../../../src/platform/nhs-number.js';
import type { Patient } from '../../../src/services/demographics/fhir-types.js';

const FAMILIES = ['Smith', 'Smyth', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Robinson', 'Wright', 'Thompson', 'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Wood', 'Jackson'];
const GIVENS = ['Jane', 'John', 'Oliver', 'Amelia', 'George', 'Isla', 'Harry', 'Ava', 'Jack', 'Mia', 'Noah', 'Emily', 'Leo', 'Grace', 'Arthur', 'Sophia'];
const POSTCODES = ['LS1 6AE', 'LS2 7UE', 'M1 1AE', 'B1 1BB', 'SW1A 1AA', 'EC1A 1BB', 'W1A 0AX', 'CR2 6XH'];
const GPS = ['Y12345', 'Y23456', 'B82617', 'A81001'];

/** A small deterministic population for tests (the real synthetic generator lives in population/). */
export function testPopulation(count: number, firstStem = 970_000_000): Patient[] {
  const patients: Patient[] = [];
  let stem = firstStem;
  for (let i = 0; i < count; i++) {
    const next = nextNhsNumber(stem);
    stem = next.stem;
    const family = FAMILIES[i % FAMILIES.length]!;
    const given = GIVENS[(i * 7) % GIVENS.length]!;
    const year = 1940 + (i % 70);
    const month = String(1 + (i % 12)).padStart(2, '0');
    const day = String(1 + (i % 28)).padStart(2, '0');
    patients.push({
      resourceType: 'Patient',
      id: next.nhsNumber,
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: next.nhsNumber }],
      meta: { versionId: '1', security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: i % 50 === 49 ? 'R' : 'U', display: i % 50 === 49 ? 'restricted' : 'unrestricted' }] },
      name: [
        { id: `n${i}`, use: 'usual', family, given: [given], prefix: ['Mx'] },
        ...(i % 10 === 0 ? [{ id: `o${i}`, use: 'old' as const, family: `Old${family}`, given: [given] }] : []),
      ],
      gender: i % 2 === 0 ? 'female' : 'male',
      birthDate: `${year}-${month}-${day}`,
      generalPractitioner: [{ id: `g${i}`, type: 'Organization', identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: GPS[i % GPS.length]! } }],
      address: [{ id: `a${i}`, use: 'home', line: [`${i} High Street`, 'Leeds'], postalCode: POSTCODES[i % POSTCODES.length]! }],
      telecom: [
        { id: `t${i}`, system: 'phone', value: `0163296${String(i).padStart(4, '0')}`, use: 'home' },
        { id: `e${i}`, system: 'email', value: `person${i}@example.com`, use: 'home' },
      ],
    });
  }
  return patients;
}
