import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLoopbackHostHeader } from './host-check.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

describe('the loopback Host check (DNS rebinding)', () => {
  it('accepts each loopback name, in any case, with or without a port', () => {
    fc.assert(fc.property(fc.constantFrom(...LOOPBACK_NAMES), fc.option(fc.integer({ min: 0, max: 65535 })), fc.boolean(), (name, port, upper) => {
      const host = `${upper ? name.toUpperCase() : name}${port === null ? '' : `:${port}`}`;
      assert.equal(isLoopbackHostHeader(host), true, host);
    }));
  });

  it('refuses any other name, including loopback names with anything added before or after', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (host) => {
      const bare = host.toLowerCase().replace(/:\d{1,5}$/, '');
      fc.pre(!LOOPBACK_NAMES.includes(bare));
      assert.equal(isLoopbackHostHeader(host), false, host);
    }));
    fc.assert(fc.property(fc.constantFrom(...LOOPBACK_NAMES), fc.string({ minLength: 1, maxLength: 20 }), fc.boolean(), (name, extra, before) => {
      fc.pre(!/^:\d{1,5}$/.test(extra));
      const host = before ? `${extra}${name}` : `${name}${extra}`;
      fc.pre(!LOOPBACK_NAMES.includes(host.toLowerCase()));
      assert.equal(isLoopbackHostHeader(host), false, host);
    }));
  });
});
