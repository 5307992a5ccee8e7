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
  | { problem: 'missing-to' }
  | { problem: 'missing-workflow' }
  | { problem: 'malformed'; fields: string[] }
  | { problem: 'too-long'; field: string; max: number }
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

// MESH refuses control characters in any control header, and URLs where an address belongs
// (mesh-sandbox mex_headers.py: "MalformedControlFile").
const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;
const URL_PREFIX = /^https?:\/\//i;
const URL_CHECKED = ['mex-to', 'mex-workflowid', 'mex-content-checksum'];

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

/** Pure validation of a send's headers (Node lower-cases header names). */
export function validateSendHeaders(headers: HeaderBag): SendHeaders | SendHeaderProblem {
  const malformed: string[] = [];
  for (const name of Object.keys(SEND_HEADER_LIMITS)) {
    const value = single(headers, name);
    if (value !== undefined && CONTROL_CHARACTER.test(value)) malformed.push(name);
  }
  for (const name of URL_CHECKED) {
    const value = single(headers, name);
    if (value !== undefined && URL_PREFIX.test(value.trim())) malformed.push(name);
  }
  if (malformed.length > 0) return { problem: 'malformed', fields: [...new Set(malformed)] };
  for (const [name, max] of Object.entries(SEND_HEADER_LIMITS)) {
    const value = single(headers, name);
    if (value !== undefined && value.length > max) return { problem: 'too-long', field: name, max };
  }
  const to = (single(headers, 'mex-to') ?? '').trim().toUpperCase();
  if (!to) return { problem: 'missing-to' };
  const workflowId = (single(headers, 'mex-workflowid') ?? '').trim();
  if (!workflowId) return { problem: 'missing-workflow' };
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
