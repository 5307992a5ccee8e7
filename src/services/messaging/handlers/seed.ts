import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlatformContext, SeedOptions } from '../../../platform/service.js';
import { directoryApi, parseMeshMailboxLine, parseMeshWorkflowLine } from '../../directory/api.js';
import type { Message, Party } from '../message.js';
import { appendEvent, insertMessage } from '../store/messages.js';
import { recordChunk } from '../store/chunks.js';
import type { BodyStore } from '../store/body-store.js';
import { acceptMessage } from './accept.js';

/** The MESH sandbox's seed store, copied into the repository (spec/nhs/mesh/sandbox; see spec/nhs/SOURCES.md). */
export const MESH_SANDBOX_STORE = fileURLToPath(new URL('../../../../spec/nhs/mesh/sandbox/store/data/', import.meta.url));

async function jsonlLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split(/\r?\n/).filter((line) => line.trim() !== '');
}

/** Mailboxes and workflows from JSONL files in the MESH sandbox's format, into the directory. */
export async function loadMeshFiles(ctx: PlatformContext, files: { mailboxes?: string; workflows?: string }): Promise<{ mailboxes: number; workflows: number }> {
  // Parse everything first: a bad line fails the load before anything is written.
  const mailboxes = files.mailboxes ? (await jsonlLines(files.mailboxes)).map(parseMeshMailboxLine) : [];
  const workflows = files.workflows ? (await jsonlLines(files.workflows)).map(parseMeshWorkflowLine) : [];
  await ctx.db.tx(async (tx) => {
    const directory = directoryApi(tx);
    for (const mailbox of mailboxes) await directory.upsertMailbox(mailbox);
    for (const workflow of workflows) await directory.upsertWorkflow(workflow);
  });
  return { mailboxes: mailboxes.length, workflows: workflows.length };
}

interface CannedParty { mailbox_id: string; mailbox_name: string; ods_code: string; org_code: string; billing_entity?: string }
interface CannedMessage {
  message_id: string; recipient: CannedParty; sender: CannedParty; events: Array<{ status: string }>;
  metadata: { file_name?: string; encrypted?: boolean; is_compressed?: boolean; content_encoding?: string; subject?: string; local_id?: string };
  workflow_id: string; message_type: 'DATA' | 'REPORT'; total_chunks: number;
}

const party = (p: CannedParty): Party => ({ mailboxId: p.mailbox_id, mailboxName: p.mailbox_name, odsCode: p.ods_code, orgCode: p.org_code, billingEntity: p.billing_entity });

/** One canned inbox message; delivered now (the sandbox's 2022 dates would already be expired). */
async function loadCannedMessage(ctx: PlatformContext, bodies: BodyStore, folder: string, canned: CannedMessage): Promise<boolean> {
  const now = ctx.clock.now();
  const message: Message = {
    messageId: canned.message_id.toUpperCase(),
    messageType: canned.message_type,
    sender: party(canned.sender),
    recipient: party(canned.recipient),
    workflowId: canned.workflow_id,
    totalChunks: canned.total_chunks,
    contentEncoding: canned.metadata.content_encoding === 'gzip' ? 'gzip' : '',
    fileName: canned.metadata.file_name,
    subject: canned.metadata.subject,
    localId: canned.metadata.local_id,
    encrypted: Boolean(canned.metadata.encrypted),
    compressed: Boolean(canned.metadata.is_compressed),
    createdAt: now,
  };
  return ctx.db.tx(async (tx) => {
    if (!(await insertMessage(tx, message))) return false;
    for (let chunkNo = 1; chunkNo <= message.totalChunks; chunkNo += 1) {
      const path = join(folder, canned.message_id, String(chunkNo));
      const stored = await bodies.writeChunk(tx, { messageId: message.messageId, chunkNo }, createReadStream(path), (await stat(path)).size);
      await recordChunk(tx, message.messageId, { chunkNo, byteSize: stored.bytes, segments: stored.segments, contentEncoding: message.contentEncoding }, now);
    }
    if (canned.events.some((e) => e.status === 'undeliverable')) {
      await appendEvent(tx, message.messageId, { status: 'accepted', at: now });
      await appendEvent(tx, message.messageId, { status: 'undeliverable', at: now, code: '14', event: 'SEND', description: 'Undelivered message' });
    } else {
      await acceptMessage(tx, message, now);
    }
    return true;
  });
}

/** `openspine seed --dataset mesh-sandbox`: the sandbox's mailboxes, workflows and canned messages. Idempotent. */
export async function loadMeshSandbox(ctx: PlatformContext, bodies: BodyStore, store = MESH_SANDBOX_STORE): Promise<string> {
  const directory = await loadMeshFiles(ctx, { mailboxes: join(store, 'mailboxes.jsonl'), workflows: join(store, 'workflows.jsonl') });
  let messages = 0;
  for (const mailbox of await readdir(join(store, 'mailboxes'))) {
    const folder = join(store, 'mailboxes', mailbox, 'in');
    for (const name of (await readdir(folder)).filter((n) => n.endsWith('.json'))) {
      const canned = JSON.parse(await readFile(join(folder, name), 'utf8')) as CannedMessage;
      if (await loadCannedMessage(ctx, bodies, folder, canned)) messages += 1;
    }
  }
  return `${directory.mailboxes} mailboxes, ${directory.workflows} workflows, ${messages} messages`;
}

export async function meshFilesDataset(ctx: PlatformContext, options: SeedOptions): Promise<string> {
  const files = { mailboxes: options.mailboxes as string | undefined, workflows: options.workflows as string | undefined };
  if (!files.mailboxes && !files.workflows) throw new Error('mesh-files needs a mailboxes and/or a workflows file');
  const loaded = await loadMeshFiles(ctx, files);
  return `${loaded.mailboxes} mailboxes, ${loaded.workflows} workflows`;
}
