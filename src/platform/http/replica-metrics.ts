import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/pool.js';

/** Lag-tolerant reads by the pool that served them and why, and the read replica's state. */
export function registerReplicaMetrics(registry: Registry, db: Db) {
  new Counter({
    name: 'openspine_db_lag_tolerant_reads_total',
    help: 'Lag-tolerant reads (searches) by the pool that served them (primary, replica) and why',
    labelNames: ['pool', 'reason'], registers: [registry],
    collect() {
      this.reset();
      for (const { pool, reason, count } of db.reads.counts()) this.inc({ pool, reason }, count);
    },
  });
  if (!db.reads.replicated) return;
  new Gauge({
    name: 'openspine_db_replica_lag_seconds', help: 'The read replica\'s replay lag behind the primary when last measured',
    registers: [registry],
    collect() {
      const lag = db.reads.lagMs();
      if (lag === undefined) this.reset();
      else this.set(lag / 1000);
    },
  });
  new Gauge({
    name: 'openspine_db_replica_in_use', help: '1 while lag-tolerant reads may go to the replica (reachable, a standby, within the lag bound)',
    registers: [registry],
    collect() {
      this.set(db.reads.usable() ? 1 : 0);
    },
  });
}
