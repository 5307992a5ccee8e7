import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { nodeVersionProblem, OLDEST_NODE } from '../src/cli/node-version.js';
import { openspine } from './support/cli.js';

describe('the Node version OpenSpine needs', () => {
  it('is 20.19 or later: older ones cannot load the dependencies that are ES modules only', () => {
    assert.equal(nodeVersionProblem('20.19.0'), undefined);
    assert.equal(nodeVersionProblem('v20.20.2'), undefined);
    assert.equal(nodeVersionProblem('22.0.0'), undefined);
    assert.equal(nodeVersionProblem(process.versions.node), undefined, 'the Node running the tests');
    assert.match(nodeVersionProblem('20.18.3') ?? '', /needs Node 20\.19\.0 or later; this is Node 20\.18\.3/);
    assert.match(nodeVersionProblem('18.20.4') ?? '', /needs Node 20\.19\.0/);
  });

  it('any version is judged by its major and minor number alone, as package.json declares', () => {
    const declared = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
    assert.equal(declared, `>=${OLDEST_NODE.replace(/\.0$/, '')}`, 'package.json engines match the check');
    fc.assert(fc.property(fc.nat(40), fc.nat(40), fc.nat(40), fc.boolean(), (major, minor, patch, prefixed) => {
      const version = `${prefixed ? 'v' : ''}${major}.${minor}.${patch}`;
      const supported = major > 20 || (major === 20 && minor >= 19);
      assert.equal(nodeVersionProblem(version) === undefined, supported, version);
    }));
  });

  it('the openspine command starts through the check', async () => {
    const result = await openspine('postgres://unused', '--version');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '0.1.0');
  });
});
