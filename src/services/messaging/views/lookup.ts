import type { MeshMailbox } from '../../directory/api.js';
import type { ApiVersion } from '../protocol/api-version.js';

/** Endpoint lookup: v1 `{query_id, results: [{address, description, endpoint_type}]}`; v2 `{results: [{mailbox_id, mailbox_name}]}`. */
export function endpointLookupView(version: ApiVersion, queryId: string, mailboxes: MeshMailbox[]): Record<string, unknown> {
  if (version === 2) return workflowSearchView(mailboxes);
  return {
    query_id: queryId,
    results: mailboxes.map((m) => ({ address: m.mailboxId, description: m.mailboxName, endpoint_type: 'MESH' })),
  };
}

/** Workflow search has one shape in both versions. */
export function workflowSearchView(mailboxes: MeshMailbox[]): Record<string, unknown> {
  return { results: mailboxes.map((m) => ({ mailbox_id: m.mailboxId, mailbox_name: m.mailboxName })) };
}
