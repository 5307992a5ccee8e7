import { isDeepStrictEqual } from 'node:util';
import { SpineError } from '../../../platform/http/errors.js';
import { PDS_ERRORS, diagnostics } from '../errors.js';
import type { Address, Patient } from '../fhir-types.js';

const invalidUpdate = (reason: string) => new SpineError(PDS_ERRORS.INVALID_UPDATE, `Invalid update with error - ${reason}`);

/**
 * PDS spec ("Address"): "any `temp` address must have both a `period start` and a `period end`
 * date … up to a maximum of 90 days", "any `billing` address … up to a maximum of 366 days".
 */
const LONGEST_PERIOD_IN_DAYS: Readonly<Record<string, number>> = { temp: 90, billing: 366 };
const USES_HELD_ONCE = ['home', 'temp', 'billing'] as const;

const DAY_IN_MS = 24 * 60 * 60 * 1000;

/** Whole days from one `YYYY-MM-DD` to another (negative when `end` is the earlier). */
export function daysBetween(start: string, end: string): number {
  return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_IN_MS);
}

const addressesOf = (patient: Patient): Address[] => (Array.isArray(patient.address) ? patient.address : []);
const countOfUse = (addresses: Address[], use: string) => addresses.filter((a) => a?.use === use).length;

/**
 * PDS spec ("Address", "Be aware of the following business rules"), applied to what a PATCH adds
 * or changes and not to what the record already holds: the spec warns that "historically this was
 * constrained only by the integration requirements and was not enforced so theoretically more than
 * one can exist for a patient when retrieving" (the sandbox's 9000000009 holds a temp address of
 * almost two years). So:
 * - no use (`home`, `temp`, `billing`) is held more often than before, or than once: "you cannot
 *   add more than one of each address use types";
 * - an address the patch adds or changes, if `temp` or `billing`, has a period with a start and an
 *   end no more than 90 (366) days apart: "period object is mandatory when adding or replacing a
 *   temporary or billing address. The provided period object must contain a start and end date";
 * - such a `temp` address has its `text`: "where a `temp` address is provided a description must
 *   be sent using the `text` field". A text outside the spec's list is refused by `Patient.yaml`'s
 *   enum (400 INVALID_VALUE naming the field), so a missing one is refused as a value
 *   `Patient.yaml` would require is: 400 MISSING_VALUE "Missing value - 'address/1/text'".
 * Runs on a record that conforms to `Patient.yaml` and whose periods end after they start.
 */
export function checkAddressesAdded(before: Patient, after: Patient): void {
  const held = addressesOf(before);
  const now = addressesOf(after);
  for (const use of USES_HELD_ONCE) {
    if (countOfUse(now, use) > Math.max(1, countOfUse(held, use))) throw invalidUpdate(`multiple '${use}' addresses cannot be added`);
  }
  now.forEach((address, i) => {
    // An address exactly as held (legacy data included) was neither added nor replaced.
    if (held.some((was) => isDeepStrictEqual(was, address))) return;
    const longest = address.use === undefined ? undefined : LONGEST_PERIOD_IN_DAYS[address.use];
    if (longest === undefined) return;
    const { start, end } = address.period ?? {};
    if (start === undefined || end === undefined) {
      throw invalidUpdate(`a '${address.use}' address must have a period with a start and an end date ('address/${i}')`);
    }
    if (daysBetween(start, end) > longest) {
      throw invalidUpdate(`the period of a '${address.use}' address cannot be longer than ${longest} days ('address/${i}')`);
    }
    if (address.use === 'temp' && address.text === undefined) throw new SpineError(PDS_ERRORS.MISSING_VALUE, diagnostics.missingValue(`address/${i}/text`));
  });
}
