import { asArray, isObject, type Json } from './fhir.js';
import type { Read } from './dispensing-messages.js';

/**
 * A claim's repeat counts (Extension-EPS-RepeatInformation: "information pertinent to repeat and eRD
 * prescriptions"): the issue claimed for (numberOfRepeatsIssued + 1) and the issues the prescription is
 * authorised for (numberOfRepeatsAllowed + 1). DispenseClaim.yaml puts the extension on each line
 * (`Claim.item.detail.extension`); the spec's eRD and repeat claims give it on the item too, and NHS
 * England's implementation reads the first line's. Only the item's was read, so a claim giving its counts
 * where the schema puts them was never held to them. Every place that gives them must give the same.
 */

const REPEAT_INFORMATION = 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-RepeatInformation';
const NAMES = ['numberOfRepeatsIssued', 'numberOfRepeatsAllowed'] as const;

export interface RepeatCounts { issue?: number; issues?: number }

function countsOf(repeat: Json, where: string): Read<RepeatCounts> {
  const counts: Record<string, number> = {};
  for (const name of NAMES) {
    const field = asArray(repeat.extension).filter(isObject).find((e) => e.url === name);
    if (!field) continue;
    const value = field.valueInteger ?? field.valueUnsignedInt;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 999) {
      return { ok: false, code: 'invalid-value', diagnostics: `${name} must be a whole number of at least 0.`, expression: `${where}.extension("Extension-EPS-RepeatInformation").${name}` };
    }
    counts[name] = value + 1;
  }
  return { ok: true, value: {
    ...(counts.numberOfRepeatsIssued !== undefined ? { issue: counts.numberOfRepeatsIssued } : {}),
    ...(counts.numberOfRepeatsAllowed !== undefined ? { issues: counts.numberOfRepeatsAllowed } : {}),
  } };
}

export function claimRepeatCounts(item: Json | undefined): Read<RepeatCounts> {
  const places: Array<[unknown, string]> = [[item?.extension, 'Claim.item'],
    ...asArray(item?.detail).filter(isObject).map((d): [unknown, string] => [d.extension, 'Claim.item.detail'])];
  return readRepeatCounts(places,
    'Expected all Extension-EPS-RepeatInformation of the claim (Claim.item, Claim.item.detail) to have the same numberOfRepeatsIssued and numberOfRepeatsAllowed.');
}

/**
 * The repeat counts given in the extension arrays of `places` (each with the FHIRPath naming it): every
 * Extension-EPS-RepeatInformation there must give the same (else `disagreement`), and each count must be
 * a whole number (valueInteger, as the claims and returns of the spec give it, or valueUnsignedInt, as its
 * withdrawals do) of 0 to 999.
 */
export function readRepeatCounts(places: ReadonlyArray<[unknown, string]>, disagreement: string): Read<RepeatCounts> {
  let found: RepeatCounts | undefined;
  for (const [extensions, where] of places) {
    for (const repeat of asArray(extensions).filter(isObject).filter((e) => e.url === REPEAT_INFORMATION)) {
      const counts = countsOf(repeat, where);
      if (!counts.ok) return counts;
      if (found && (found.issue !== counts.value.issue || found.issues !== counts.value.issues)) {
        return { ok: false, code: 'invalid-value', expression: `${where}.extension("Extension-EPS-RepeatInformation")`, diagnostics: disagreement };
      }
      found = counts.value;
    }
  }
  return { ok: true, value: found ?? {} };
}

/**
 * Whether a claim's repeat counts contradict the prescription's course (MISMATCH_AUTHORISED_REPEAT_COUNTS,
 * "The repeat count in this message does not match the repeat count in the original prescription.",
 * fhir-dispensing.yaml, `/Claim`): an acute prescription is issued once and has no repeat count (the
 * spec's HL7 translation of an acute order has no repeatNumber), so a claim for any issue but 1 of 1 is
 * one. Repeat dispensing is checked against its issues (lifecycle.ts). Repeat prescribing is not checked:
 * its order gives no authorised count (numberOfRepeatsAllowed is "For eRD prescriptions only",
 * MedicationRequest.yaml), and the spec's repeat claim, issue 3 of 6, is of its repeat order, issue 2
 * with numberOfRepeatsAllowed 0, answered 200. `course` is the prescription's (acute for an order mixing acute and
 * continuous items: prescription-message.ts).
 */
export function repeatCountsProblem(course: string | undefined, counts: RepeatCounts, message: 'claim' | 'return' | 'withdraw' = 'claim'): string | undefined {
  if (course !== 'acute' || ((counts.issue ?? 1) === 1 && (counts.issues ?? 1) === 1)) return undefined;
  const said = [counts.issue !== undefined ? `issue ${counts.issue}` : undefined, counts.issues !== undefined ? `of ${counts.issues} issues` : undefined].filter(Boolean).join(' ');
  return `The ${message} says ${said} (Extension-EPS-RepeatInformation); the prescription is acute, issued once (1 of 1).`;
}
