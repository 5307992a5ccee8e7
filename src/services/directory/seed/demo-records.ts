import type { MeshMailbox, MeshWorkflow, Organisation } from '../api.js';

/**
 * Demo organisations, their MESH mailboxes and workflows. ODS codes follow real ODS shapes (GP
 * practices letter + 5 digits, trusts R + 2, pharmacies F + 4); names are illustrative. The
 * organisations the NHS test data refers to (X26, X27, YES, A20047) are here too, so every demo
 * Device, Endpoint and MESH sandbox mailbox has an owner in the directory.
 */
export const DEMO_ORGANISATIONS: Organisation[] = [
  { odsCode: 'X26', name: 'NHS England (MESH and SDS test organisation)', role: 'other', active: true },
  { odsCode: 'X27', name: 'MESH sandbox test organisation X27', role: 'other', active: true },
  { odsCode: 'YES', name: 'NHS Spine (OpenTest)', role: 'other', active: true },
  { odsCode: 'QHM', name: 'NHS North East and North Cumbria Integrated Care Board', role: 'other', active: true },
  { odsCode: 'QWE', name: 'NHS South East London Integrated Care Board', role: 'other', active: true },
  { odsCode: 'A83008', name: 'Riverside Medical Practice', role: 'gp-practice', parentOdsCode: 'QHM', active: true, postcode: 'DL14 6AA' },
  { odsCode: 'B82005', name: 'Moorland Surgery', role: 'gp-practice', parentOdsCode: 'QHM', active: true, postcode: 'YO11 1AA' },
  { odsCode: 'Y12345', name: 'Thamesview Health Centre', role: 'gp-practice', parentOdsCode: 'QWE', active: true, postcode: 'SE1 7EH' },
  { odsCode: 'A20047', name: 'GP Connect Test Practice', role: 'gp-practice', parentOdsCode: 'X26', active: true },
  { odsCode: 'RJ1', name: "Guy's and St Thomas' NHS Foundation Trust", role: 'nhs-trust', parentOdsCode: 'QWE', active: true, postcode: 'SE1 7EH' },
  { odsCode: 'RR8', name: 'Leeds Teaching Hospitals NHS Trust', role: 'nhs-trust', active: true, postcode: 'LS9 7TF' },
  { odsCode: 'FA565', name: 'High Street Pharmacy', role: 'pharmacy', parentOdsCode: 'QHM', active: true, postcode: 'DL14 7AB' },
  { odsCode: 'FCG73', name: 'Borough Market Pharmacy', role: 'pharmacy', parentOdsCode: 'QWE', active: true, postcode: 'SE1 9AH' },
];

const mailbox = (odsCode: string, suffix: string, mailboxName: string): MeshMailbox => ({
  mailboxId: `${odsCode}${suffix}`,
  mailboxName,
  odsCode,
  orgCode: odsCode,
  billingEntity: 'England',
  password: 'password',
  active: true,
});

export const DEMO_MAILBOXES: MeshMailbox[] = [
  mailbox('A83008', 'MB01', 'Riverside Medical Practice'),
  mailbox('B82005', 'MB01', 'Moorland Surgery'),
  mailbox('Y12345', 'MB01', 'Thamesview Health Centre'),
  mailbox('RJ1', 'MB001', "Guy's and St Thomas' pathology"),
  mailbox('RJ1', 'MB002', "Guy's and St Thomas' discharge summaries"),
  mailbox('RR8', 'MB001', 'Leeds Teaching Hospitals'),
  mailbox('FA565', 'MB01', 'High Street Pharmacy'),
  mailbox('FCG73', 'MB01', 'Borough Market Pharmacy'),
];

const GP_MAILBOXES = ['A83008MB01', 'B82005MB01', 'Y12345MB01'];

export const DEMO_WORKFLOWS: MeshWorkflow[] = [
  // Pathology results from hospital labs to practices.
  { workflowId: 'PATH_MEDRPT_V3', senders: ['RJ1MB001', 'RR8MB001'], receivers: GP_MAILBOXES },
  // Inpatient discharge summaries (transfer of care) from trusts to practices.
  { workflowId: 'TOC_FHIR_IP_DISCH', senders: ['RJ1MB002', 'RR8MB001'], receivers: GP_MAILBOXES },
  // Pharmacy consultation summaries back to the patient's practice.
  { workflowId: 'PHARMACY_CONSULT_SUMMARY', senders: ['FA565MB01', 'FCG73MB01'], receivers: GP_MAILBOXES },
];

/**
 * Demo postcode areas, so NEMS's postcode rules (CHO_POSTCODE_CCG, UHV_POSTCODE_LACODE) match the
 * PDS sandbox patients (Leeds LS, North Lincolnshire DN15-DN20) and the demo practices' towns out of
 * the box: ICB sub locations by their ODS codes, local authorities by their ONS codes, at area or
 * district level. A deployment loads its own from the ONS postcode directory (admin API or CLI).
 */
export const DEMO_POSTCODE_AREAS: Array<{ kind: 'icb-sub-location' | 'local-authority'; odsCode: string; prefixes: string[] }> = [
  { kind: 'icb-sub-location', odsCode: '15F', prefixes: ['LS'] },
  { kind: 'local-authority', odsCode: 'E08000035', prefixes: ['LS'] },
  { kind: 'icb-sub-location', odsCode: '03K', prefixes: ['DN15', 'DN16', 'DN17', 'DN18', 'DN19', 'DN20'] },
  { kind: 'local-authority', odsCode: 'E06000013', prefixes: ['DN15', 'DN16', 'DN17', 'DN18', 'DN19', 'DN20'] },
  { kind: 'icb-sub-location', odsCode: '84H', prefixes: ['DL14'] },
  { kind: 'local-authority', odsCode: 'E06000047', prefixes: ['DL14'] },
  { kind: 'icb-sub-location', odsCode: '42D', prefixes: ['YO11'] },
  { kind: 'local-authority', odsCode: 'E06000065', prefixes: ['YO11'] },
  { kind: 'icb-sub-location', odsCode: '72Q', prefixes: ['SE1'] },
  { kind: 'local-authority', odsCode: 'E09000028', prefixes: ['SE1'] },
];
