import type { Address, Extension, Patient } from '../fhir-types.js';
import type { Random } from './random.js';
import type { Pools } from './pools.js';
import type { LocalOrganisations } from './organisations.js';
import { drawPerson, humanNames, type Person } from './people.js';
import { drawHome, homeAddress, studentAddress, telecomFor, landline, type Home } from './addresses.js';
import { DAYS_PER_YEAR, isoDate, isoDateTime } from './dates.js';
import {
  CONFIDENTIALITY, LANGUAGES, birthPlaceExtension, communicationExtension, contactPreferenceExtension,
  deathNotificationExtension, nhsNumberIdentifier, odsIdentifier, organisationExtension,
} from './fhir-parts.js';

/** What the population decides about a record before it is drawn (the rare states). */
export interface RecordTraits {
  restricted: boolean;
  /** Decided once the age is drawn: deaths are far likelier among the old. */
  deceased: (ageYears: number) => boolean;
}

export interface PatientDraw {
  patient: Patient;
  person: Person;
  home: Home;
}

export interface DrawContext {
  random: Random;
  pools: Pools;
  organisations: LocalOrganisations;
  /** Day number of "today" for this population: fixed, so a seed always gives the same records. */
  today: number;
  /** Element ids (name, address, telecom…): 8 upper-case hex characters, as PDS uses. */
  ids: () => string;
}

function between(random: Random, from: number, to: number): number {
  return to <= from ? from : random.int(from, to);
}

function addressesFor(ctx: DrawContext, person: Person, home: Home): Address[] {
  const { random, today, ids } = ctx;
  const adultFrom = person.born + Math.floor(18 * DAYS_PER_YEAR);
  // About one in three adults moved within the last decade (ONS household mobility, rounded): one earlier home.
  const moved = person.ageYears >= 20 && random.chance(0.3);
  // Those who did not move have lived at this address since childhood or for over a decade.
  const movedIn = moved ? between(random, Math.max(adultFrom, today - 3650), today - 30)
    : person.ageYears < 28 ? person.born : between(random, adultFrom, today - 3650);
  const addresses = [homeAddress(random, home, ids(), movedIn)];
  if (moved) addresses.push(homeAddress(random, drawHome(random, ctx.pools), ids(), between(random, adultFrom - 3650, movedIn - 400), movedIn - 1));
  if (person.ageYears >= 18 && person.ageYears <= 23 && random.chance(0.1)) addresses.push(studentAddress(random, ctx.pools, ids(), between(random, today - 600, today - 30)));
  return addresses;
}

function extensionsFor(ctx: DrawContext, person: Person, home: Home, traits: RecordTraits, died: number | undefined): Extension[] {
  const { random, organisations } = ctx;
  const outward = home.district.outward;
  const extension: Extension[] = [];
  // Most adults who get repeat prescriptions have nominated a pharmacy for EPS.
  if (person.ageYears >= 16 && random.chance(0.6)) extension.push(organisationExtension('NominatedPharmacy', organisations.pharmacy(random, outward)));
  if (random.chance(0.01)) extension.push(organisationExtension('PreferredDispenserOrganization', organisations.pharmacy(random, outward)));
  if (random.chance(0.005)) extension.push(organisationExtension('MedicalApplianceSupplier', organisations.pharmacy(random, outward)));
  if (died !== undefined) extension.push(deathNotificationExtension(random.chance(0.9) ? 'formal' : 'informal', isoDateTime(died + random.int(0, 14))));
  // About 5% of residents have a main language other than English (Census 2021); some need an interpreter.
  if (random.chance(0.05)) extension.push(communicationExtension(random.pick(LANGUAGES), random.chance(0.4)));
  if (random.chance(0.02)) extension.push(contactPreferenceExtension(random.int(0, 2), random.int(0, 4), random.chance(0.5) ? 'Not after 7pm' : undefined));
  if (random.chance(0.4)) {
    const place = ctx.pools.districts.pick(random);
    extension.push(birthPlaceExtension(place.town, place.county));
  }
  return extension;
}

/** One Patient in the PDS shape (sandbox Patient.json), drawn from the pools. */
export function drawPatient(ctx: DrawContext, nhsNumber: string, traits: RecordTraits): PatientDraw {
  const { random, ids, today } = ctx;
  const person = drawPerson(random, ctx.pools, today);
  const home = drawHome(random, ctx.pools);
  // Deaths cluster at the end of life: died within the last few years, aged as drawn.
  const died = traits.deceased(person.ageYears) ? between(random, Math.max(person.born + 1, today - 5 * 365), today - 1) : undefined;
  const patient: Patient = {
    resourceType: 'Patient',
    id: nhsNumber,
    identifier: [nhsNumberIdentifier(nhsNumber)],
    meta: {
      versionId: '1',
      security: [traits.restricted
        ? { system: CONFIDENTIALITY, code: 'R', display: 'restricted' }
        : { system: CONFIDENTIALITY, code: 'U', display: 'unrestricted' }],
    },
    name: humanNames(person, ids),
    gender: person.gender,
    birthDate: isoDate(person.born),
  };
  // Twins and triplets: about 1.5% of births (ONS birth characteristics).
  if (random.chance(0.015)) patient.multipleBirthInteger = random.int(1, 2);
  if (died !== undefined) patient.deceasedDateTime = isoDateTime(died);
  patient.address = addressesFor(ctx, person, home);
  const telecom = telecomFor(random, person.ageYears, person.given[0]!, person.family, ids, Math.max(person.born, today - 3650));
  if (telecom.length > 0) patient.telecom = telecom;
  // About 98% of residents are registered with a practice.
  if (random.chance(0.98)) {
    const registered = between(random, Math.max(person.born, today - 20 * 365), today - 1);
    patient.generalPractitioner = [{ id: ids(), type: 'Organization', identifier: odsIdentifier(ctx.organisations.gpPractice(random, home.district.outward), isoDate(registered)) }];
  }
  const extension = extensionsFor(ctx, person, home, traits, died);
  if (extension.length > 0) patient.extension = extension;
  if (random.chance(0.03)) {
    patient.contact = [{
      id: `C${ids().slice(1)}`,
      period: { start: isoDate(between(random, today - 3650, today - 1)) },
      relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'C', display: 'Emergency Contact' }] }],
      telecom: [{ system: 'phone', value: landline(random) }],
    }];
  }
  return { patient, person, home };
}
