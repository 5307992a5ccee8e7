import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { pageRoute } from '../http.js';
import { render, renderFragment } from '../render.js';
import { auditConsole } from '../audit.js';
import { lineChart } from '../overview/chart.js';
import { summarise, windowStartMs, type ServiceTraffic } from '../overview/traffic.js';
import { trafficSince } from '../../../platform/http/traffic-minutes.js';

/** How often the page's script refreshes the live panel; processes add their counts every 5 s. */
const REFRESH_SECONDS = 15;

const DB_CHECK_TIMEOUT_MS = 800;
/** Past this share of 5xx answers in five minutes a service shows as failing. */
const FAILING_ERROR_RATE_PERCENT = 5;

async function databaseHealth(ctx: PlatformContext): Promise<{ ok: boolean; ms?: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), DB_CHECK_TIMEOUT_MS); });
  try {
    const answered = await Promise.race([ctx.db.query('SELECT 1').then(() => true), timeout]);
    return answered ? { ok: true, ms: Math.round(performance.now() - started) } : { ok: false };
  } catch {
    return { ok: false };
  } finally {
    clearTimeout(timer);
  }
}

const round = (value: number | null, digits = 0) => (value === null ? null : Number(value.toFixed(digits)));

/**
 * The charts show complete minutes: the minute in progress (and the last seconds not yet added by
 * every process) would draw every line falling to the right. At least two points, so a line shows.
 */
function completeMinutes(traffic: ServiceTraffic) {
  const complete = traffic.minutes.slice(0, -1);
  const padding = Array.from({ length: Math.max(0, 2 - complete.length) }, () => ({ requests: 0, errorRatePercent: null, p95Ms: null }));
  return [...padding, ...complete];
}

function serviceView(traffic: ServiceTraffic) {
  const minutes = completeMinutes(traffic);
  const status = traffic.recentErrorRatePercent !== null && traffic.recentErrorRatePercent > FAILING_ERROR_RATE_PERCENT
    ? { text: 'Failing', colour: 'red' } : { text: 'Running', colour: 'green' };
  return {
    ...traffic,
    status,
    errorRate: round(traffic.errorRatePercent, 1),
    meanMs: round(traffic.meanMs, 1),
    p95Ms: round(traffic.p95Ms, 1),
    minutesCharted: traffic.minutes.length,
    charts: {
      requests: lineChart(minutes.map((m) => m.requests), 5),
      errors: lineChart(minutes.map((m) => (m.errorRatePercent === null ? null : round(m.errorRatePercent, 1))), 1),
      latency: lineChart(minutes.map((m) => m.p95Ms), 10),
    },
  };
}

export async function registerOverviewRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const traffic = async (): Promise<ServiceTraffic[]> => {
    const now = ctx.clock.now().getTime();
    return summarise(await trafficSince(ctx.db, windowStartMs(now)), now, ctx.config.services);
  };
  const panel = async (request: FastifyRequest) => {
    const [database, services] = await Promise.all([databaseHealth(ctx), traffic()]);
    return { database, services: services.map(serviceView), updatedAt: ctx.clock.now(), refreshSeconds: REFRESH_SECONDS, request };
  };

  app.get('/overview', pageRoute('overview'), async (request, reply) => {
    await auditConsole(ctx, request, { action: 'console.overview.view' });
    return render(request, reply, { template: 'overview.njk', title: 'Overview', page: 'overview', ...(await panel(request)) });
  });

  // The overview's live panel alone, which the page's small script fetches to refresh in place.
  // Not audited per refresh: it shows no patient data, and opening the page was.
  app.get('/overview/live', pageRoute('overview'), async (request, reply) => {
    return reply.type('text/html; charset=utf-8').send(renderFragment(request, 'overview-panel.njk', await panel(request)));
  });
}
