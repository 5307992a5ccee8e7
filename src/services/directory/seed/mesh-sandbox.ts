/**
 * The MESH sandbox's own mailboxes and workflows (NHSDigital/mesh-sandbox, MIT, commit 422c7d9,
 * src/mesh_sandbox/store/data/*.jsonl), in their JSONL form so a MESH client configured for the
 * NHS sandbox works here unchanged. Data, not code: see spec/nhs/SOURCES.md.
 */
export const MESH_SANDBOX_MAILBOX_LINES = [
  '{"mailbox_id":  "X26ABC1", "mailbox_name": "TESTMB1", "billing_entity": "England", "ods_code": "X26", "org_code": "X26", "password": "password"}',
  '{"mailbox_id":  "X26ABC2", "mailbox_name": "TESTMB2", "billing_entity": "Wales", "ods_code": "X26", "org_code": "X26", "password": "password"}',
  '{"mailbox_id":  "X26ABC3", "mailbox_name": "TESTMB3", "billing_entity": "England", "ods_code": "X27", "org_code": "X27", "password": "password"}',
];

export const MESH_SANDBOX_WORKFLOW_LINES = [
  '{"workflow_id": "TEST_WORKFLOW", "senders":  ["X26ABC1"], "receivers":  ["X26ABC2"]}',
  '{"workflow_id": "TEST_WORKFLOW_ACK", "senders":  ["X26ABC2"], "receivers":  ["X26ABC1", "X26ABC3"]}',
  '{"workflow_id": "TEST_WORKFLOW2", "senders":  ["X26ABC1"], "receivers":  ["X26ABC1", "X26ABC2", "X26ABC3"]}',
];
