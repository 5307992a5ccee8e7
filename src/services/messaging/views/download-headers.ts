import { createHash } from 'node:crypto';
import type { Message, MessageEvent } from '../message.js';
import { eventOf, latestEvent } from '../message.js';
import { meshTimestamp } from '../protocol/message-id.js';

const yesNo = (flag: boolean) => (flag ? 'Y' : 'N');

/**
 * The `mex-*` headers of a download or HEAD (spec, "Get Message"; the report table under
 * "Asynchronous error reporting"), and `Last-Modified`. A header with no value is left out, never
 * sent empty (MESH sandbox: "filter empty headers (as per existing API)"): a REPORT from MESH's
 * central mailbox has no `mex-From`.
 */
export function downloadHeaders(message: Message, events: readonly MessageEvent[], chunkNo: number): Record<string, string> {
  const accepted = eventOf(events, 'accepted');
  const isReport = message.messageType === 'REPORT';
  // MESH sandbox: the time of the message's latest event, as an HTTP date.
  const latest = latestEvent(events);
  const headers: Record<string, string | undefined> = {
    'mex-From': message.sender.mailboxId,
    'mex-To': message.recipient.mailboxId,
    'mex-WorkflowID': message.workflowId,
    'mex-MessageID': message.messageId,
    'mex-MessageType': message.messageType,
    'mex-AddressType': 'ALL',
    'mex-Version': '1.0',
    'mex-Total-Chunks': String(message.totalChunks),
    'mex-Chunk-Range': `${chunkNo}:${message.totalChunks}`,
    'mex-Content-Compressed': yesNo(message.compressed),
    'mex-Content-Encrypted': yesNo(message.encrypted),
    'mex-StatusCode': isReport ? message.statusCode : '00',
    'mex-StatusEvent': isReport ? message.statusEvent : 'TRANSFER',
    'mex-StatusDescription': isReport ? message.statusDescription : 'Transferred to recipient mailbox',
    'mex-StatusSuccess': isReport ? 'ERROR' : 'SUCCESS',
    'mex-StatusTimestamp': meshTimestamp(accepted?.at ?? message.createdAt),
    'mex-LocalID': message.localId,
    'mex-Subject': message.subject,
    // MESH's default file name, for a message stored without one (a REPORT; sandbox "{message_id}.dat").
    'mex-FileName': message.fileName || `${message.messageId}.dat`,
    'mex-PartnerID': message.partnerId,
    'mex-Content-Checksum': message.checksum,
    'mex-Content-Type': message.contentType,
    'mex-LinkedMsgID': message.linkedMessageId,
    'Last-Modified': latest?.at.toUTCString(),
  };
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => Boolean(entry[1])));
}

/**
 * The spec's download examples give the final (200) response `etag: "866243ab…"`: the SHA-1 of the
 * body as sent, quoted (that example's 27 bytes hash to exactly it); their 206 has none.
 */
export function bodyEtag(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('hex')}"`;
}

/**
 * A final download's `etag`, the same whether its body is in memory or streamed, and for its HEAD:
 * a body sent as stored, the SHA-1 its bytes were stored with (the spec's tag, known before a byte
 * is read); one re-coded in memory, the SHA-1 of the bytes sent; one re-coded as it streams (not
 * hashed before it goes), the stored bytes' SHA-1 tagged with the coding sent, so each
 * representation has a tag of its own (RFC 9110 §8.8.3). None for a streamed chunk stored before
 * its SHA-1 was kept.
 */
export function downloadEtag(storedSha1: string | undefined, storedEncoding: '' | 'gzip', sentEncoding: '' | 'gzip', sentBytes?: Buffer): string | undefined {
  if (storedSha1 && sentEncoding === storedEncoding) return `"${storedSha1}"`;
  if (sentBytes) return bodyEtag(sentBytes);
  return storedSha1 ? `"${storedSha1}-${sentEncoding || 'identity'}"` : undefined;
}
