import { readRepeatCounts, repeatCountsProblem, type RepeatCounts } from './claim-repeat.js';
import type { Json } from './fhir.js';
import type { Read } from './dispensing-messages.js';
import type { RepeatIssues } from './lifecycle-state.js';

/**
 * A return's or withdrawal's repeat counts (Return.yaml, Withdraw.yaml: `Task.extension`,
 * Extension-EPS-RepeatInformation, "the combination of Prescription ID and repeat number identifies the
 * issue to withdraw or return"): the issue it is about (numberOfRepeatsIssued + 1) and the issues the
 * prescription is authorised for (numberOfRepeatsAllowed + 1). The spec's return (`/Task#return`) lists
 * `400 MAX_REPEAT_MISMATCH` "Mismatch in authorised repeat counts." for counts that are not the
 * prescription's; they were not read, so a return or withdrawal of "issue 3 of 7" of a prescription of
 * 3 issues, or of an acute one, was taken.
 */
export function taskRepeatCounts(task: Json): Read<RepeatCounts> {
  return readRepeatCounts([[task.extension, 'Task']],
    'Expected every Extension-EPS-RepeatInformation of the Task to have the same numberOfRepeatsIssued and numberOfRepeatsAllowed.');
}

/**
 * Whether a return's or withdrawal's counts contradict what the prescription is authorised for
 * (MAX_REPEAT_MISMATCH), as a claim's are held to it (claim-repeat.ts, lifecycle.ts): an acute
 * prescription is issue 1 of 1; a repeat-dispensing one has its `issues`, and no issue beyond them.
 * Repeat prescribing is not checked, as a claim's is not: its order gives no authorised count (and the
 * spec's repeat return and withdrawal, "issue 3 of 7", are of its repeat order, numberOfRepeatsAllowed 0).
 * What the prescription is authorised for never changes, so a message once accepted passes again. Which
 * issue is current does change: a return or withdrawal of an issue that exists but is not current is the
 * lifecycle's to refuse (PRESCRIPTION_INVALID_STATE_TRANSITION), after it has recognised a message sent again.
 */
export function taskRepeatMismatch(
  kind: 'return' | 'withdraw', course: string | undefined, repeat: RepeatIssues | undefined, counts: RepeatCounts,
): string | undefined {
  // An acute prescription, as a claim's counts are held to it.
  if (!repeat) return repeatCountsProblem(course, counts, kind);
  if (counts.issues !== undefined && counts.issues !== repeat.issues) {
    return `The ${kind} says the prescription has ${counts.issues} issues (numberOfRepeatsAllowed ${counts.issues - 1}); it has ${repeat.issues} (numberOfRepeatsAllowed ${repeat.issues - 1}).`;
  }
  if (counts.issue !== undefined && counts.issue > repeat.issues) {
    return `The ${kind} says issue ${counts.issue} (numberOfRepeatsIssued ${counts.issue - 1}); the prescription has ${repeat.issues} issues (numberOfRepeatsAllowed ${repeat.issues - 1}).`;
  }
  return undefined;
}
