import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Availability } from './faults.js';

/** An availability on a clock the test moves, with what it logged. */
function breaker() {
  let now = 1_000;
  const said: string[] = [];
  const availability = new Availability({ warn: (_o, msg) => said.push(msg), info: (_o, msg) => said.push(msg) }, 500, () => now);
  return { availability, said, advance: (ms: number) => { now += ms; } };
}

const connectTimeout = () => new Error('timeout exceeded when trying to connect');
const lost = () => Object.assign(new Error('terminating connection due to unexpected postmaster exit'), { code: '57P01' });

describe('Availability: the circuit breaker over the database', () => {
  it('a call that fails after another call, begun later, has had its answer does not open it', () => {
    const { availability, advance } = breaker();
    const slowConnect = availability.startOf();
    advance(50);
    availability.succeeded();
    advance(1_950);
    availability.failed(connectTimeout(), slowConnect);
    assert.equal(availability.isUp, true, 'the database answered meanwhile: the failure was this call\'s own');
    assert.equal(availability.admit(), true);
  });

  it('a call begun after the last answer that fails opens it: calls are refused, one trial per interval', () => {
    const { availability, advance, said } = breaker();
    availability.succeeded();
    advance(10);
    const attempt = availability.startOf();
    advance(2_000);
    availability.failed(connectTimeout(), attempt);
    assert.equal(availability.isUp, false);
    assert.equal(availability.admit(), false, 'refused at once while down');
    advance(500);
    assert.equal(availability.admit(), true, 'one trial after the interval');
    assert.equal(availability.admit(), false, 'and only one');
    availability.succeeded();
    assert.equal(availability.isUp, true);
    assert.deepEqual(said, ['database unavailable: answering 503 until it is back', 'database reachable again: recovered']);
  });

  it('a connection lost (no start to compare) opens it even just after an answer', () => {
    const { availability } = breaker();
    availability.succeeded();
    availability.failed(lost());
    assert.equal(availability.isUp, false);
  });

  it('a slow statement, a lock not granted or a fault of the request never opens it', () => {
    const { availability } = breaker();
    for (const err of [Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
      Object.assign(new Error('could not obtain lock'), { code: '55P03' }),
      Object.assign(new Error('duplicate key'), { code: '23505' })]) {
      availability.failed(err, availability.startOf());
      assert.equal(availability.isUp, true, (err as Error).message);
    }
  });
});
