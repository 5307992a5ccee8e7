/**
 * The machine's ceiling, as a server: bare Fastify (no platform hooks) answering a hello route, a
 * primary-key read from PostgreSQL and a single-row insert. Started as its own process by bench/ceiling.ts.
 */
import Fastify from 'fastify';
import pg from 'pg';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const pool = new pg.Pool({ connectionString: process.env.BENCH_DATABASE_URL, max: 20 });
const app = Fastify({ logger: false });

app.get('/_ping', async () => ({ status: 'pass' }));
app.get('/hello', async () => ({ hello: 'world' }));
app.get<{ Params: { id: string } }>('/pk/:id', async (request, reply) => {
  const { rows } = await pool.query('SELECT payload FROM bench_rows WHERE id = $1', [Number(request.params.id)]);
  if (rows.length === 0) return reply.code(404).send({ missing: request.params.id });
  return rows[0].payload;
});

// Fastify + one durable single-row insert (autocommit, synchronous_commit on), the write ceiling.
app.post('/insert', async () => {
  const { rows } = await pool.query('INSERT INTO bench_inserts (payload) VALUES ($1) RETURNING id', ['a small audit-sized row of about a hundred bytes, like an access record']);
  return { id: rows[0].id };
});

await app.listen({ port, host: '127.0.0.1' });
const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
