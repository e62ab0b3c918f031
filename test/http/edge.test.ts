/**
 * The edge as a hostile or careless client meets it: text that cannot be kept as sent,
 * bodies and headers too large for a real Node server, a taken port, bad tokens again and
 * again from one address (across two API processes), and a second process in the embedded
 * data folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { boundPort, listen, nodeClientAddress } from '../../src/node/http-server.ts';
import { call, createTestApp, expectProblem, readJson, type TestApp } from './support.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let t: TestApp;
const servers: Server[] = [];

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  await t.close();
});

async function served(app: TestApp['app']): Promise<number> {
  const server = await listen(app, 0, '127.0.0.1');
  servers.push(server);
  return boundPort(server);
}

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function send(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    agent?: Agent;
  },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/healthz',
        headers: options.headers,
        agent: options.agent,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function userCount(): Promise<number> {
  const row = await t.database.db
    .selectFrom('app_user')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('text that cannot be kept as sent', () => {
  const admin = () => t.users.admin.token;

  it.each([
    ['a lone surrogate', '{"name":"Wang \\ud800 Fang","role":"insurer"}', 'lone surrogate'],
    ['a bidi override', '{"name":"Wang \\u202e gnaF","role":"insurer"}', 'bidirectional'],
    ['a control character', '{"name":"Wang\\u0007Fang","role":"insurer"}', 'control character'],
    ['a line break in a name', '{"name":"Wang\\nFang","role":"insurer"}', 'single line'],
  ])('refuses %s with 422 naming the field, and writes nothing', async (_, raw, reason) => {
    const before = await userCount();
    const response = await call(t.app, 'POST', '/admin/users', { token: admin(), raw });
    const problem = await expectProblem(response, 422, 'validation_failed');
    expect(problem.errors).toEqual([
      { field: 'json.name', reason: expect.stringContaining(reason) },
    ]);
    expect(await userCount()).toBe(before);
  });

  it('keeps line breaks in free text and Chinese text as sent', async () => {
    const description = '改革试点\n第二行：风险点备案';
    const response = await call(t.app, 'POST', '/projects', {
      token: t.users.reform_office.token,
      json: { name: '宅基地改革试点', ownerDepartment: '县自然资源局', description },
    });
    expect(response.status).toBe(201);
    expect((await readJson(response)).description).toBe(description);
  });

  it('still answers malformed JSON as malformed', async () => {
    const response = await call(t.app, 'POST', '/admin/users', { token: admin(), raw: '{"name":' });
    await expectProblem(response, 400, 'malformed_json');
  });
});

describe('a real Node server', () => {
  it('closes the connection after a 413 and says so, so a pooled client carries on', async () => {
    const port = await served(t.variant({ maxBodyBytes: 256 }));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = JSON.stringify({ name: 'Big', role: 'insurer', pad: 'x'.repeat(2000) });
      const refused = await send(port, {
        method: 'POST',
        path: '/admin/users',
        agent,
        body,
        headers: {
          authorization: `Bearer ${t.users.admin.token}`,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'idempotency-key': 'edge-413',
        },
      });
      expect(refused.status).toBe(413);
      expect(refused.headers.connection).toBe('close');
      expect(JSON.parse(refused.body).code).toBe('payload_too_large');
      const next = await send(port, { agent });
      expect(next.status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('answers a URL too long for Node with a 431 problem body', async () => {
    const port = await served(t.app);
    const answer = await send(port, { path: `/pools?x=${'a'.repeat(20_000)}` });
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 431, code: 'headers_too_large' });
  });

  it('refuses a taken port with a plain message instead of crashing', async () => {
    const port = await served(t.app);
    await expect(listen(t.app, port, '127.0.0.1')).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use`,
    );
  });
});

describe('bad tokens from one address', () => {
  const throttle = { failureLimit: 3, windowSeconds: 60 };

  it('are refused with 429 and Retry-After past the limit, by every API process alike', async () => {
    const first = await served(
      t.variant({ clientAddress: nodeClientAddress, authThrottle: throttle }),
    );
    const second = await served(
      t.variant({ clientAddress: nodeClientAddress, authThrottle: throttle }),
    );
    const bad = { authorization: 'Bearer rp_not-a-real-token' };
    const statuses: number[] = [];
    for (let attempt = 0; attempt < throttle.failureLimit; attempt++)
      statuses.push((await send(first, { path: '/me', headers: bad })).status);
    expect(statuses).toEqual([401, 401, 401]);

    // The other process shares the count: this address is refused there too, even with a
    // good token, until the window ends.
    const refused = await send(second, { path: '/me', headers: bad });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).code).toBe('too_many_requests');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(throttle.windowSeconds);
    const good = await send(second, {
      path: '/me',
      headers: { authorization: `Bearer ${t.users.admin.token}` },
    });
    expect(good.status).toBe(429);

    // Once the window has passed the address may try again.
    await t.database.db
      .updateTable('auth_throttle')
      .set({ window_started_at: new Date(Date.now() - 61_000) })
      .execute();
    const later = await send(first, {
      path: '/me',
      headers: { authorization: `Bearer ${t.users.admin.token}` },
    });
    expect(later.status).toBe(200);
  });

  it('are not counted for requests without a token or with a good one', async () => {
    const clientAddress = () => '192.0.2.77';
    const app = t.variant({ clientAddress, authThrottle: throttle });
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await call(app, 'GET', '/me')).status).toBe(401);
      expect((await call(app, 'GET', '/me', { token: t.users.finance.token })).status).toBe(200);
    }
    const row = await t.database.db
      .selectFrom('auth_throttle')
      .selectAll()
      .where('client', '=', '192.0.2.77')
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });
});

describe('the embedded data folder', () => {
  it('is refused to `npm run token` while another process holds it, and the token is not printed', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'riskpool-lock-'));
    try {
      const holder = await openDatabase({ kind: 'pglite', dataDir });
      let child: ChildProcess | undefined;
      try {
        const { DATABASE_URL: _production, ...inherited } = process.env;
        const env = { ...inherited, DATA_DIR: dataDir };
        child = spawn(
          'npx',
          ['tsx', 'src/token-cli.ts', '--role', 'admin', '--name', 'Lock Test'],
          {
            cwd: REPO_ROOT,
            env,
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
        });
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        const [code] = (await once(child, 'exit')) as [number | null];
        expect(code).toBe(1);
        expect(stderr).toContain(`is in use by process ${process.pid}`);
        expect(stdout).not.toContain('rp_');
      } finally {
        if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
        await holder.close();
      }
      // Released: the next opener gets the folder.
      const next = await openDatabase({ kind: 'pglite', dataDir });
      await next.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
