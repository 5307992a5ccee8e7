import { parseChunkRange, type ChunkRange } from './chunk-range.js';

/** The control headers of a send (spec, "Send message"), after validation. */
export interface SendHeaders {
  to: string;
  workflowId: string;
  from?: string;
  chunkRange: ChunkRange;
  subject?: string;
  localId?: string;
  partnerId?: string;
  fileName?: string;
  checksum?: string;
  contentType?: string;
  encrypted: boolean;
  compressed: boolean;
  contentEncoding: '' | 'gzip';
}

/** Why a set of headers was refused: maps one-to-one onto the MESH error catalogue. */
export type SendHeaderProblem =
  | { problem: 'bad-checksum' }
  | { problem: 'missing-to' }
  | { problem: 'missing-workflow' }
  | { problem: 'bad-message-type' }
  | { problem: 'bad-chunk-range' }
  | { problem: 'unsupported-encoding'; encoding: string };

/** Maximum lengths from the spec's parameter schemas. */
export const SEND_HEADER_LIMITS = {
  'mex-to': 100,
  'mex-workflowid': 300,
  'mex-subject': 500,
  'mex-localid': 300,
  'mex-partnerid': 500,
  'mex-filename': 300,
  'mex-content-checksum': 100,
  'mex-content-type': 100,
  'mex-chunk-range': 20,
} as const;

/**
 * Every header a send stores, with its limit: the control headers, and `Content-Type`, which stands
 * in for an absent `mex-Content-Type` (so is held to its limit).
 */
export const STORED_HEADER_LIMITS: Readonly<Record<string, number>> = {
  ...SEND_HEADER_LIMITS,
  'content-type': SEND_HEADER_LIMITS['mex-content-type'],
};

export type HeaderBag = Record<string, string | string[] | undefined>;

function single(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `Y`, `yes`, `true`, `1` (any case) are true, as MESH clients send them. */
export function meshFlag(value: string | undefined): boolean {
  return value !== undefined && /^(y|yes|true|1|on)$/i.test(value.trim());
}

export function contentEncodingOf(headers: HeaderBag): { ok: true; encoding: '' | 'gzip' } | { ok: false; encoding: string } {
  const raw = (single(headers, 'content-encoding') ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'identity') return { ok: true, encoding: '' };
  if (raw === 'gzip') return { ok: true, encoding: 'gzip' };
  return { ok: false, encoding: raw };
}

/**
 * MESH refuses a `mex-Content-Checksum` of anything but ASCII letters, digits, spaces and `:-/`
 * (the MESH sandbox's "Invalid checksum"; `md5:b10a8db1…` as MESH clients send it passes).
 */
const CHECKSUM = /^[A-Za-z0-9\s:/-]*$/;

/**
 * A send's headers (Node lower-cases header names) as the handler uses them. The door has already
 * checked their shape (SendHeadersSchema: no control characters or URLs, the spec's lengths,
 * mex-To and mex-WorkflowID present); what is left is what a schema cannot say: the checksum's
 * characters (checked first, as MESH checks it with the other control headers), an address that
 * is blank once trimmed, a message type other than DATA, the chunk range's values, the content coding.
 */
export function validateSendHeaders(headers: HeaderBag): SendHeaders | SendHeaderProblem {
  if (!CHECKSUM.test((single(headers, 'mex-content-checksum') ?? '').trim())) return { problem: 'bad-checksum' };
  const to = (single(headers, 'mex-to') ?? '').trim().toUpperCase();
  if (!to) return { problem: 'missing-to' };
  const workflowId = (single(headers, 'mex-workflowid') ?? '').trim();
  if (!workflowId) return { problem: 'missing-workflow' };
  // The spec's send takes no message type, but older clients still send `mex-MessageType: DATA`;
  // REPORTs are MESH's own, so anything else is DTS 11 "Invalid Message Type for the transfer,
  // should be DATA" (the spec's error-code table), never a REPORT stored as DATA.
  const messageType = (single(headers, 'mex-messagetype') ?? '').trim();
  if (messageType && messageType.toUpperCase() !== 'DATA') return { problem: 'bad-message-type' };
  const rangeHeader = (single(headers, 'mex-chunk-range') ?? '').trim();
  const chunkRange = rangeHeader ? parseChunkRange(rangeHeader) : { chunk: 1, total: 1 };
  // The send endpoint carries the first chunk only.
  if (!chunkRange || chunkRange.chunk !== 1) return { problem: 'bad-chunk-range' };
  const encoding = contentEncodingOf(headers);
  if (!encoding.ok) return { problem: 'unsupported-encoding', encoding: encoding.encoding };
  const optional = (name: string) => {
    const value = single(headers, name);
    return value === undefined || value === '' ? undefined : value;
  };
  return {
    to,
    workflowId,
    from: optional('mex-from')?.trim().toUpperCase(),
    chunkRange,
    subject: optional('mex-subject'),
    localId: optional('mex-localid'),
    partnerId: optional('mex-partnerid'),
    fileName: optional('mex-filename'),
    checksum: optional('mex-content-checksum'),
    contentType: optional('mex-content-type') ?? optional('content-type'),
    encrypted: meshFlag(single(headers, 'mex-content-encrypted')),
    compressed: meshFlag(single(headers, 'mex-content-compressed')),
    contentEncoding: encoding.encoding,
  };
}

export function isSendHeaderProblem(value: SendHeaders | SendHeaderProblem): value is SendHeaderProblem {
  return 'problem' in value;
}

/** Handshake headers the spec marks required. */
export const HANDSHAKE_REQUIRED = ['mex-clientversion', 'mex-osname', 'mex-osversion'] as const;
