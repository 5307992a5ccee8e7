/** A MESH message as the service sees it: immutable metadata plus an append-only event list. */
export type MessageType = 'DATA' | 'REPORT';
export type EventStatus = 'uploading' | 'accepted' | 'acknowledged' | 'expired' | 'undeliverable' | 'error';

export interface Party {
  mailboxId: string;
  mailboxName: string;
  odsCode: string;
  orgCode: string;
  billingEntity?: string;
}

export interface Message {
  messageId: string;
  messageType: MessageType;
  sender: Party;
  recipient: Party;
  workflowId: string;
  totalChunks: number;
  contentEncoding: '' | 'gzip';
  contentType?: string;
  subject?: string;
  localId?: string;
  partnerId?: string;
  fileName?: string;
  checksum?: string;
  encrypted: boolean;
  compressed: boolean;
  /** REPORTs: the message they are about, and the status they carry. */
  linkedMessageId?: string;
  statusCode?: string;
  statusEvent?: string;
  statusDescription?: string;
  createdAt: Date;
}

export interface MessageEvent {
  status: EventStatus;
  at: Date;
  code?: string;
  event?: string;
  description?: string;
  /** The message a failure event concerns (set by the sandbox's admin event route). */
  linkedMessageId?: string;
}

export type MessageState = 'uploading' | 'accepted' | 'acknowledged' | 'expired' | 'undeliverable' | 'error';

/**
 * The state is a fold over the events (MESH sandbox style): the furthest stage reached wins, so
 * events recorded out of order (as in the sandbox's canned store) still give the right answer.
 */
export function messageState(events: readonly MessageEvent[]): MessageState {
  const seen = new Set(events.map((e) => e.status));
  if (seen.has('acknowledged')) return 'acknowledged';
  if (seen.has('expired')) return 'expired';
  if (seen.has('error')) return 'error';
  if (seen.has('undeliverable')) return 'undeliverable';
  if (seen.has('accepted')) return 'accepted';
  return 'uploading';
}

export function eventOf(events: readonly MessageEvent[], status: EventStatus): MessageEvent | undefined {
  return events.find((e) => e.status === status);
}

/** The last event, by time, for tracking's status fields. */
/** A failure recorded against the message (MESH sandbox: its "error event"), newest first. */
export function failureEvent(events: readonly MessageEvent[]): MessageEvent | undefined {
  return [...events].reverse().find((e) => e.status === 'error' || e.status === 'undeliverable' || e.status === 'expired');
}

export function latestEvent(events: readonly MessageEvent[]): MessageEvent | undefined {
  return events.reduce<MessageEvent | undefined>((latest, e) => (!latest || e.at >= latest.at ? e : latest), undefined);
}
