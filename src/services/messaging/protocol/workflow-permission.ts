/**
 * Who may use a workflow (spec, "Send message": "some workflows are restricted which means the
 * mailbox sender and recipient must be configured for the workflow identifier you send"). The
 * directory lists each workflow's senders and receivers; a workflow it does not know has none.
 * The refusals are the DTS codes of the spec's error table: 16 "Sender is not allowed to send
 * messages of this type", 17 "Workflow ID not registered for mailbox" (the recipient's).
 */
export type WorkflowPermission = 'allowed' | 'sender-not-allowed' | 'recipient-not-registered';

export function workflowPermission(workflow: { senders: readonly string[]; receivers: readonly string[] } | undefined, sender: string, recipient: string): WorkflowPermission {
  if (!workflow || !workflow.senders.includes(sender)) return 'sender-not-allowed';
  if (!workflow.receivers.includes(recipient)) return 'recipient-not-registered';
  return 'allowed';
}
