import type { Random } from './random.js';
import { POSTCODE_DISTRICTS } from './data/postcode-districts.js';

/** Where a generated patient is registered and gets prescriptions dispensed, chosen near home. */
export interface LocalOrganisations {
  gpPractice(random: Random, outward: string): string;
  pharmacy(random: Random, outward: string): string;
}

/** The postcode area of an outward code: "LS6" → "LS", "SW1A" → "SW". */
export function postcodeArea(outwardOrPostcode: string): string {
  return /^[A-Z]{1,2}/.exec(outwardOrPostcode.toUpperCase())?.[0] ?? '';
}

export interface KnownOrganisation {
  odsCode: string;
  postcode?: string;
}

class ByArea {
  private readonly byArea = new Map<string, string[]>();
  private readonly all: string[] = [];

  add(area: string, odsCode: string) {
    const list = this.byArea.get(area) ?? [];
    list.push(odsCode);
    this.byArea.set(area, list);
    this.all.push(odsCode);
  }

  get size() {
    return this.all.length;
  }

  /** One in the same postcode area when there is one (patients register near home), else any. */
  pick(random: Random, outward: string): string {
    const local = this.byArea.get(postcodeArea(outward));
    return random.pick(local && local.length > 0 ? local : this.all);
  }
}

/**
 * GP practice codes in the ODS shape (a letter and five digits, e.g. A81001) and pharmacy codes
 * (F and four characters, e.g. FA123), made up per postcode area when the directory has none.
 * England has about 6,300 practices for 63 million patients: one per ~9,000 registered patients.
 */
function inventedOrganisations(random: Random, patients: number): { practices: ByArea; pharmacies: ByArea } {
  const practices = new ByArea();
  const pharmacies = new ByArea();
  const areas = [...new Set(POSTCODE_DISTRICTS.map((d) => postcodeArea(d.outward)))];
  const perArea = Math.max(1, Math.ceil(patients / 9000 / areas.length));
  const used = new Set<string>();
  const fresh = (make: () => string) => {
    for (;;) {
      const code = make();
      if (!used.has(code)) {
        used.add(code);
        return code;
      }
    }
  };
  for (const area of areas) {
    for (let i = 0; i < perArea; i++) {
      practices.add(area, fresh(() => `${random.chars('ABCDEFGHJKLMNPY', 1)}${random.digits(5)}`));
      pharmacies.add(area, fresh(() => `F${random.chars('ABCDEFGHJKLMNPQRSTVWXY0123456789', 4)}`));
    }
  }
  return { practices, pharmacies };
}

/**
 * Practices and pharmacies from the directory; when it has fewer than the population needs (a demo
 * directory has a handful), invented ones (deterministic for the seed) are added beside them so no
 * practice ends up with an impossible list size.
 */
export function localOrganisations(random: Random, patients: number, known: { practices: KnownOrganisation[]; pharmacies: KnownOrganisation[] }): LocalOrganisations {
  const needed = Math.ceil(patients / 9000);
  const invented = inventedOrganisations(random, patients);
  const combine = (orgs: KnownOrganisation[], fallback: ByArea) => {
    const byArea = orgs.length >= needed ? new ByArea() : fallback;
    for (const org of orgs) byArea.add(postcodeArea(org.postcode ?? ''), org.odsCode);
    return byArea;
  };
  const practices = combine(known.practices, invented.practices);
  const pharmacies = combine(known.pharmacies, invented.pharmacies);
  return {
    gpPractice: (r, outward) => practices.pick(r, outward),
    pharmacy: (r, outward) => pharmacies.pick(r, outward),
  };
}
