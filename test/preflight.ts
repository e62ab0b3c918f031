/**
 * Runs before the suite: if PostgreSQL or Redis does not answer, say in one line what to
 * start and how, instead of failing in a hundred tests.
 */
import { connect } from 'node:net';
import pg from 'pg';
import { ADMIN_DATABASE_URL, REDIS_URL } from './support/env.ts';

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({
    connectionString: ADMIN_DATABASE_URL,
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redisAnswers(): Promise<boolean> {
  const url = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

const missing: string[] = [];
if (!(await postgresAnswers())) {
  missing.push(
    `PostgreSQL does not answer at ${ADMIN_DATABASE_URL} — start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
  );
}
if (!(await redisAnswers())) {
  missing.push(
    `Redis does not answer at ${REDIS_URL} — start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
  );
}
if (missing.length > 0) {
  for (const line of missing) console.error(line);
  process.exit(1);
}
