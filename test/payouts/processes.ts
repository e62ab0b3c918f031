/**
 * Child processes for crash tests: payout workers (`npx tsx src/worker.ts`) and a private
 * redis-server. Each child leads a process group of its own, so a kill reaches npx, tsx and
 * node alike; every child is recorded so afterAll can end whatever is still running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { sleep } from './support.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** stdout and stderr, last 200 lines, for a failing test's message. */
  readonly output: string[];
  readonly exited: Promise<number | null>;
}

const started: Child[] = [];

// Should the test process end without its afterAll (a crash, a timeout kill), take the
// children with it: they lead groups of their own and would otherwise outlive it.
process.once('exit', () => {
  for (const child of started) {
    const pid = child.process.pid;
    if (pid === undefined || !running(child)) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Child {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line.trim() !== ''),
    );
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (error) => {
      output.push(String(error));
      resolve(null);
    });
  });
  const record: Child = { name, process: child, output, exited };
  started.push(record);
  return record;
}

export function running(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null;
}

/** Signals the child's whole process group; resolves once the leader has exited (bounded). */
export async function stopChild(
  child: Child,
  signal: NodeJS.Signals,
  timeoutMs = 10_000,
): Promise<void> {
  const pid = child.process.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
  await Promise.race([child.exited, sleep(timeoutMs)]);
  if (signal !== 'SIGKILL' && running(child)) await stopChild(child, 'SIGKILL', timeoutMs);
}

/** For afterAll: SIGKILL every child these helpers started, whatever state the test left. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all(started.splice(0).map((child) => stopChild(child, 'SIGKILL', 5_000)));
}

export interface WorkerSettings {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queueName: string;
  readonly bankLatencyMs: number;
  readonly concurrency: number;
  readonly staleMs: number;
}

/** `npm run worker`, as production starts it, with this test's database, Redis and queue. */
export function startPayoutWorker(name: string, settings: WorkerSettings): Child {
  return startChild(name, 'npx', ['tsx', 'src/worker.ts'], {
    ...process.env,
    DATABASE_URL: settings.databaseUrl,
    DATABASE_POOL_SIZE: '8',
    REDIS_URL: settings.redisUrl,
    PAYOUT_QUEUE_NAME: settings.queueName,
    PAYOUT_CONCURRENCY: String(settings.concurrency),
    PAYOUT_STALE_MS: String(settings.staleMs),
    RELAY_POLL_MS: '100',
    SIMULATED_BANK_LATENCY_MS: String(settings.bankLatencyMs),
  });
}

/** A throwaway redis-server that keeps nothing: a restart comes back empty. */
export function startRedisServer(port: number): Child {
  return startChild(
    `redis-server:${port}`,
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    process.env,
  );
}

/** A TCP port nobody listens on right now. */
export async function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}
