import type { FastifyRequest } from 'fastify';
import { auditContext } from '../../platform/audit/entry.js';
import type { PlatformContext } from '../../platform/service.js';

/** The prescriptions service's audit vocabulary: every operation on a prescription, by whom. */
export type PrescriptionAction =
  | 'prescription.prepare' | 'prescription.create' | 'prescription.cancel' | 'prescription.validate'
  | 'prescription.release' | 'prescription.dispense' | 'prescription.return' | 'prescription.withdraw' | 'prescription.claim'
  | 'prescription.track';

/** Awaited before the response is sent: the answer leaves only once its audit record is durable. */
export async function auditPrescriptions(ctx: PlatformContext, request: FastifyRequest, action: PrescriptionAction,
  touched: { shortFormIds: string[]; nhsNumbers: string[]; detail?: Record<string, unknown> }) {
  await ctx.audit.record({
    ...auditContext(request),
    action,
    resource: touched.shortFormIds.length === 1 ? `Prescription/${touched.shortFormIds[0]}` : undefined,
    nhsNumbers: touched.nhsNumbers,
    outcome: 'success',
    detail: { prescriptions: touched.shortFormIds.slice(0, 25), ...touched.detail },
  });
}
