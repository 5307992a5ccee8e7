import type { PlatformContext, SeedOptions } from '../../platform/service.js';
import { SANDBOX_PRINCIPAL } from '../../platform/auth/sandbox.js';
import { SyntheticNhsNumbers } from '../demographics/api.js';
import type { DocumentReference } from './domain/document-reference.js';
import { RECORD_CATEGORIES, RECORD_TYPES, TYPE_CATEGORY } from './domain/record-types.js';
import { insertPointers, rowOf, setPermission } from './store.js';

/**
 * Pointers for the synthetic population (`openspine seed --patients N`, after demographics has
 * made the patients): about one patient in four has 1–3 pointers of the value set's types from a
 * handful of trusts, so consumer search works at scale. Deterministic for a seed; ids are derived
 * from the patient, so seeding again adds nothing.
 */
export const SYNTHETIC_CUSTODIANS = ['RQI', 'RX898', 'RTH', 'RRK', 'R1H', 'RJ1', 'RYJ', 'Y05868'] as const;
const SHARE = 0.25;
const BATCH = 2000;

/** mulberry32: a small, fast, seedable generator; quality is ample for test data. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = [...RECORD_TYPES.keys()];

export function syntheticPointer(nhsNumber: string, index: number, custodian: string, type: string, created: string): DocumentReference {
  const [typeSystem, typeCode] = type.split('|') as [string, string];
  const category = TYPE_CATEGORY.get(type)!;
  const [categorySystem, categoryCode] = category.split('|') as [string, string];
  const id = `${custodian}-syn-${nhsNumber}-${index}`;
  return {
    resourceType: 'DocumentReference',
    id,
    meta: { lastUpdated: created },
    status: 'current',
    docStatus: 'final',
    type: { coding: [{ system: typeSystem, code: typeCode, display: RECORD_TYPES.get(type)! }] },
    category: [{ coding: [{ system: categorySystem, code: categoryCode, display: RECORD_CATEGORIES.get(category)! }] }],
    subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber } },
    date: created,
    author: [{ identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: custodian } }],
    custodian: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: custodian } },
    content: [{
      attachment: { contentType: 'application/pdf', url: `https://records.example.nhs.uk/${custodian}/${id}.pdf`, creation: created },
      format: { system: 'https://fhir.nhs.uk/England/CodeSystem/England-NRLFormatCode', code: 'urn:nhs-ic:unstructured', display: 'Unstructured document' },
    }],
  };
}

export async function seedSyntheticPointers(ctx: PlatformContext, options: SeedOptions): Promise<string> {
  const patients = Number(options.patients);
  if (!Number.isInteger(patients) || patients < 1) throw new Error(`patients must be a positive whole number, not '${String(options.patients)}'`);
  const next = random(Number(options.seed ?? 1) * 7919 + 17);
  const numbers = new SyntheticNhsNumbers();
  const created = ctx.clock.now().toISOString();
  let batch: DocumentReference[] = [];
  let pointers = 0;
  let withPointers = 0;
  for (let i = 0; i < patients; i++) {
    const nhsNumber = numbers.next();
    if (next() >= SHARE) continue;
    withPointers += 1;
    const count = 1 + Math.floor(next() * 3);
    for (let k = 0; k < count; k++) {
      const custodian = SYNTHETIC_CUSTODIANS[Math.floor(next() * SYNTHETIC_CUSTODIANS.length)]!;
      const type = TYPES[Math.floor(next() * TYPES.length)]!;
      batch.push(syntheticPointer(nhsNumber, k, custodian, type, created));
    }
    if (batch.length >= BATCH) {
      pointers += (await insertPointers(ctx.db, batch.map((p) => rowOf(p, p.id!)))).length;
      batch = [];
      options.progress?.(i + 1, patients);
    }
  }
  if (batch.length) pointers += (await insertPointers(ctx.db, batch.map((p) => rowOf(p, p.id!)))).length;
  options.progress?.(patients, patients);
  // The sandbox application may produce for (and consume as) each synthetic custodian.
  for (const organisation of SYNTHETIC_CUSTODIANS) {
    await setPermission(ctx.db, { appId: SANDBOX_PRINCIPAL.appId, organisation, pointerTypes: TYPES });
  }
  await ctx.db.query('ANALYZE record_locator.pointers');
  return `${pointers} pointers for ${withPointers} of ${patients} patients (${SYNTHETIC_CUSTODIANS.length} custodians)`;
}
