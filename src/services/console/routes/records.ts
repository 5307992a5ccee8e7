import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { pointerTypes, pointersForPatient } from '../../record-locator/api.js';
import { prescriptionsForPatient } from '../../prescriptions/api.js';
import { optOutOfPatient } from '../../consent/api.js';
import { pageRoute } from '../http.js';
import { render } from '../render.js';
import { auditConsole } from '../audit.js';
import { ACCESS_REASONS } from './patients.js';

/**
 * A patient's prescriptions (the EPS tracker), NRL pointers and national data opt-out. A patient sees their own (the NHS
 * number of their login); an operator or privacy officer names the patient and gives a reason, as
 * on the patient look-up, and the look-up is audited with it under the patient's NHS number.
 */
const LIMIT = 100;
const text = (maxLength: number, pattern?: string) => ({ type: 'string', maxLength, ...(pattern ? { pattern } : {}) });
const LOOKUP_FORM = {
  type: 'object', required: ['_csrf', 'nhsNumber', 'reason'],
  properties: { _csrf: text(100), nhsNumber: text(10, '^\\d{10}$'), reason: { type: 'string', enum: [...ACCESS_REASONS] } },
};
const VIEW = { template: 'records.njk', title: 'Prescriptions and pointers', page: 'records' as const, reasons: ACCESS_REASONS };

export async function registerRecordRoutes(app: FastifyInstance, ctx: PlatformContext) {
  // NRL's own name for each record type, whatever display its producer sent.
  const typeNames = new Map(pointerTypes().map((t) => [t.type, t.display]));
  const typeOf = (coding: { system?: string; code?: string; display?: string } | undefined) =>
    (coding ? typeNames.get(`${coding.system}|${coding.code}`) ?? coding.display ?? coding.code : undefined) ?? '';
  async function show(request: FastifyRequest, reply: FastifyReply, nhsNumber: string, reason: string | undefined) {
    const [prescriptions, pointers, optOut] = await Promise.all([
      prescriptionsForPatient(ctx.db, nhsNumber, LIMIT), pointersForPatient(ctx.db, nhsNumber, LIMIT), optOutOfPatient(ctx.db, nhsNumber, ctx.clock.now()),
    ]);
    await auditConsole(ctx, request, {
      action: 'console.records.read', resource: `Patient/${nhsNumber}`, nhsNumbers: [nhsNumber],
      detail: { ...(reason ? { reason } : {}), prescriptions: prescriptions.length, pointers: pointers.total, optOutVersions: optOut.versions.length },
    });
    const rows = pointers.pointers.map((p) => ({
      id: p.id ?? '',
      type: typeOf(p.type?.coding?.[0]),
      custodian: p.custodian?.identifier?.value ?? '',
      date: p.date ?? (p.meta?.lastUpdated as string | undefined) ?? '',
      status: p.status ?? '',
      url: p.content?.[0]?.attachment?.url ?? '',
    }));
    return render(request, reply, {
      ...VIEW, own: request.consoleSession!.person.role === 'patient', form: { nhsNumber, reason }, nhsNumber,
      prescriptions, pointerTotal: pointers.total, pointers: rows, optOut,
    });
  }

  app.get('/records', pageRoute('records'), async (request, reply) => {
    const person = request.consoleSession!.person;
    if (person.role === 'patient' && person.nhsNumber) return show(request, reply, person.nhsNumber, undefined);
    return render(request, reply, { ...VIEW, form: {} });
  });

  app.post('/records', pageRoute('records', { body: LOOKUP_FORM }), async (request, reply) => {
    const person = request.consoleSession!.person;
    const form = request.body as { nhsNumber: string; reason: string };
    // A patient sees only their own record, whatever number the form carries.
    if (person.role === 'patient') return show(request, reply, person.nhsNumber!, undefined);
    return show(request, reply, form.nhsNumber, form.reason);
  });
}
