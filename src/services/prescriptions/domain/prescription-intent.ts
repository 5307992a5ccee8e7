import { asArray, codeOf, distinct, isObject, type Json } from './fhir.js';

/**
 * The intents each course of therapy takes (the spec's MedicationRequest schema: "For acute
 * prescriptions, this should be 'order'. For repeat and eRD prescriptions, this should be
 * 'original-order' for the first prescription issue. For subsequent issues, this should be
 * 'instance-order'."): an eRD order is always its first issue (the Spine makes the others).
 */
const INTENTS_OF_COURSE: Readonly<Record<string, readonly string[]>> = {
  acute: ['order'], 'continuous-repeat-dispensing': ['original-order'], continuous: ['original-order', 'instance-order'],
};

/**
 * An item whose intent is not its course's, or repeat items of two issues (one 'original-order',
 * another 'instance-order': a prescription is one issue): the spec's table has only "must be order,
 * original-order or instance-order" for intent, so the diagnostics are in the words of its other
 * verification errors. The spec's acute-and-repeat order mixes an acute 'order' with a repeat
 * 'original-order' (answered 200), so an acute item's 'order' is left out of the comparison. An
 * item without a course is not checked (nine of the spec's orders give none).
 */
export function intentProblem(requests: Json[]): string | undefined {
  for (const r of requests) {
    const course = codeOf(r.courseOfTherapyType);
    const allowed = course === undefined ? undefined : INTENTS_OF_COURSE[course];
    if (allowed && !allowed.includes(r.intent as string)) {
      return `MedicationRequest.intent must be ${allowed.join(' or ')} for courseOfTherapyType '${course}'. Received '${String(r.intent)}'.`;
    }
  }
  const repeatIntents = distinct(requests.map((r) => r.intent as string).filter((i) => i !== 'order'));
  if (repeatIntents.length > 1) {
    return `Expected all MedicationRequests to have the same value for intent (but an acute item's order). Received ${JSON.stringify(repeatIntents)}.`;
  }
  return undefined;
}

export const UKCORE_REPEAT_INFORMATION = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationRepeatInformation';
const ISSUE_NUMBER = 'Bundle.entry.resource.ofType(MedicationRequest).extension("Extension-UKCore-MedicationRepeatInformation").numberOfPrescriptionsIssued';

/** An item's numberOfPrescriptionsIssued as given (its `valueUnsignedInt`, whatever its type), or undefined when it gives none. */
function issueNumberOf(request: Json): { given: unknown } | undefined {
  for (const extension of asArray(request.extension)) {
    if (!isObject(extension) || extension.url !== UKCORE_REPEAT_INFORMATION) continue;
    const issued = asArray(extension.extension).find((e) => isObject(e) && e.url === 'numberOfPrescriptionsIssued');
    if (isObject(issued)) return { given: issued.valueUnsignedInt };
  }
  return undefined;
}

/**
 * A repeat item whose intent disagrees with the issue it says it is. The spec's MedicationRequest
 * schema: 'original-order' "for the first prescription issue. For subsequent issues, this should be
 * 'instance-order'"; UK Core's repeat information gives the issue as `numberOfPrescriptionsIssued`,
 * "The current issue of the repeat or eRD prescription" (DispensingMedicationRepeatInformation.yaml),
 * counted from 1 (the spec's repeat order example: 'instance-order' with 2). So an 'original-order'
 * is issue 1 and an 'instance-order' issue 2 or later. Only where the item says: the order's schema
 * (MedicationRepeatInformation.yaml) asks only for authorisationExpiryDate, and eight of the spec's
 * repeat orders give no issue. An acute 'order' is not checked (the spec ties it to no issue).
 */
export function issueNumberProblem(requests: Json[]): { diagnostics: string; expression: string } | undefined {
  for (const r of requests) {
    if (r.intent !== 'original-order' && r.intent !== 'instance-order') continue;
    const issue = issueNumberOf(r);
    if (issue === undefined) continue;
    const { given } = issue;
    if (typeof given !== 'number' || !Number.isSafeInteger(given) || given < 0) {
      return { diagnostics: `numberOfPrescriptionsIssued must be a whole number (valueUnsignedInt). Received ${JSON.stringify(given) ?? 'none'}.`, expression: ISSUE_NUMBER };
    }
    if (r.intent === 'original-order' && given !== 1) {
      return { diagnostics: `MedicationRequest.intent 'original-order' is a prescription's first issue: numberOfPrescriptionsIssued must be 1. Received ${given}.`, expression: ISSUE_NUMBER };
    }
    if (r.intent === 'instance-order' && given < 2) {
      return { diagnostics: `MedicationRequest.intent 'instance-order' is a later issue: numberOfPrescriptionsIssued must be 2 or more. Received ${given}.`, expression: ISSUE_NUMBER };
    }
  }
  return undefined;
}
