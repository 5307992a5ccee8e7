import type { Queryable } from '../../platform/db/pool.js';
import * as organisations from './store/organisations.js';
import * as mesh from './store/mesh.js';
import * as certificates from './store/signing-certificates.js';
import { X509Certificate } from 'node:crypto';
import * as postcodeAreas from './store/postcode-areas.js';
import { normalisePostcode, normalisePrefix, postcodePrefixes, type AreaKind } from './domain/postcode-areas.js';
export type { AreaKind } from './domain/postcode-areas.js';
export { normalisePostcode } from './domain/postcode-areas.js';

/**
 * The directory's contract with other services (MESH, identity, EPS…): organisations and MESH
 * mailboxes/workflows. Other services use only this file, never the directory's tables.
 */

export const ORGANISATION_ROLES = ['gp-practice', 'nhs-trust', 'pharmacy', 'other'] as const;
export type OrganisationRole = (typeof ORGANISATION_ROLES)[number];

export interface Organisation {
  odsCode: string;
  name: string;
  role: OrganisationRole;
  parentOdsCode?: string;
  active: boolean;
  postcode?: string;
}

export interface MeshMailbox {
  /** Upper case, e.g. X26ABC1. */
  mailboxId: string;
  mailboxName: string;
  odsCode: string;
  orgCode: string;
  billingEntity?: string;
  /** Needed in clear to check the NHSMESH HMAC (the password is part of the signed string). */
  password: string;
  active: boolean;
}

export interface MeshWorkflow {
  workflowId: string;
  senders: string[];
  receivers: string[];
}

export interface DirectoryApi {
  getOrganisation(odsCode: string): Promise<Organisation | undefined>;
  listOrganisations(filter?: { role?: OrganisationRole; limit?: number }): Promise<Organisation[]>;
  /** Organisations disabled (not active): identity refuses their applications' and users' tokens, MESH their mailboxes. */
  inactiveOrganisationCodes(): Promise<string[]>;
  /**
   * A parent that would make the organisation its own ancestor (a cycle of any length) is refused with
   * an InvalidFieldError on `parentOdsCode`, and nothing is written. Race-safe when bound to the pool
   * (`ctx.db`: its own transaction) or to a transaction's client (the caller's).
   */
  upsertOrganisation(org: Organisation, options?: { keepParent?: boolean }): Promise<void>;
  /** Enables or disables an organisation, and nothing else about it (one statement); false when there is none. */
  setOrganisationActive(odsCode: string, active: boolean): Promise<boolean>;
  getMailbox(mailboxId: string): Promise<MeshMailbox | undefined>;
  /** The mailbox as MESH takes it: `active` false too when its organisation is disabled (it neither authenticates nor receives). */
  mailboxInService(mailboxId: string): Promise<MeshMailbox | undefined>;
  /** `keepPassword`: an existing mailbox keeps the password it has as the row is written (the given one is for a new mailbox). */
  upsertMailbox(mailbox: MeshMailbox, options?: { keepPassword?: boolean }): Promise<void>;
  /** Enables or disables a mailbox, and nothing else about it (one statement); false when there is none. */
  setMailboxActive(mailboxId: string, active: boolean): Promise<boolean>;
  /** The ids among these (any case) that name no mailbox in the directory, upper case and sorted. */
  unknownMailboxIds(mailboxIds: string[]): Promise<string[]>;
  /** MESH endpoint lookup: active mailboxes (of organisations not disabled) of an ODS code that may receive a workflow. */
  mailboxesForOdsAndWorkflow(odsCode: string, workflowId: string): Promise<MeshMailbox[]>;
  /** MESH workflow search: active mailboxes (of organisations not disabled) that receive a workflow. */
  mailboxesReceivingWorkflow(workflowId: string): Promise<MeshMailbox[]>;
  upsertWorkflow(workflow: MeshWorkflow): Promise<void>;
  getWorkflow(workflowId: string): Promise<MeshWorkflow | undefined>;
  /** EPS: registers a prescriber's signing certificate (PEM) for an SDS user id, or '*' for a trusted CA. */
  registerSigningCertificate(subject: string, pem: string): Promise<void>;
  /** EPS: the certificates registered for these subjects (PEM). */
  signingCertificates(subjects: string[]): Promise<Array<{ subject: string; pem: string }>>;
  /** Up to 1000 at a time, by id. */
  listMailboxes(filter?: { odsCode?: string; limit?: number; offset?: number }): Promise<MeshMailbox[]>;
  listWorkflows(filter?: { limit?: number; offset?: number }): Promise<MeshWorkflow[]>;
  /** NEMS postcode rules: the ICB sub location and local authority responsible for a postcode (longest matching prefix). */
  areasOfPostcode(postcode: string): Promise<Partial<Record<AreaKind, string>>>;
  /** Sets the postcode prefixes (`LS`, `LS1`, `LS1 6`, `LS1 6AE`) an ICB sub location or local authority is responsible for. */
  setPostcodeAreas(kind: AreaKind, odsCode: string, prefixes: string[]): Promise<void>;
}

/** Bound to a Queryable (pool or transaction), so a caller can include directory reads in its own transaction. */
export function directoryApi(db: Queryable): DirectoryApi {
  return {
    areasOfPostcode: (postcode) => postcodeAreas.areasOfPrefixes(db, postcodePrefixes(postcode)),
    async setPostcodeAreas(kind, odsCode, prefixes) {
      const normalised = prefixes.map((p) => {
        const n = normalisePrefix(p);
        if (!n) throw new Error(`'${p}' is not a postcode prefix (area, district, sector or postcode)`);
        return n;
      });
      await postcodeAreas.setPostcodeAreas(db, kind, odsCode.toUpperCase(), [...new Set(normalised)]);
    },
    getOrganisation: (odsCode) => organisations.findOrganisation(db, odsCode.toUpperCase()),
    listOrganisations: (filter = {}) => organisations.listOrganisations(db, filter),
    inactiveOrganisationCodes: () => organisations.inactiveOrganisationCodes(db),
    upsertOrganisation: (org, options) => organisations.upsertOrganisation(db, {
      ...org,
      odsCode: org.odsCode.toUpperCase(),
      ...(org.parentOdsCode ? { parentOdsCode: org.parentOdsCode.toUpperCase() } : {}),
      // A UK postcode in its standard form (`LS1 6AE`); anything else (a seed's foreign address) as given.
      ...(org.postcode ? { postcode: normalisePostcode(org.postcode) ?? org.postcode.trim() } : {}),
    }, options),
    setOrganisationActive: (odsCode, active) => organisations.setOrganisationActive(db, odsCode.toUpperCase(), active),
    // Mailbox ids are upper case everywhere; MESH clients send them in any case.
    getMailbox: (mailboxId) => mesh.findMailbox(db, mailboxId.toUpperCase()),
    mailboxInService: (mailboxId) => mesh.findMailboxInService(db, mailboxId.toUpperCase()),
    upsertMailbox: (mailbox, options) => mesh.upsertMailbox(db, { ...mailbox, mailboxId: mailbox.mailboxId.toUpperCase() }, options),
    setMailboxActive: (mailboxId, active) => mesh.setMailboxActive(db, mailboxId.toUpperCase(), active),
    unknownMailboxIds: (mailboxIds) => mesh.unknownMailboxIds(db, [...new Set(mailboxIds.map((m) => m.toUpperCase()))]),
    mailboxesForOdsAndWorkflow: (odsCode, workflowId) => mesh.mailboxesForOdsAndWorkflow(db, odsCode, workflowId),
    mailboxesReceivingWorkflow: (workflowId) => mesh.mailboxesReceivingWorkflow(db, workflowId),
    upsertWorkflow: (workflow) => mesh.upsertWorkflow(db, {
      workflowId: workflow.workflowId,
      senders: workflow.senders.map((m) => m.toUpperCase()),
      receivers: workflow.receivers.map((m) => m.toUpperCase()),
    }),
    getWorkflow: (workflowId) => mesh.findWorkflow(db, workflowId),
    registerSigningCertificate: async (subject, pem) => {
      const certificate = new X509Certificate(pem); // throws on what is not a certificate
      await certificates.insertSigningCertificate(db, subject, certificate.fingerprint256, certificate.toString());
    },
    signingCertificates: (subjects) => certificates.findSigningCertificates(db, subjects),
    listMailboxes: (filter = {}) => mesh.listMailboxes(db, filter),
    listWorkflows: (filter = {}) => mesh.listWorkflows(db, filter),
  };
}

export { parseMeshMailboxLine, parseMeshWorkflowLine } from './mesh-lines.js';
export { DISPLAY_NAME_PATTERN } from './fields.js';
