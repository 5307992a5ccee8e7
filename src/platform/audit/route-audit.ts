import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Activity } from '../auth/activities.js';
import type { AuditWriter } from './writer.js';
import { auditContext } from './entry.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The platform records this route's audit entry for every successful response, before it is
     * sent; the handler only says what it touched in `request.audited`.
     */
    audit?: { action: string };
  }
  interface FastifyRequest {
    /** Set by `auditContext`: the handler made its own audit entry for this request. */
    auditRecorded?: boolean;
    /** What a route with `config.audit` touched: the platform puts it in the entry. */
    audited?: { resource?: string; nhsNumbers?: string[]; detail?: Record<string, unknown> };
  }
}

/** Activities whose successful responses carry patient data (the audit trail names patients too). */
export const PATIENT_DATA_ACTIVITIES: ReadonlySet<Activity> = new Set<Activity>([
  'patient:read', 'patient:search', 'patient:write', 'patient:create', 'audit:read', 'audit:read-all',
  'prescription:prescribe', 'prescription:dispense', 'prescription:track',
]);

/**
 * Audit by construction: a successful response of a route that declares `config.audit`, or whose
 * activity is a patient-data one, is never sent without an audit entry. Routes that make their own
 * entry (through `auditContext`) are left alone; for the others the platform records one here, in
 * `onSend`, so it is durable before the first byte goes out, and a failed write fails the request
 * (503) instead of answering un-audited. A patient-data route that made no entry and declared no
 * `config.audit` is a defect: it is still audited, under its activity's name, and logged.
 */
export function registerRouteAudit(app: FastifyInstance, audit: AuditWriter, log: Logger) {
  app.addHook('onSend', async (request, reply, payload) => {
    const config = request.routeOptions.config;
    const activity = config?.activity;
    if (!activity || request.auditRecorded || reply.statusCode >= 400) return payload;
    if (!config.audit && !PATIENT_DATA_ACTIVITIES.has(activity)) return payload;
    const touched = request.audited ?? {};
    if (config.audit) {
      await audit.record({ ...auditContext(request), action: config.audit.action, resource: touched.resource, nhsNumbers: touched.nhsNumbers ?? [], outcome: 'success', detail: touched.detail });
      return payload;
    }
    log.warn({ route: request.routeOptions.url, method: request.method }, 'patient-data route made no audit entry: the platform recorded one');
    await audit.record({
      ...auditContext(request),
      action: activity.replace(':', '.'),
      resource: touched.resource ?? request.routeOptions.url,
      nhsNumbers: touched.nhsNumbers ?? [],
      outcome: 'success',
      detail: { ...touched.detail, method: request.method, status: reply.statusCode },
    });
    return payload;
  });
}
