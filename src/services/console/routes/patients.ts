import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { demographicsApi, isRestricted } from '../../demographics/api.js';
import { pageRoute } from '../http.js';
import { render } from '../render.js';
import { auditConsole } from '../audit.js';
import { patientSummary } from '../patient-summary.js';
import { mayView } from '../pages.js';

/** Why someone looks a patient up: recorded in the audit trail with the access (legitimate relationship). */
export const ACCESS_REASONS = ['Service desk enquiry', 'Data quality investigation', 'Message delivery investigation', 'Patient request'] as const;
const SEARCH_LIMIT = 10;

const text = (maxLength: number, pattern?: string) => ({ type: 'string', maxLength, ...(pattern ? { pattern } : {}) });
const REASON = { type: 'string', enum: [...ACCESS_REASONS] };
const READ_FORM = {
  type: 'object', required: ['_csrf', 'nhsNumber', 'reason'],
  properties: { _csrf: text(100), nhsNumber: text(10, '^\\d{10}$'), reason: REASON },
};
const SEARCH_FORM = {
  type: 'object', required: ['_csrf', 'family', 'reason'],
  properties: {
    _csrf: text(100), family: text(35, '^\\S.*$'), given: text(35), birthdate: text(10, '^(|\\d{4}-\\d{2}-\\d{2})$'),
    gender: { type: 'string', enum: ['', 'male', 'female', 'other', 'unknown'] }, postcode: text(10), reason: REASON,
  },
};

export async function registerPatientRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const pds = demographicsApi(ctx.db);
  const view = { template: 'patients.njk', title: 'Patient look-up', page: 'patients' as const, reasons: ACCESS_REASONS };
  // From a found patient straight to their prescriptions and pointers, for the same reason (when the role may see them).
  const records = (request: FastifyRequest) => ({ mayViewRecords: mayView(request.consoleSession!.person.role, 'records') });

  app.get('/patients', pageRoute('patients'), async (request, reply) => render(request, reply, { ...view, form: {} }));

  app.post('/patients/read', pageRoute('patients', { body: READ_FORM }), async (request, reply) => {
    const form = request.body as { nhsNumber: string; reason: string };
    const found = await pds.readPatient(form.nhsNumber);
    await auditConsole(ctx, request, {
      action: 'patient.read', resource: `Patient/${form.nhsNumber}`, nhsNumbers: found ? [...new Set([form.nhsNumber, found.patient.id])] : [form.nhsNumber],
      outcome: found ? 'success' : 'failure', detail: { reason: form.reason, found: Boolean(found) },
    });
    return render(request, reply, {
      ...view, ...records(request), form, searched: 'read', status: found ? 200 : 404,
      results: found ? [patientSummary(found.patient, found.restricted)] : [],
    });
  });

  app.post('/patients/search', pageRoute('patients', { body: SEARCH_FORM }), async (request, reply) => {
    const form = request.body as { family: string; given?: string; birthdate?: string; gender?: string; postcode?: string; reason: string };
    const parameters: Record<string, string> = { family: form.family.trim() };
    if (form.given?.trim()) parameters.given = form.given.trim();
    if (form.birthdate) parameters.birthdate = `eq${form.birthdate}`;
    if (form.gender) parameters.gender = form.gender;
    if (form.postcode?.trim()) parameters['address-postalcode'] = form.postcode.trim();
    const matches = await pds.searchPatients(parameters, SEARCH_LIMIT);
    const results = matches === 'too-many' ? [] : matches.map((m) => ({ ...patientSummary(m.patient, isRestricted(m.patient)), score: m.score }));
    await auditConsole(ctx, request, {
      action: 'patient.search', nhsNumbers: results.map((r) => r.nhsNumber),
      detail: { reason: form.reason, parameters: Object.keys(parameters).sort(), matches: matches === 'too-many' ? 'too-many' : results.length },
    });
    // Search results name only who matched: the address of a restricted record is not shown in a list.
    return render(request, reply, { ...view, ...records(request), form, searched: 'search', tooMany: matches === 'too-many', results: results.map((r) => ({ ...r, address: undefined, telecom: undefined })) });
  });
}
