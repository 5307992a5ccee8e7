import { Type, type TSchema } from '@sinclair/typebox';
import { parametersSchema } from '../../../platform/http/openapi-refs.js';
import { INBOX_PAGE_MAX, INBOX_PAGE_MIN, RICH_PAGE_MAX } from '../protocol/limits.js';
import { START_TIME_PATTERN } from '../protocol/query.js';
import { HANDSHAKE_REQUIRED, SEND_HEADER_LIMITS, STORED_HEADER_LIMITS } from '../protocol/send-headers.js';

/**
 * What MESH routes accept, declared for the door (platform/http/validation.ts) and published in
 * MESH's OpenAPI document. Limits are the MESH spec's parameter schemas (mesh-api.yaml); a refusal
 * is rendered in MESH's error shape by `meshRefusal` (refusals.ts).
 */

/** Path parameters under their Fastify names; `PARAMETER_NAMES` gives the spec's. */
const mailbox = Type.String({ minLength: 1, maxLength: 100, description: 'mailbox identifier' });
const messageId = Type.String({ minLength: 1, maxLength: 100, description: 'message identifier' });

/** A whole number written as one: decimal digits, no sign, no leading zero. */
export const WHOLE_NUMBER_TEXT = '^(0|[1-9][0-9]*)$';

/**
 * A query or path parameter the spec types `integer`. The door coerces text as Fastify does, by
 * JavaScript's Number, which also reads `1e3`, `+5`, ` 5`, `05`, `5.0` and `0x10` as numbers; the
 * spec's type is JSON Schema's, whose integers are written in digits only, and a demanding client
 * is told where it wrote one otherwise (the MESH sandbox, a FastAPI app, refuses `1e3` and `5.0`
 * too). So the text is held to digits first, then the number to the spec's bounds; the published
 * document shows only the integer (`publishedWholeNumbers`).
 */
function wholeNumber(bounds: { minimum: number; maximum: number; description: string }) {
  return Type.Unsafe<number>({ description: bounds.description, allOf: [{ type: 'string', pattern: WHOLE_NUMBER_TEXT }, { type: 'integer', ...bounds }] });
}

/** The OpenAPI document with each `wholeNumber` parameter shown as the spec's integer (its second branch). */
export function publishedWholeNumbers(document: object): object {
  const isWholeNumber = (schema: { allOf?: Array<{ pattern?: string }> }) => schema.allOf?.length === 2 && schema.allOf[0]!.pattern === WHOLE_NUMBER_TEXT;
  const paths = (document as { paths?: Record<string, Record<string, { parameters?: Array<{ schema?: { allOf?: Array<Record<string, unknown>> } }> }>> }).paths ?? {};
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.schema && isWholeNumber(parameter.schema)) parameter.schema = parameter.schema.allOf![1]!;
      }
    }
  }
  return document;
}

// "The index number of the chunk": a whole number from 1 (at most nine digits, as MESH chunk totals go).
const chunk = wholeNumber({ minimum: 1, maximum: 999_999_999, description: 'The index number of the chunk' });

export const MailboxParamsSchema = Type.Object({ mailbox });
export const MessageParamsSchema = Type.Object({ mailbox, messageId });
export const ChunkParamsSchema = Type.Object({ mailbox, messageId, chunk });
export const LocalIdParamsSchema = Type.Object({ mailbox, localId: Type.String({ minLength: 1, maxLength: SEND_HEADER_LIMITS['mex-localid'], description: 'The user supplied (local ID) of the message' }) });
export const EndpointLookupParamsSchema = Type.Object({
  odsCode: Type.String({ minLength: 1, maxLength: 100, description: 'The ODS code of the organisation' }),
  workflowId: Type.String({ minLength: 1, maxLength: SEND_HEADER_LIMITS['mex-workflowid'], description: 'The Workflow ID of the message' }),
});
export const WorkflowSearchParamsSchema = Type.Object({
  workflowId: Type.String({ minLength: 1, maxLength: SEND_HEADER_LIMITS['mex-workflowid'], description: 'The Workflow ID of the message' }),
});

/**
 * The spec's `authorization` header, required on every route but the open ones. MESH checks it
 * before anything else (the NHSMESH hook, 403 in MESH's AUTH codes), so at the door it is always
 * there; it is declared for the OpenAPI document and so that every header a route reads has a schema.
 */
const AUTHORIZATION = {
  type: 'string', minLength: 1,
  description: 'NHSMESH {mailbox_id}:{nonce}:{nonce_count}:{timestamp yyyyMMddHHmm}:{HMAC-SHA256}',
};
export function withAuthorization(headers?: TSchema): TSchema {
  const base = (headers ?? { type: 'object' }) as { required?: string[]; properties?: Record<string, unknown> };
  return { ...base, required: ['authorization', ...(base.required ?? [])], properties: { authorization: AUTHORIZATION, ...(base.properties ?? {}) } } as unknown as TSchema;
}
export const AuthorizationHeadersSchema = withAuthorization();

/** Fastify's parameter names → the spec's, as MESH names them in an error's `loc`. */
export const PARAMETER_NAMES: Record<string, string> = {
  mailbox: 'mailbox_id', messageId: 'message_id', chunk: 'chunk_number', localId: 'local_id', odsCode: 'ods_code', workflowId: 'workflow_id',
};

const continueFrom = Type.String({ minLength: 24, maxLength: 1000, description: 'if more results exist than `max_results`, use `continue_from` to continue retrieving results from `links.next`' });

/** `GET /{mailbox}/inbox`: the spec's parameter schemas (max_results 10–5000, default 500; continue_from; workflow_filter). */
export const InboxQuerySchema = Type.Object({
  max_results: Type.Optional(wholeNumber({ minimum: INBOX_PAGE_MIN, maximum: INBOX_PAGE_MAX, description: 'maximum results to return when using `accept: application/vnd.mesh.v2+json` (default 500)' })),
  continue_from: Type.Optional(continueFrom),
  workflow_filter: Type.Optional(Type.String({ minLength: 2, maxLength: 255, description: 'filter inbox by workflow id: =WORKFLOW1, =!WORKFLOW1, =WORKFL*, =!WORKFL*, =*_ACK*, =!*_ACK*' })),
});

/** `GET /{mailbox}/inbox/rich` and `/outbox/rich` (v2 only): at most 100 a page, from `start_time` (default: 30 days back). */
export const RichQuerySchema = Type.Object({
  start_time: Type.Optional(Type.String({ maxLength: 64, pattern: START_TIME_PATTERN, description: 'ISO 8601 date or date-time' })),
  continue_from: Type.Optional(continueFrom),
  max_results: Type.Optional(wholeNumber({ minimum: 1, maximum: RICH_PAGE_MAX, description: `at most ${RICH_PAGE_MAX} (the default)` })),
});

const HANDSHAKE_DESCRIPTIONS: Record<(typeof HANDSHAKE_REQUIRED)[number], string> = {
  'mex-clientversion': 'Client version number', 'mex-osname': 'Operating system name', 'mex-osversion': 'Operating system version',
};
/** Handshake ("Validate a mailbox"): the spec's required client headers, each present (and not empty), in the spec's order. */
export const HandshakeHeadersSchema = parametersSchema(HANDSHAKE_REQUIRED.map((name) => ({
  name, required: true, schema: { type: 'string', minLength: 1, description: HANDSHAKE_DESCRIPTIONS[name] },
}))) as unknown as TSchema;

/** `GET …/outbox/tracking?messageID=`: required by the spec. */
export const TrackingQuerySchema = Type.Object({ messageID: Type.String({ minLength: 1, maxLength: 100, description: 'message identifier' }) });

// MESH refuses control characters in any control header, and a URL where an address belongs
// (mesh-sandbox mex_headers.py: "MalformedControlFile"). JSON Schema patterns have no flags: the
// scheme is matched letter by letter in either case.
const NO_CONTROL = '[^\\u0000-\\u001f\\u007f]*';
const NOT_A_URL = '(?!\\s*[hH][tT][tT][pP][sS]?://)';
const URL_CHECKED = new Set(['mex-to', 'mex-workflowid', 'mex-content-checksum']);

const DESCRIPTIONS: Record<keyof typeof SEND_HEADER_LIMITS, string> = {
  'mex-to': 'Recipient mailbox ID',
  'mex-workflowid': 'Identifies the type of message being sent e.g. Pathology, GP Capitation.',
  'mex-subject': 'additional message subject',
  'mex-localid': 'local identifier, your reference',
  'mex-partnerid': 'partner identifier',
  'mex-filename': 'local filename',
  'mex-content-checksum': 'Checksum of the original message contents, as provided by the message sender',
  'mex-content-type': 'content type of the message when decoded',
  'mex-chunk-range': 'chunk range for the current chunk',
};

const names = Object.keys(SEND_HEADER_LIMITS) as Array<keyof typeof SEND_HEADER_LIMITS>;

/**
 * The control headers of `POST /{mailbox}/outbox`, checked in MESH's order: every header free of
 * control characters (and URLs), then every header within its length, then `mex-To`, then
 * `mex-WorkflowID` present. The `allOf` sets that order; `properties`/`required` document them.
 */
export const SendHeadersSchema: TSchema = {
  type: 'object',
  required: ['mex-to', 'mex-workflowid'],
  properties: Object.fromEntries(names.map((name) => [name, {
    type: 'string', maxLength: SEND_HEADER_LIMITS[name], pattern: `^${URL_CHECKED.has(name) ? NOT_A_URL : ''}${NO_CONTROL}$`, description: DESCRIPTIONS[name],
  }])),
  allOf: [
    { properties: Object.fromEntries(names.map((name) => [name, { type: 'string', pattern: `^${URL_CHECKED.has(name) ? NOT_A_URL : ''}${NO_CONTROL}$` }])) },
    { properties: Object.fromEntries(names.map((name) => [name, { type: 'string', maxLength: SEND_HEADER_LIMITS[name] }])) },
    // Without mex-Content-Type the message's content type is the request's Content-Type
    // (validateSendHeaders), stored and passed on as mex-Content-Type: held to its limit. The spec
    // gives Content-Type no limit; with mex-Content-Type it is not kept, so not bounded.
    { if: { required: ['mex-content-type'], properties: { 'mex-content-type': { minLength: 1 } } },
      else: { properties: { 'content-type': { type: 'string', maxLength: STORED_HEADER_LIMITS['content-type'] } } } },
    { required: ['mex-to'] },
    { required: ['mex-workflowid'] },
  ],
} as unknown as TSchema;

/** `POST /{mailbox}/outbox/{id}/{n}`: the chunk's own headers, within the spec's limits. */
export const ChunkHeadersSchema: TSchema = Type.Object({
  'mex-chunk-range': Type.Optional(Type.String({ maxLength: SEND_HEADER_LIMITS['mex-chunk-range'], description: DESCRIPTIONS['mex-chunk-range'] })),
});
