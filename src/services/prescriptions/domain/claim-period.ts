/**
 * The claim period (fhir-dispensing.yaml "Dispensing Errors": CLAIM_AMEND_PERIOD_ISSUE, "Claim
 * amendment is not permitted outside of the claim period"). NHSBSA's reimbursement period, within
 * which a claim may be corrected, runs to the fifth day of the month after the claim was sent; the
 * day is configurable (OPENSPINE_EPS_CLAIM_AMEND_DAY). Days are counted in UTC.
 */
export const DEFAULT_CLAIM_AMENDMENT_DAY = 5;

/** The last instant a claim sent at `claimedAt` may be amended: the end of `day` of the following month. */
export function claimAmendableUntil(claimedAt: Date, day: number = DEFAULT_CLAIM_AMENDMENT_DAY): Date {
  return new Date(Date.UTC(claimedAt.getUTCFullYear(), claimedAt.getUTCMonth() + 1, day + 1) - 1);
}
