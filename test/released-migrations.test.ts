import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { platformMigrations } from '../src/platform/migrations.js';
import { ALL_SERVICES } from '../src/services/registry.js';

// A migration a store has applied must never change: the migrator refuses to start on a changed
// checksum, so editing one (even a SQL comment) breaks every existing deployment on upgrade. New
// schema goes in a new migration. Each line: a released migration and the SHA-256 of its SQL.
const RELEASED = `
platform/001_settings_outbox 6c135c657a825528988f3d70068059cfe0edb6e6a13a8e03cde087619859e7e4
audit/001_events d0971401224b659445dcbd7338d604c4c337c79042b65de091182678c5e67be3
identity/001_init 24473092c178f7a00c05abc49f5746c027449810a8efee74761fb00fefdf95ff
directory/001_init 9c002d79e681622b02b804eadb28c8303763d95a9e2441be01807e67dbba6d7b
demographics/001_init 3f34711b6f309a42f66c6e6f9adfbf574403bdaffc50cf70eb00d0c079ea6989
demographics/002_name_aliases 702e7f41c54cac19e6f861bf49e9e48412cbe642ef38d210d42be6c47bdae2dd
demographics/003_alias_name_index 65b89fc8f3ab6e8dd535f15a9fae446d9fdfafb0230274f40b6822afe492b44b
demographics/004_birth_blocking_index 1f3aa6aa7706563c601801b0f1bf8a9ff7ea9789c402796adc7fb124895c280a
demographics/005_historic_name_keys_index c9d88906c514204e3efc14b792170534838b70ed89a9874ef3a428175a205bde
messaging/001_init 4415d007e55ac5717f554ab26f479a854af0239a613f76f8f140330be8fcccd4
`.trim().split('\n').map((line) => line.split(' ') as [string, string]);

describe('released migrations', () => {
  it('are unchanged, byte for byte, so stores migrated by earlier releases still start', () => {
    const current = new Map<string, string>([...platformMigrations, ...ALL_SERVICES.flatMap((m) => m.migrations)]
      .flatMap((set) => set.migrations.map((m) => [`${set.schema}/${m.id}`, createHash('sha256').update(m.sql).digest('hex')] as const)));
    for (const [id, sum] of RELEASED) assert.equal(current.get(id), sum, `migration ${id} was changed after release: add a new migration instead`);
  });
});
