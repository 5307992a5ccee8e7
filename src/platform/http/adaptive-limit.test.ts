import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AdaptiveLimit, MIN_SAMPLES, TOLERANCE, nextLimit, overloadFloor, type LimitState } from './adaptive-limit.js';
import { isHealthCheck } from './shed.js';

const bounds = fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 800 })).map(([min, extra]) => ({ min, max: min + extra }));
const window = fc.record({ meanMs: fc.double({ min: 0, max: 10_000, noNaN: true }), saturated: fc.boolean() });
const anyWindow = fc.record({
  meanMs: fc.double({ min: 0, max: 10_000, noNaN: true }), saturated: fc.boolean(),
  overloaded: fc.boolean(), p90Ms: fc.double({ min: 0, max: 10_000, noNaN: true }),
});

describe('the adaptive admission limit', () => {
  it('stays within [min, max] whatever the service times', () => {
    fc.assert(fc.property(bounds, fc.array(window, { maxLength: 200 }), (b, windows) => {
      let state: LimitState = { limit: b.min, baselineMs: Number.POSITIVE_INFINITY };
      for (const w of windows) {
        state = nextLimit(state, w, b);
        assert.ok(state.limit >= b.min && state.limit <= b.max, JSON.stringify({ b, state }));
      }
    }));
  });

  it('a window in which the limit held nothing back leaves it where it was', () => {
    fc.assert(fc.property(bounds, fc.double({ min: 0.1, max: 1_000, noNaN: true }), fc.double({ min: 0, max: 10_000, noNaN: true }), (b, baselineMs, meanMs) => {
      const state = { limit: (b.min + b.max) / 2, baselineMs };
      assert.equal(nextLimit(state, { meanMs, saturated: false }, b).limit, state.limit);
    }));
  });

  it('grows while saturated and service time stays within the tolerance of the baseline, up to max', () => {
    fc.assert(fc.property(bounds, fc.double({ min: 0.5, max: 500, noNaN: true }), (b, baselineMs) => {
      let state: LimitState = { limit: b.min, baselineMs };
      for (let i = 0; i < 500; i++) {
        const next = nextLimit(state, { meanMs: baselineMs, saturated: true }, b);
        assert.ok(next.limit >= state.limit);
        state = next;
      }
      assert.ok(state.limit > b.max - 1, `${state.limit} of ${b.max}`);
    }));
  });

  it('shrinks to min while saturated and admitting more only queues (service time far past the tolerance)', () => {
    fc.assert(fc.property(bounds, fc.double({ min: 0.5, max: 500, noNaN: true }), (b, baselineMs) => {
      // The baseline is what it learnt; every window since took ten times as long.
      let state: LimitState = { limit: b.max, baselineMs };
      for (let i = 0; i < 200; i++) {
        state = nextLimit(state, { meanMs: 10 * TOLERANCE * baselineMs, saturated: true }, b);
        state = { ...state, baselineMs };
      }
      assert.ok(state.limit < b.min + 1, `${state.limit} of ${b.min}`);
    }));
  });

  it('with a latency budget, stays within [half of min, max] in overload and within [min, max] once a window is not overloaded', () => {
    fc.assert(fc.property(bounds, fc.double({ min: 1, max: 100, noNaN: true }), fc.array(anyWindow, { maxLength: 200 }), (b, budgetMs, windows) => {
      let state: LimitState = { limit: b.min, baselineMs: Number.POSITIVE_INFINITY };
      for (const w of windows) {
        state = nextLimit(state, w, { ...b, budgetMs });
        const lowest = w.overloaded ? overloadFloor(b.min) : b.min;
        assert.ok(state.limit >= lowest && state.limit <= b.max, JSON.stringify({ b, w, state }));
      }
    }));
  });

  it('in overload, shrinks below min towards half of it while the p90 of service time is past the budget, however close to the baseline', () => {
    fc.assert(fc.property(bounds, fc.double({ min: 1, max: 100, noNaN: true }), (b, budgetMs) => {
      // Service time as fast as it ever was (no gradient on the baseline), but twice the budget.
      let state: LimitState = { limit: b.max, baselineMs: budgetMs * 2 };
      for (let i = 0; i < 200; i++) {
        const next = nextLimit(state, { meanMs: budgetMs * 2, p90Ms: budgetMs * 2, saturated: true, overloaded: true }, { ...b, budgetMs });
        assert.ok(next.limit <= state.limit);
        state = next;
      }
      assert.ok(state.limit < overloadFloor(b.min) + 1, `${state.limit} of ${overloadFloor(b.min)}`);
      // The overload over, the next saturated window takes it back to min at least.
      assert.ok(nextLimit(state, { meanMs: budgetMs, saturated: true }, { ...b, budgetMs }).limit >= b.min);
    }));
  });

  it('in overload within the budget, grows as it would without one', () => {
    fc.assert(fc.property(bounds, fc.double({ min: 0.5, max: 100, noNaN: true }), (b, baselineMs) => {
      const state: LimitState = { limit: b.min, baselineMs };
      const plain = nextLimit(state, { meanMs: baselineMs, saturated: true }, b);
      const budgeted = nextLimit(state, { meanMs: baselineMs, p90Ms: baselineMs, saturated: true, overloaded: true }, { ...b, budgetMs: baselineMs * 2 });
      assert.equal(budgeted.limit, plain.limit);
    }));
  });

  it('keeps the p90 and p99 of service time of the last full window', () => {
    const limit = new AdaptiveLimit(10, 80, 20, 10, 0, 25);
    for (let i = 1; i <= 100; i++) limit.record(i, i < 100 ? 0 : 20);
    assert.equal(limit.serviceP90Ms, 91);
    assert.equal(limit.serviceP99Ms, 100);
  });

  it('learns from windows of enough answers: a fixed range never moves, an adaptive one does', () => {
    const fixed = new AdaptiveLimit(30, 30, 60, 10, 0);
    const adaptive = new AdaptiveLimit(20, 160, 40, 10, 0);
    assert.equal(fixed.current, 30, 'the start is clamped to the range');
    for (let t = 1; t <= 100 * MIN_SAMPLES; t++) {
      for (const limit of [fixed, adaptive]) {
        limit.noteSaturated();
        limit.record(5, t);
      }
    }
    assert.equal(fixed.current, 30);
    assert.equal(adaptive.current, 160, 'steady fast answers while saturated: it grew to its bound');
  });
});

describe('health checks beside the limit', () => {
  it('are /_ping and /_status, the platform\'s and each API\'s, with or without a query; nothing else is', () => {
    for (const url of ['/_ping', '/_status', '/_status?x=1', '/record-locator/consumer/FHIR/R4/_status', '/messageexchange/_ping']) {
      assert.equal(isHealthCheck(url), true, url);
    }
    fc.assert(fc.property(fc.webPath(), fc.webQueryParameters(), (path, query) => {
      fc.pre(!path.endsWith('/_ping') && !path.endsWith('/_status'));
      assert.equal(isHealthCheck(`${path}?${query}`), false, path);
      assert.equal(isHealthCheck(`${path}/_status_x`), false);
    }), { numRuns: 50 });
  });
});
