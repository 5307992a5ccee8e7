import { messageKey, type LifecycleEvent, type MessageOperation, type PrescriptionState, type SeenMessage, type Transition } from './lifecycle-state.js';

/**
 * Each dispensing message (dispense notification, claim, return, withdrawal) recorded once on a
 * prescription, by its own identifier (`PrescriptionState.messagesSeen`): the lifecycle's
 * `transition` asks `messageSeen` before deciding an event, and records what it decided with
 * `withMessagesSeen`.
 */

/** The dispensing message an event is, and where its id is in the message (what a reused one names). */
const MESSAGE_OF: Record<MessageOperation, { what: string; field: string }> = {
  'dispense-notification': { what: 'dispense notification', field: 'Bundle.identifier' },
  claim: { what: 'claim', field: 'Claim.identifier' },
  return: { what: 'return', field: 'Task.identifier' },
  withdraw: { what: 'withdrawal', field: 'Task.identifier' },
};

const operationOf = (event: LifecycleEvent): MessageOperation | undefined =>
  (event.type === 'dispense' ? 'dispense-notification' : event.type === 'claim' || event.type === 'return' || event.type === 'withdraw' ? event.type : undefined);

const messageOf = (event: LifecycleEvent) =>
  (event.type === 'dispense' || event.type === 'claim' || event.type === 'return' || event.type === 'withdraw' ? event.message : undefined);

/**
 * A dispensing message already recorded on the prescription, sent again (a retry under another
 * X-Request-ID; or two sent at once, the second decided again after the first, answerOnce): one
 * message, named by its message id (a dispense notification's Bundle.identifier, "The unique ID of
 * the dispense notification"; a claim's Claim.identifier, "Unique identifier for the Claim"; a
 * return's or withdrawal's Task.identifier, "The unique identifier for the Return/Withdraw
 * Request"), so it is recorded once. With the same body it is answered as the first was, recording
 * nothing (as Spine's reliable messaging eliminates a message id it has seen; the spec has no error
 * for it): the same answer whatever has happened since (a claim since amended, a prescription
 * returned and released again), as an X-Request-ID sent again is. With another body, as another
 * operation's, or (a dispense notification) after a withdrawal took it back, the id is reused, which
 * EPS's own X-Request-ID rule (answerOnce) calls the client's mistake: INVALID_VALUE naming the id
 * (in sandbox mode, `reusable`, a new message: the spec's examples, which the stateless sandbox
 * takes in turn, give acute-primary-example-01 to -04 one Bundle.identifier, and the homecare
 * flow's three claims one Claim.identifier). A partial notification sent twice was counted twice, and
 * a claim, return or withdrawal sent twice was refused by the state the first had left (found by
 * probing).
 */
export function messageSeen(state: PrescriptionState, event: LifecycleEvent): Transition | undefined {
  const message = messageOf(event);
  const operation = operationOf(event);
  if (message === undefined || operation === undefined) return undefined;
  const seen = state.messagesSeen?.[messageKey(message.id)];
  if (seen === undefined) return undefined;
  const seenAs = seen.operation ?? 'dispense-notification';
  if (seenAs === operation && seen.withdrawn !== true && message.digest !== undefined && seen.digest === message.digest) {
    return { ok: false, refusal: 'MESSAGE_ALREADY_RECORDED', diagnostics: `${MESSAGE_OF[operation].what} ${message.id} is already recorded.` };
  }
  if (message.reusable === true) return undefined;
  const { what, field } = MESSAGE_OF[operation];
  const earlier = seenAs === operation
    ? `an earlier ${MESSAGE_OF[seenAs].what}` + (seen.withdrawn === true ? ', since withdrawn' : ' with another body')
    : `an earlier ${MESSAGE_OF[seenAs].what}`;
  return { ok: false, refusal: 'MESSAGE_ID_REUSED', diagnostics: `Invalid value - '${message.id}' in field '${field}': it identifies ${earlier}; a new ${what} needs a new identifier`, expression: field };
}

/**
 * The messages recorded, kept through every change (a return, the next repeat issue): a message
 * recorded adds its message id (an amendment of a dispense notification marks the one it replaces as
 * replaced by it), a withdrawal marks the notification it takes back withdrawn, and what that one had
 * replaced (a withdrawal of an amendment takes back what the amended notification did too, lifecycle
 * `withdraw`).
 */
export function withMessagesSeen(before: PrescriptionState, event: LifecycleEvent, next: Transition): Transition {
  if (!next.ok) return next;
  let seen = before.messagesSeen;
  const last = new Set((before.dispenseNotificationIds?.[before.dispenseNotifications - 1] ?? []).map(messageKey));
  const message = messageOf(event);
  const operation = operationOf(event);
  if (event.type === 'dispense' && message !== undefined) {
    const id = messageKey(message.id);
    const replaced = event.amendment === true ? last : new Set<string>();
    seen = { ...mapSeen(seen, (key, entry) => (replaced.has(key) && entry.operation === undefined ? { ...entry, replacedBy: id } : entry)), [id]: { digest: message.digest ?? '' } };
  }
  if (event.type === 'withdraw' && seen !== undefined) {
    const withdrawn = last;
    for (let grew = true; grew;) {
      grew = false;
      for (const [key, entry] of Object.entries(seen)) {
        if (entry.replacedBy !== undefined && withdrawn.has(entry.replacedBy) && !withdrawn.has(key)) { withdrawn.add(key); grew = true; }
      }
    }
    seen = mapSeen(seen, (key, entry) => (withdrawn.has(key) && entry.operation === undefined ? { ...entry, withdrawn: true as const } : entry));
  }
  if (event.type !== 'dispense' && message !== undefined && operation !== undefined && operation !== 'dispense-notification') {
    seen = { ...seen, [messageKey(message.id)]: { operation, digest: message.digest ?? '' } };
  }
  if (seen === undefined) return next;
  return { ...next, state: { ...next.state, messagesSeen: seen } };
}

const mapSeen = (seen: PrescriptionState['messagesSeen'], f: (key: string, entry: SeenMessage) => SeenMessage) =>
  Object.fromEntries(Object.entries(seen ?? {}).map(([key, entry]) => [key, f(key, entry)]));
