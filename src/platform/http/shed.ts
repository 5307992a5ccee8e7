import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { FastifyServerFactory } from 'fastify';
import { AdaptiveLimit } from './adaptive-limit.js';
import { ReceivingBodies, StalledBodies } from './stalled-bodies.js';
import { renderedAnswers, SHED_RETRY_AFTER_SECONDS, type OverloadAnswer, type Rendered } from './shed-answers.js';

/** The options Fastify hands its server factory (its own, after defaults), as far as they concern the server. */
interface ServerFactoryOptions {
  https?: https.ServerOptions | null;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

const LATENCY_SAMPLES = 4096;

/** Health checks answered beside the limit at once; more than this are admitted like any request. */
export const HEALTH_IN_FLIGHT = 16;

/**
 * `/_ping` and `/_status`, the platform's and each API's own: what a load balancer and monitoring ask,
 * and most need an answer from, when the process is overloaded. Shedding them would take a busy but
 * healthy process out of rotation and move its load onto the others.
 */
export function isHealthCheck(url: string): boolean {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  return path.endsWith('/_ping') || path.endsWith('/_status');
}

const carriesBody = (request: IncomingMessage) => request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/** A body not in when a retry would have come: its client is slow, not the server (StalledBodies). */
const STALLED_BODY_MS = SHED_RETRY_AFTER_SECONDS * 1000;

const HELD = Symbol('held back after a shed');
type Holdable = Socket & { [HELD]?: boolean };

/**
 * A client that ignores `Retry-After` and asks again at once on the same connection waits it out
 * anyway: the connection is not read for that long, so its next request waits in the kernel's
 * socket buffer (TCP pushes back; no memory here) instead of costing another shed straight away.
 * Without this a closed loop of rejected clients spends on sheds the CPU the admitted requests
 * need. Node's HTTP server stops and restarts reading the socket on 'pause' and 'resume'.
 * The hold lasts between half and the whole of the `Retry-After`, at random: connections shed in
 * one burst would otherwise all come back in the same instant a second later, and refusing
 * hundreds of them at once stalls the event loop under the requests it did admit (a client that
 * honours `Retry-After` waits the whole second itself, so it never meets the hold).
 */
export const holdBackMs = (random = Math.random()) => SHED_RETRY_AFTER_SECONDS * 1000 * (0.5 + 0.5 * random);

function holdBack(socket: Holdable) {
  if (socket.destroyed || socket[HELD]) return;
  socket[HELD] = true;
  socket.pause();
  setTimeout(() => {
    socket[HELD] = false;
    if (!socket.destroyed) socket.resume();
  }, holdBackMs()).unref();
}

export interface Admission {
  /**
   * Fastify's `serverFactory`: the HTTP(S) server whose request listener sheds before Fastify's
   * handler (typed for HTTPS, the overload that accepts Fastify's `https` option; plain HTTP without it).
   */
  serverFactory: FastifyServerFactory<https.Server>;
  /** Requests admitted and not yet answered (not counting those waiting to be admitted). */
  inFlight(): number;
  /** Requests that may be in progress now (the adaptive limit's current value; 0: no limit). */
  limit(): number;
  /** Requests shed so far (for metrics). */
  shed(): number;
  /** Requests waiting to be admitted. */
  waiting(): number;
  /** Milliseconds from arrival (waiting included) to the end of the response, of the last admitted requests (up to 4096). */
  recentLatenciesMs(): number[];
  /** Of the same requests, the part of that spent waiting for admission. */
  recentWaitsMs(): number[];
  /** A further reason to shed, checked per request after the in-flight count (event-loop lag, heap). */
  alsoShedWhile(pressure: () => boolean): void;
}

/** The admission limit: fixed when `minInFlight` equals `maxInFlight`, adaptive between them otherwise; 0 admits everything. */
export interface AdmissionLimits {
  minInFlight: number;
  maxInFlight: number;
  /**
   * The in-server latency (arrival to the end of the answer, waiting included) that admitted requests
   * are held to while the process is overloaded (a standing queue or an overflowing waiting room within the last
   * OVERLOAD_MEMORY_MS): a waiter is shed once it could no longer be served within it (it has waited
   * longer than 80% of the target less the recent p99 of service time, between a tenth and 40% of the
   * target), and an adaptive limit keeps the p90 of service time within half of it. Outside overload
   * a burst may wait as long as a retry would take. 0: no target (a burst's wait applies always).
   */
  latencyTargetMs: number;
}
/**
 * How long after it last saw overload (a standing queue, or its waiting room overflowing) the process
 * counts as overloaded: past the moment the clients it refused come back (held back up to one
 * Retry-After, then waiting one), so each wave of returning clients meets the overload's short waits,
 * not a burst's long ones (with 1 s, the waits at each wave's onset took the admitted p99 to 68-82 ms).
 */
const OVERLOAD_MEMORY_MS = 3 * SHED_RETRY_AFTER_SECONDS * 1000;
/**
 * A standing queue, as CoDel defines it: over an interval of this length every request admitted had
 * waited at least a 25th of the latency target (2 ms of 50). A burst drains within it; a queue that does not is
 * overload even before the waiting room overflows (refused connections coming back at random
 * moments keep it from ever overflowing).
 */
const STANDING_INTERVAL_MS = 50;
/** In overload, the share of the latency target that a waiter's wait and the recent service p99 may take together. */
const OVERLOAD_AIM = 0.8;

/**
 * Load shedding at the door of the process. Every request is counted on the raw Node server, before
 * Fastify builds its request and reply, parses a body, routes or runs a hook. Up to the limit
 * (adaptive-limit.ts: it follows the service time of what is admitted, between `minInFlight` and
 * `maxInFlight`) requests are in progress; up to `maxInFlight` more may wait, in arrival order, for
 * one of them to finish, but never longer than a retry would take (`Retry-After`), so a burst is
 * served while sustained overload is refused; once the queue stands or the waiting room has
 * overflowed (overload, not a burst) only as long as it could still be served within `latencyTargetMs`, and the limit then
 * follows that target too (adaptive-limit.ts), so that what is admitted is served within it. Any other request (and any while `alsoShedWhile` says so) is answered at once with a pre-rendered 503 and `Retry-After`, in the shape of the API its path belongs to. A
 * shed request costs only Node's own header parsing and one write, so the admitted requests keep
 * the event loop, and memory stays bounded whatever the number of connections: at most three times
 * `maxInFlight` requests hold state beyond their headers (in flight, waiting, and those whose client
 * is slow to send the body, which give their place back: `admit`). A shed request that carries a body is
 * answered with `Connection: close` rather than reading a body nobody will use; after any other
 * the connection is held back for a jittered half to whole `Retry-After` (`holdBack`). Health checks (`isHealthCheck`) are
 * answered beside the limit, up to HEALTH_IN_FLIGHT at once. A `maxInFlight` of 0 admits everything.
 */
export function createAdmission(limits: AdmissionLimits, answers: readonly OverloadAnswer[]): Admission {
  const table = renderedAnswers(answers);
  const unlimited = limits.maxInFlight === 0;
  const min = Math.min(limits.minInFlight, limits.maxInFlight);
  // It starts where the fixed limit used to be (twice the minimum, the pool) and learns from there.
  const target = limits.latencyTargetMs;
  const limit = new AdaptiveLimit(min, limits.maxInFlight, 2 * min, undefined, undefined, target > 0 ? target / 2 : undefined);
  const maxWaiting = limits.maxInFlight;
  const burstWaitMs = SHED_RETRY_AFTER_SECONDS * 1000;
  /**
   * In overload: what is left of the target once the recent slowest answers' own time is taken. Aimed
   * a fifth inside the target: a wait and a service time each near their own p99 together land past
   * both, and the sweeper's timer fires late on a busy loop (aimed at the target itself, the admitted
   * p99 came out at 50-59 ms of 50).
   */
  const overloadWaitMs = () => (target > 0 ? Math.min(burstWaitMs, Math.max(target / 10, Math.min(target * 0.4, OVERLOAD_AIM * target - limit.serviceP99Ms))) : burstWaitMs);
  let overloadSeenAt = Number.NEGATIVE_INFINITY;
  const standingWaitMs = target / 25;
  let intervalStart = performance.now();
  let intervalMinWaitMs = Number.POSITIVE_INFINITY;

  /** CoDel's test, per admission: an interval in which nobody got in without waiting is a standing queue. */
  function noteWait(waitedMs: number, now: number) {
    intervalMinWaitMs = Math.min(intervalMinWaitMs, waitedMs);
    if (now - intervalStart < STANDING_INTERVAL_MS) return;
    // Standing, and longer than twice the limit: more clients than a closed loop of a few dozen, which
    // a saturated server serves in turn (its queue is bounded by its clients), should be refused.
    if (target > 0 && intervalMinWaitMs >= standingWaitMs && waiting.length >= 2 * limit.current) overloadSeenAt = now;
    intervalStart = now;
    intervalMinWaitMs = Number.POSITIVE_INFINITY;
  }
  let inFlight = 0;
  const stalledBodies = StalledBodies.forLimit(limits.maxInFlight);
  const receiving = new ReceivingBodies();
  let healthInFlight = 0;
  let shed = 0;
  let pressure: () => boolean = () => false;
  let serve: (request: IncomingMessage, response: ServerResponse) => void = () => undefined;
  const waiting: Array<{ request: IncomingMessage; response: ServerResponse; since: number }> = [];
  let sweeper: NodeJS.Timeout | undefined;
  /** How often the sweeper looks at least, when the first waiter's deadline is further off. */
  const SWEEP_MAX_MS = 100;
  const latencies = new Float64Array(LATENCY_SAMPLES);
  const waits = new Float64Array(LATENCY_SAMPLES);
  let answered = 0;

  function answerFor(request: IncomingMessage): Rendered {
    const url = request.url ?? '/';
    for (const entry of table) {
      if (url.startsWith(entry.prefix) && (!entry.fits || entry.fits(request.headers))) return entry;
    }
    return table.at(-1)!;
  }

  function refuse(request: IncomingMessage, response: ServerResponse) {
    shed += 1;
    const answer = answerFor(request);
    const head = [...answer.head];
    const { 'x-request-id': requestId, 'x-correlation-id': correlationId } = request.headers;
    if (typeof requestId === 'string') head.push('X-Request-ID', requestId);
    if (typeof correlationId === 'string') head.push('X-Correlation-ID', correlationId);
    const hasBody = carriesBody(request);
    if (hasBody) head.push('Connection', 'close');
    response.writeHead(503, head);
    response.end(answer.body);
    if (!hasBody) response.once('finish', () => holdBack(request.socket));
  }

  /**
   * Latency is counted from arrival, waiting included. A request whose body is still arriving a
   * retry's time after it was admitted gives its place back while its client sends (StalledBodies)
   * and takes one again once the body is in; its latency, mostly its client's, is not recorded.
   */
  function admit(request: IncomingMessage, response: ServerResponse, arrived: number) {
    inFlight += 1;
    const admitted = performance.now();
    noteWait(admitted - arrived, admitted);
    let state: 'counted' | 'stalled' | 'resumed' | 'dropped' = 'counted';
    const address = request.socket.remoteAddress ?? '';
    /** Its place given back while its client sends: kept among the stalled bodies, or its connection dropped. */
    const giveBack = () => {
      receiving.forget(request);
      if (request.complete || state !== 'counted') return;
      inFlight -= 1;
      if (stalledBodies.enter(address)) {
        state = 'stalled';
        request.once('end', () => {
          if (state !== 'stalled') return;
          stalledBodies.leave(address);
          inFlight += 1;
          state = 'resumed';
        });
      } else {
        state = 'dropped';
        shed += 1;
        request.socket.destroy();
      }
    };
    const watched = !unlimited && carriesBody(request) && !request.complete;
    if (watched) receiving.watch(request, admitted, giveBack);
    const watch = watched ? setTimeout(() => {
      giveBack();
      admitWaiting();
    }, STALLED_BODY_MS).unref() : undefined;
    // 'close' comes once per response, whether it was sent or its connection was lost first.
    response.once('close', () => {
      clearTimeout(watch);
      if (watched) receiving.forget(request);
      if (state === 'stalled') stalledBodies.leave(address);
      if (state === 'counted' || state === 'resumed') inFlight -= 1;
      if (state === 'counted') {
        const now = performance.now();
        waits[answered % LATENCY_SAMPLES] = admitted - arrived;
        latencies[answered++ % LATENCY_SAMPLES] = now - arrived;
        limit.record(now - admitted, now);
      }
      admitWaiting();
    });
    serve(request, response);
  }

  const overloaded = (now: number) => now - overloadSeenAt < OVERLOAD_MEMORY_MS;

  /**
   * Sheds the waiting requests that have waited too long (in overload, as long as they could still be
   * served within the latency target; otherwise as long as a retry would take); drops those whose
   * client left.
   */
  function shedStale(now: number) {
    if (waiting.length > 0) receiving.yieldSlow(now);
    const maxWaitMs = overloaded(now) ? overloadWaitMs() : burstWaitMs;
    while (waiting.length > 0 && (waiting[0]!.request.socket.destroyed || now - waiting[0]!.since >= maxWaitMs)) {
      const stale = waiting.shift()!;
      if (!stale.request.socket.destroyed) refuse(stale.request, stale.response);
    }
    if (sweeper) clearTimeout(sweeper);
    sweeper = undefined;
    // The next look is when the first waiter's time is up (capped: the state may change meanwhile).
    if (waiting.length > 0) {
      const due = Math.min(SWEEP_MAX_MS, Math.max(1, waiting[0]!.since + maxWaitMs - now));
      sweeper = setTimeout(admitWaiting, due).unref();
    }
  }


  function admitWaiting() {
    shedStale(performance.now());
    while (inFlight < limit.current && waiting.length > 0) {
      const next = waiting.shift()!;
      if (!next.request.socket.destroyed) admit(next.request, next.response, next.since);
    }
  }

  function wait(request: IncomingMessage, response: ServerResponse, arrived: number) {
    waiting.push({ request, response, since: arrived });
    if (!sweeper) admitWaiting();
  }

  function checkHealth(request: IncomingMessage, response: ServerResponse) {
    healthInFlight += 1;
    response.once('close', () => { healthInFlight -= 1; });
    serve(request, response);
  }

  function arrive(request: IncomingMessage, response: ServerResponse) {
    if (healthInFlight < HEALTH_IN_FLIGHT && isHealthCheck(request.url ?? '/')) {
      checkHealth(request, response);
      return;
    }
    const arrived = performance.now();
    if (unlimited || (inFlight < limit.current && waiting.length === 0)) {
      if (!pressure()) admit(request, response, arrived);
      else refuse(request, response);
      return;
    }
    if (overloaded(arrived)) limit.noteOverloaded();
    else limit.noteSaturated();
    // The waiting room is as large as the limit may grow, whatever it is now: a burst waits rather than
    // being refused; a request that waits longer than a retry would take is shed all the same. Once it
    // overflows the load is no burst: waits are held to the latency target until it has not for a while.
    if (waiting.length < maxWaiting && !pressure()) {
      wait(request, response, arrived);
      return;
    }
    if (waiting.length >= maxWaiting) {
      overloadSeenAt = arrived;
      limit.noteOverloaded();
      shedStale(arrived);
    }
    refuse(request, response);
  }

  const serverFactory: FastifyServerFactory<https.Server> = (handler, fastifyOptions) => {
    const options = fastifyOptions as ServerFactoryOptions;
    serve = handler;
    const listener = arrive;
    // As Fastify makes its own server (fastify/lib/server.js), with its timeouts.
    // An HTTP/1.1 request with no Host is let through Node, which would answer it a bare 400 itself,
    // and refused in its API's shape by the first hook (client-errors.ts).
    const server = options.https
      ? https.createServer({ ...options.https, requireHostHeader: false }, listener)
      : http.createServer({ requireHostHeader: false }, listener);
    server.keepAliveTimeout = options.keepAliveTimeout ?? server.keepAliveTimeout;
    server.requestTimeout = options.requestTimeout ?? server.requestTimeout;
    server.setTimeout(options.connectionTimeout ?? 0);
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server as https.Server;
  };

  return {
    serverFactory,
    inFlight: () => inFlight,
    limit: () => (unlimited ? 0 : limit.current),
    shed: () => shed,
    waiting: () => waiting.length,
    recentLatenciesMs: () => Array.from(latencies.subarray(0, Math.min(answered, LATENCY_SAMPLES))),
    recentWaitsMs: () => Array.from(waits.subarray(0, Math.min(answered, LATENCY_SAMPLES))),
    alsoShedWhile(check) { pressure = check; },
  };
}
