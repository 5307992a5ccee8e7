import type { MeshMailbox, MeshWorkflow } from './api.js';
import { asObject, InvalidFieldError, MAILBOX_ID, ODS_CODE, optionalBoolean, optionalString, requiredString, stringList, WORKFLOW_ID } from './fields.js';

/**
 * Parsers for the MESH sandbox's JSONL store files (mailboxes.jsonl, workflows.jsonl), one JSON
 * object per line with snake_case keys. Every failure is a plain Error naming the line.
 */

const upper = (s: string) => s.toUpperCase();

const quote = (line: string) => JSON.stringify(line.length > 80 ? `${line.slice(0, 77)}...` : line);

function parseLine<T>(kind: string, line: string, read: (obj: Record<string, unknown>) => T): T {
  if (typeof line !== 'string') throw new Error(`Invalid MESH ${kind} line: expected a string of JSON`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`Invalid MESH ${kind} line ${quote(line)}: not valid JSON`);
  }
  try {
    return read(asObject(value, `a MESH ${kind} line`));
  } catch (err) {
    if (err instanceof InvalidFieldError) throw new Error(`Invalid MESH ${kind} line ${quote(line)}: ${err.message}`);
    throw err;
  }
}

/** `{"mailbox_id","mailbox_name","billing_entity","ods_code","org_code","password"}`, optional `"active"`. */
export function parseMeshMailboxLine(line: string): MeshMailbox {
  return parseLine('mailbox', line, (obj) => {
    const billingEntity = optionalString(obj, 'billing_entity');
    return {
      mailboxId: requiredString(obj, 'mailbox_id', { pattern: MAILBOX_ID, normalise: upper }),
      mailboxName: requiredString(obj, 'mailbox_name'),
      odsCode: requiredString(obj, 'ods_code', { pattern: ODS_CODE, normalise: upper }),
      orgCode: requiredString(obj, 'org_code', { pattern: ODS_CODE, normalise: upper }),
      ...(billingEntity ? { billingEntity } : {}),
      password: requiredString(obj, 'password'),
      active: optionalBoolean(obj, 'active', true),
    };
  });
}

/** `{"workflow_id","senders":[mailbox ids],"receivers":[mailbox ids]}`. */
export function parseMeshWorkflowLine(line: string): MeshWorkflow {
  return parseLine('workflow', line, (obj) => ({
    workflowId: requiredString(obj, 'workflow_id', { pattern: WORKFLOW_ID }),
    senders: stringList(obj, 'senders', { pattern: MAILBOX_ID, normalise: upper, required: true }),
    receivers: stringList(obj, 'receivers', { pattern: MAILBOX_ID, normalise: upper, required: true }),
  }));
}
