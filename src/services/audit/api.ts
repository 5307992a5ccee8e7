/**
 * The audit trail's contract with other services (the console): search it and verify its chain.
 * The tables belong to the platform's audit writer; this is the one door other services read them by.
 */
export { searchAuditRecords, type AuditSearch, type RecordedBound } from '../../platform/audit/store.js';
export { verifyAuditChain, type ChainVerdict } from '../../platform/audit/verify.js';
export type { ChainHead, ChainedRecord } from '../../platform/audit/chain.js';
