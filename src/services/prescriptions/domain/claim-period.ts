import { londonDate, londonEndOfDay } from './london-time.js';

/**
 * The claim period (fhir-dispensing.yaml "Dispensing Errors": CLAIM_AMEND_PERIOD_ISSUE, "Claim
 * amendment is not permitted outside of the claim period"). NHSBSA's reimbursement period, within
 * which a claim may be corrected, runs to the fifth day of the month after the claim was sent; the
 * day is configurable (OPENSPINE_EPS_CLAIM_AMEND_DAY). Months and days are London's (NHSBSA's
 * calendar): a claim sent at 23:30 UTC on 31 May is a June claim in summer time.
 */
export const DEFAULT_CLAIM_AMENDMENT_DAY = 5;

/** The last instant a claim sent at `claimedAt` may be amended: the end of `day` (London) of the following month. */
export function claimAmendableUntil(claimedAt: Date, day: number = DEFAULT_CLAIM_AMENDMENT_DAY): Date {
  const claimed = londonDate(claimedAt);
  return londonEndOfDay({ year: claimed.year, month: claimed.month + 1, day });
}
