import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Activity } from '../auth/activities.js';
import { SpineError } from '../http/errors.js';
import type { AuditWriter } from './writer.js';
import { requestParty, type AuditEntry, type AuditOutcome } from './entry.js';

/** What a route's request was about, for its audit entry: the handler says so in `request.audited`. */
export interface AuditNote {
  /** The entry's action when it is not the route's (a replayed outcome, a sub-resource). */
  action?: string;
  resource?: string;
  nhsNumbers?: string[];
  /** Unset: 'success' for an answer below 400, else 'failure' with the error's code in `detail.error`. */
  outcome?: AuditOutcome;
  detail?: Record<string, unknown>;
  /** Who acted, when it is not the request's principal (MESH: the authenticated mailbox; NRL: the caller and the organisation it acts for). */
  actor?: { appId: string; appName?: string; odsCode?: string; userId?: string; roleProfileId?: string; roleCode?: string };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The platform records this route's audit entry, before the answer is sent, for every answer
     * to a request the handler has said it touched (`request.audited`): successes and failures.
     */
    audit?: { action: string };
  }
  interface FastifyRequest {
    /** Set by `auditContext`: the handler made its own audit entry for this request. */
    auditRecorded?: boolean;
    /** Set by `stageRouteAudit`: the request's entry committed with its write; the platform only has it chained. */
    auditStaged?: boolean;
    /** What a route with `config.audit` touched: the platform puts it in the entry. */
    audited?: AuditNote;
    /** The error the request failed with, for a failure entry (set by the platform's onError hook). */
    auditError?: unknown;
  }
}

/** Activities whose answers carry patient data (the audit trail names patients too). */
export const PATIENT_DATA_ACTIVITIES: ReadonlySet<Activity> = new Set<Activity>([
  'patient:read', 'patient:search', 'patient:write', 'patient:create', 'audit:read', 'audit:read-all',
  'consent:read', 'consent:write', 'consent:check', 'export:bulk',
  'prescription:prescribe', 'prescription:dispense', 'prescription:track',
  'record-locator:consume', 'record-locator:produce',
]);

/**
 * Audit by construction. A route declares `config.audit: { action }` and its handler says, in
 * `request.audited`, which patients and resource the request was about (and, where the route
 * decides it, the outcome and detail). The platform writes the entry in `onSend`, so it is durable
 * before the first byte goes out, and a failed write fails the request (503) instead of answering
 * un-audited. Once a request has said what it is about, a failure is audited too: with the
 * handler's outcome and detail, or as 'failure' with the error's code. A request refused before
 * its handler said anything (at the door, by authentication) has touched nothing and is not.
 * A route whose activity is a patient-data one and that declares no `config.audit` is refused
 * at registration: it could otherwise answer without an entry.
 */
export function registerRouteAudit(app: FastifyInstance, audit: AuditWriter) {
  app.addHook('onRoute', (route) => {
    const activity = route.config?.activity;
    if (activity && PATIENT_DATA_ACTIVITIES.has(activity) && !route.config?.audit) {
      throw new Error(`${[route.method].flat().join(',')} ${route.url} serves patient data ('${activity}') but declares no config.audit`);
    }
  });
  app.addHook('onError', (request, _reply, error, done) => {
    request.auditError = error;
    done();
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.auditStaged) {
      audit.chainSoon();
      return payload;
    }
    const action = request.routeOptions.config?.audit?.action;
    const note = request.audited;
    // Once (auditRecorded): if the write fails, the 503 that replaces the answer is not audited again.
    if (!action || !note || request.auditRecorded) return payload;
    const failed = reply.statusCode >= 400;
    const error = request.auditError instanceof SpineError ? request.auditError.spec.code : 'error';
    request.auditRecorded = true;
    try {
      await audit.record(routeEntry(request, action, note, failed ? error : undefined));
    } catch (err) {
      // An answer that is already a server failure (the database down, most often: the entry fails
      // for the same reason) serves no patient data: it keeps its own, API-shaped answer rather
      // than becoming the platform's 503. Any other answer must not go out un-audited.
      if (reply.statusCode < 500) throw err;
      request.log.warn({ err }, 'the audit entry of a failed request could not be written');
    }
    return payload;
  });
}

/** The entry for a request `note` describes: a failure with the error's code, unless the note gives the outcome. */
function routeEntry(request: FastifyRequest, action: string, note: AuditNote, error?: string): AuditEntry {
  const failed = error !== undefined;
  const who = note.actor ? { requestId: String(request.id), clientAddress: request.ip, ...note.actor } : requestParty(request);
  return {
    ...who,
    action: note.action ?? action,
    resource: note.resource,
    nhsNumbers: note.nhsNumbers ?? [],
    outcome: note.outcome ?? (failed ? 'failure' : 'success'),
    detail: note.outcome === undefined && failed ? { ...note.detail, error } : note.detail,
  };
}

/** A write that records its request's success entry in its own transaction (`stageRouteAudit`). */
export interface StagedAudit {
  /** The success entry's stored form for what the write touched: insert it with the write. */
  entry(note: AuditNote): string;
  /** Call once the write has committed: the request is audited, with the last note given. */
  committed(): void;
}

/**
 * For a route with `config.audit` whose write should carry its own entry: the write and the entry
 * then commit together, so a committed write is never answered 503 for want of its entry (a client
 * would retry it and write it twice) and needs no second round trip to be audited. Until
 * `committed()`, the request is audited as any other: a write that fails or rolls back gets the
 * platform's failure entry in `onSend`, with whatever `request.audited` says by then.
 */
export function stageRouteAudit(request: FastifyRequest, audit: AuditWriter): StagedAudit {
  const action = request.routeOptions.config?.audit?.action;
  if (!action) throw new Error(`${request.method} ${request.routeOptions.url} stages an audit entry but declares no config.audit`);
  let staged: AuditNote | undefined;
  return {
    entry(note) {
      staged = note;
      return audit.pending(routeEntry(request, action, note));
    },
    committed() {
      if (!staged) throw new Error('committed() before any entry was staged');
      request.audited = staged;
      request.auditStaged = true;
    },
  };
}
