import { randomUUID } from 'node:crypto';
import { buildMeshAuthorization } from '../../../src/services/messaging/auth/nhsmesh-header.js';
import { directoryApi } from '../../../src/services/directory/api.js';
import type { TestSpine } from '../../support/spine.js';

/** The sandbox mailboxes the directory seeds on a first start (MESH sandbox: password "password"). */
export const MB1 = 'X26ABC1';
export const MB2 = 'X26ABC2';
export const MB3 = 'X26ABC3';
export const PASSWORD = 'password';
export const SHARED_KEY = 'TestKey';
export const V2 = 'application/vnd.mesh.v2+json';

export function meshAuthorization(mailboxId: string, options: { at?: Date; nonce?: string; nonceCount?: number; password?: string; sharedKey?: string } = {}): string {
  return buildMeshAuthorization({
    mailboxId,
    password: options.password ?? PASSWORD,
    sharedKey: options.sharedKey ?? SHARED_KEY,
    nonce: options.nonce ?? randomUUID(),
    nonceCount: options.nonceCount,
    at: options.at ?? new Date(),
  });
}

export interface MeshCall {
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  /** Accept: 2 for v2, 1 for application/json, undefined for none. */
  version?: 1 | 2;
  /** Authenticate as this mailbox (default: the mailbox in the path); false for no header. */
  as?: string | false;
  at?: Date;
}

/** Calls `/messageexchange{path}` the way a MESH client does: a fresh NHSMESH token every time. */
export async function mesh(baseUrl: string, path: string, call: MeshCall = {}): Promise<Response> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.version === 2) headers.accept = V2;
  if (call.version === 1) headers.accept = 'application/json';
  const pathMailbox = /^\/([^/_][^/]*)/.exec(path)?.[1];
  const as = call.as === undefined ? pathMailbox : call.as;
  if (as) headers.authorization = meshAuthorization(as, { at: call.at });
  return fetch(`${baseUrl}/messageexchange${path}`, { method: call.method ?? 'GET', headers, body: call.body, ...(call.body ? { duplex: 'half' } : {}) } as RequestInit);
}

/**
 * A workflow the seeded directory lets `from` send to `to` (MESH sandbox workflows.jsonl):
 * TEST_WORKFLOW X26ABC1 → X26ABC2, TEST_WORKFLOW2 X26ABC1 → all three, TEST_WORKFLOW_ACK X26ABC2 → X26ABC1, X26ABC3.
 */
export function workflowFor(from: string, to: string): string {
  if (from === MB1) return to === MB2 ? 'TEST_WORKFLOW' : 'TEST_WORKFLOW2';
  if (from === MB2 && to !== MB2) return 'TEST_WORKFLOW_ACK';
  throw new Error(`no seeded workflow lets ${from} send to ${to}`);
}

/** Adds a sender and a recipient to a workflow in the directory (creating it if need be). */
export async function allowWorkflow(spine: TestSpine, workflowId: string, sender: string, recipient: string): Promise<void> {
  const directory = directoryApi(spine.ctx.db);
  const known = await directory.getWorkflow(workflowId);
  await directory.upsertWorkflow({
    workflowId,
    senders: [...new Set([...(known?.senders ?? []), sender])],
    receivers: [...new Set([...(known?.receivers ?? []), recipient])],
  });
}

export async function sendMessage(baseUrl: string, from: string, to: string, body: BodyInit, headers: Record<string, string> = {}, version: 1 | 2 = 2): Promise<string> {
  const response = await mesh(baseUrl, `/${from}/outbox`, {
    method: 'POST', version, body,
    headers: { 'content-type': 'application/octet-stream', 'mex-to': to, 'mex-workflowid': workflowFor(from, to), ...headers },
  });
  const json = await response.json() as Record<string, string>;
  if (response.status !== 202) throw new Error(`send failed ${response.status}: ${JSON.stringify(json)}`);
  return version === 2 ? json.message_id! : json.messageID!;
}
