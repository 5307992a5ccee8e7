import { isCalendarDate } from '../../../platform/fhir/dates.js';
import { asArray, isObject, quoted, type Json } from './fhir.js';
import { addDays, addMonths, londonDate, londonEndOfDay, type CalendarDate } from './london-time.js';

/**
 * How long a prescription dispensed once (acute, or one of repeat prescribing's `continuous`
 * issues) may be dispensed. The spec copies do not state it (fhir-prescribing.yaml and the schemas
 * describe `dispenseRequest.validityPeriod` only as "the start and end dates of a prescription");
 * the rule is the law EPS applies: a prescription-only medicine may be supplied within 6 months of
 * the "appropriate date", and a schedule 2, 3 or 4 controlled drug within 28 days of it (the Human
 * Medicines Regulations 2012 and the Misuse of Drugs Regulations 2001), the appropriate date being
 * the later of the day the prescriber signed it and the start date they gave. The spec's
 * controlled-drug examples count the same way: validityPeriod 2022-02-17 to 2022-03-17 for a CD2,
 * so the last day is the appropriate date + 28 days (+ 6 months), valid to its end, London time. A
 * prescriber's own earlier `validityPeriod.end` wins.
 */
export const ACUTE_VALIDITY_MONTHS = 6;
export const CONTROLLED_DRUG_VALIDITY_DAYS = 28;
/** Schedules (Extension-DM-ControlledDrug `schedule`, medicationrequest-controlled-drug) valid for 28 days. */
const SHORT_VALIDITY_SCHEDULES = ['CD2', 'CD3', 'CD4'];
const CONTROLLED_DRUG = 'https://fhir.nhs.uk/StructureDefinition/Extension-DM-ControlledDrug';

const DATE_ONLY = /^(\d{4})-(\d\d)-(\d\d)$/;
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

/** A FHIR date's calendar day, or a dateTime's day in London; undefined when it is neither. */
export function calendarDateOf(value: unknown): CalendarDate | undefined {
  if (typeof value !== 'string') return undefined;
  const date = DATE_ONLY.exec(value);
  if (date) return isCalendarDate(value) ? { year: Number(date[1]), month: Number(date[2]), day: Number(date[3]) } : undefined;
  // Date.parse rolls 30 February over into March: the day must be one the calendar has.
  if (!DATE_TIME.test(value) || !isCalendarDate(value.slice(0, 10)) || Number.isNaN(Date.parse(value))) return undefined;
  return londonDate(new Date(value));
}

/** The end of a FHIR date (its last instant, London) or the dateTime itself; undefined when it is neither. */
export function endOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  if (DATE_ONLY.test(value)) {
    const date = calendarDateOf(value);
    return date ? londonEndOfDay(date) : undefined;
  }
  return DATE_TIME.test(value) && isCalendarDate(value.slice(0, 10)) && !Number.isNaN(Date.parse(value)) ? new Date(value) : undefined;
}

/**
 * The words for a validity period's `start` or `end` that names no day: FHIR's partial dates
 * (`2026-12`) are dates, but a period of validity needs the day, so the words say what is taken
 * (they said it was no FHIR date, untrue of `2026-12`: found by probing).
 */
export const notADay = (field: 'start' | 'end', value: unknown) =>
  `dispenseRequest.validityPeriod.${field} '${quoted(value)}' is not a whole date (YYYY-MM-DD) or a dateTime with its time and timezone.`;

/**
 * The spec's MedicationRequest schema: `dispenseRequest.validityPeriod` has a `start` (a date) and
 * an `end` (a dateTime, "the time set to 23:59:59 on the last valid day", which the examples also
 * give as a date). What is wrong with a request's period, if anything: a value that is neither (it
 * was ignored, and the prescription given its default validity), or an end before the start.
 */
export function validityPeriodProblem(requests: Json[]): { diagnostics: string; expression: string } | undefined {
  const expression = 'Bundle.entry.resource.ofType(MedicationRequest).dispenseRequest.validityPeriod';
  for (const request of requests) {
    const period = isObject(request.dispenseRequest) && isObject(request.dispenseRequest.validityPeriod) ? request.dispenseRequest.validityPeriod : {};
    const start = period.start === undefined ? undefined : calendarDateOf(period.start);
    if (period.start !== undefined && start === undefined) {
      return { diagnostics: notADay('start', period.start), expression: `${expression}.start` };
    }
    const end = period.end === undefined ? undefined : endOf(period.end);
    if (period.end !== undefined && end === undefined) {
      return { diagnostics: notADay('end', period.end), expression: `${expression}.end` };
    }
    if (start !== undefined && end !== undefined && end <= londonEndOfDay(addDays(start, -1))) {
      return { diagnostics: `dispenseRequest.validityPeriod.end '${String(period.end)}' is before its start '${String(period.start)}'.`, expression: `${expression}.end` };
    }
  }
  return undefined;
}

/**
 * A repeat-dispensing prescription's validity: the spec's `validityPeriod.end` is "capped at 12
 * months", so its issues may be dispensed until the prescriber's end or 12 months from the
 * appropriate date (the later of the day it was signed and its start), whichever is earlier; an
 * order that gives no end runs the 12 months.
 */
export const REPEAT_VALIDITY_MONTHS = 12;

export function repeatValidUntil(requests: Json[], givenEnd: Date | undefined, signedOn: CalendarDate): Date {
  const starts = requests.map((request) => (isObject(request.dispenseRequest) && isObject(request.dispenseRequest.validityPeriod)
    ? calendarDateOf(request.dispenseRequest.validityPeriod.start) : undefined)).filter((d): d is CalendarDate => d !== undefined);
  const appropriate = starts.reduce(later, signedOn);
  const limit = londonEndOfDay(addMonths(appropriate, REPEAT_VALIDITY_MONTHS));
  return givenEnd !== undefined && givenEnd < limit ? givenEnd : limit;
}

const later = (a: CalendarDate, b: CalendarDate) =>
  Date.UTC(a.year, a.month - 1, a.day) >= Date.UTC(b.year, b.month - 1, b.day) ? a : b;

function scheduleOf(request: Json): string | undefined {
  const drug = asArray(request.extension).filter(isObject).find((e) => e.url === CONTROLLED_DRUG);
  const schedule = drug ? asArray(drug.extension).filter(isObject).find((e) => e.url === 'schedule') : undefined;
  return schedule && isObject(schedule.valueCoding) && typeof schedule.valueCoding.code === 'string' ? schedule.valueCoding.code : undefined;
}

/**
 * The last instant a prescription dispensed once may be dispensed: the earliest of its items'
 * (each from the appropriate date: `signedOn`, or its own later `validityPeriod.start`; 28 days for
 * a schedule 2–4 controlled drug, else 6 months; to the end of that day, London), or a
 * prescriber's earlier `validityPeriod.end`. One item's limit is the prescription's: the Spine
 * keeps one validity per prescription.
 */
export function acuteValidUntil(requests: Json[], signedOn: CalendarDate): Date {
  const ends = requests.map((request) => {
    const period = isObject(request.dispenseRequest) && isObject(request.dispenseRequest.validityPeriod) ? request.dispenseRequest.validityPeriod : {};
    const start = calendarDateOf(period.start);
    const appropriate = start ? later(start, signedOn) : signedOn;
    const schedule = scheduleOf(request);
    const lastDay = schedule !== undefined && SHORT_VALIDITY_SCHEDULES.includes(schedule)
      ? addDays(appropriate, CONTROLLED_DRUG_VALIDITY_DAYS) : addMonths(appropriate, ACUTE_VALIDITY_MONTHS);
    const limit = londonEndOfDay(lastDay);
    const given = endOf(period.end);
    return given && given < limit ? given : limit;
  });
  return new Date(Math.min(...ends.map((d) => d.getTime())));
}
