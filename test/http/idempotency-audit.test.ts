/**
 * Idempotency-Key on every change, and the audit trail every change writes in the same
 * transaction: replays, reuse with another request, races on one key, failures that leave
 * nothing behind, append-only audit records and GET /audit.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueToken } from '../../src/access/tokens.ts';
import {
  call,
  createTestApp,
  expectProblem,
  freshKey,
  publicTables,
  readJson,
  type TestApp,
  tableCounts,
} from './support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const admin = () => t.users.admin.token;

const usersNamed = async (name: string) =>
  (await t.database.db.selectFrom('app_user').select('id').where('name', '=', name).execute())
    .length;

const auditFor = (entityId: string) =>
  t.database.db
    .selectFrom('audit_record')
    .selectAll()
    .where('entity_id', '=', entityId)
    .orderBy('id')
    .execute();

const idempotencyRecord = (key: string) =>
  t.database.db
    .selectFrom('idempotency_record')
    .selectAll()
    .where('idempotency_key', '=', key)
    .executeTakeFirst();

async function createUserViaApi(name: string, role = 'insurer') {
  const response = await call(t.app, 'POST', '/admin/users', {
    token: admin(),
    json: { name, role },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return { response, body: await readJson(response) };
}

describe('Idempotency-Key', () => {
  it('replays the stored status and body, and creates the user once', async () => {
    const key = freshKey();
    const request = () =>
      call(t.app, 'POST', '/admin/users', {
        token: admin(),
        json: { name: 'Replay Wang', role: 'insurer' },
        idempotencyKey: key,
      });
    const first = await request();
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await readJson(first);
    expect(firstBody).toMatchObject({ name: 'Replay Wang', role: 'insurer', active: true });

    for (let replay = 0; replay < 2; replay++) {
      const again = await request();
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await readJson(again)).toEqual(firstBody);
    }
    expect(await usersNamed('Replay Wang')).toBe(1);
    expect(await auditFor(String(firstBody.id))).toHaveLength(1);
  });

  it('refuses the same key with a different body (409) and writes nothing', async () => {
    const key = freshKey();
    const first = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      json: { name: 'Reuse Li', role: 'finance' },
      idempotencyKey: key,
    });
    expect(first.status).toBe(201);
    const before = await tableCounts(t.database);
    const stored = await idempotencyRecord(key);

    const other = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      json: { name: 'Reuse Zhao', role: 'finance' },
      idempotencyKey: key,
    });
    const problem = await expectProblem(other, 409, 'idempotency_key_reused');
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(problem.detail).toContain(key);
    expect(await usersNamed('Reuse Zhao')).toBe(0);
    expect(await tableCounts(t.database)).toEqual(before);
    expect(await idempotencyRecord(key)).toEqual(stored);
  });

  it('refuses the same key on another route (409)', async () => {
    const key = freshKey();
    const { body } = await (async () => {
      const response = await call(t.app, 'POST', '/admin/users', {
        token: admin(),
        json: { name: 'Reuse Route', role: 'insurer' },
        idempotencyKey: key,
      });
      expect(response.status).toBe(201);
      return { body: await readJson(response) };
    })();
    const before = await tableCounts(t.database);
    const other = await call(t.app, 'POST', `/admin/users/${String(body.id)}/tokens`, {
      token: admin(),
      json: { label: 'laptop' },
      idempotencyKey: key,
    });
    await expectProblem(other, 409, 'idempotency_key_reused');
    expect(await tableCounts(t.database)).toEqual(before);
  });

  it('requires the header on every change (428) and writes nothing', async () => {
    const before = await tableCounts(t.database);
    const response = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      json: { name: 'No Key', role: 'insurer' },
      idempotencyKey: null,
    });
    await expectProblem(response, 428, 'idempotency_key_required');
    const malformed = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      json: { name: 'No Key', role: 'insurer' },
      idempotencyKey: 'has spaces in it',
    });
    const problem = await expectProblem(malformed, 422, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toContain('header.idempotency-key');
    expect(await tableCounts(t.database)).toEqual(before);
    expect(await usersNamed('No Key')).toBe(0);
  });

  it('gives 20 concurrent requests with one key one effect and one answer', async () => {
    const key = freshKey();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        call(t.app, 'POST', '/admin/users', {
          token: admin(),
          json: { name: 'Race Chen', role: 'reform_office' },
          idempotencyKey: key,
        }),
      ),
    );
    const answers = await Promise.all(
      responses.map(async (r) => ({
        status: r.status,
        replayed: r.headers.get('idempotent-replayed'),
        body: await r.json(),
      })),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201]));
    for (const answer of answers) expect(answer.body).toEqual(answers[0]?.body);
    expect(answers.filter((a) => a.replayed === null)).toHaveLength(1);
    expect(answers.filter((a) => a.replayed === 'true')).toHaveLength(19);
    expect(await usersNamed('Race Chen')).toBe(1);
    const body = answers[0]?.body as { id: string };
    expect(await auditFor(body.id)).toHaveLength(1);
  });

  it('lets one of many concurrent creations of one name win, with different keys', async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        call(t.app, 'POST', '/admin/users', {
          token: admin(),
          json: { name: 'Contended Name', role: 'insurer' },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array.from({ length: 9 }, () => 409)]);
    for (const response of responses.filter((r) => r.status === 409)) {
      await expectProblem(response, 409, 'conflict');
    }
    expect(await usersNamed('Contended Name')).toBe(1);
    const winner = responses.find((r) => r.status === 201);
    if (!winner) throw new Error('no request won');
    const created = await readJson(winner);
    expect(await auditFor(String(created.id))).toHaveLength(1);
  });

  // KNOWN BUG (see report): the first answer of POST /admin/users/{id}/tokens is stored as
  // the replay answer, so the plaintext bearer token sits in idempotency_record.response_body.
  // mutate() now takes `replayBody`; src/http/routes/admin.ts must pass one without the
  // token (and IssuedToken.token become nullable). Then drop `.fails`.
  it('never stores an issued bearer token in plaintext, not even for replays', async () => {
    const key = freshKey();
    const issue = () =>
      call(t.app, 'POST', `/admin/users/${t.users.insurer.id}/tokens`, {
        token: admin(),
        json: { label: 'shown once' },
        idempotencyKey: key,
      });
    const first = await issue();
    expect(first.status).toBe(201);
    const issued = await readJson(first);
    const token = String(issued.token);
    expect(token).toMatch(/^rp_/);
    const holding: string[] = [];
    for (const table of await publicTables(t.database)) {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM ${sql.table(table)} AS r WHERE r::text LIKE ${`%${token}%`}
      `.execute(t.database.db);
      if ((rows[0]?.n ?? 0) > 0) holding.push(table);
    }
    expect(holding).toEqual([]);
    const replay = await issue();
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const replayed = await readJson(replay);
    expect(replayed).toMatchObject({ tokenId: issued.tokenId, userId: issued.userId });
    expect(replayed.token).not.toBe(token);
  });

  it('keeps keys per user: another user may use the same key', async () => {
    const key = freshKey();
    const first = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      json: { name: 'Per User One', role: 'insurer' },
      idempotencyKey: key,
    });
    expect(first.status).toBe(201);
    const secondAdmin = await createUser(t.database.db, 'second-admin', 'admin', null);
    const token = (await issueToken(t.database.db, secondAdmin.id, 'test')).token;
    const second = await call(t.app, 'POST', '/admin/users', {
      token,
      json: { name: 'Per User Two', role: 'insurer' },
      idempotencyKey: key,
    });
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(await usersNamed('Per User Two')).toBe(1);
  });
});

describe('audit trail', () => {
  it('writes exactly one record per change, with actor, role, action, entity and request', async () => {
    const requestId = `audit-${crypto.randomUUID()}`;
    const created = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      json: { name: 'Audited Sun', role: 'insurer' },
      headers: { 'x-request-id': requestId },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe(requestId);
    const user = await readJson(created);
    const userId = String(user.id);

    const issued = await call(t.app, 'POST', `/admin/users/${userId}/tokens`, {
      token: admin(),
      json: { label: 'desk' },
    });
    expect(issued.status).toBe(201);
    const tokenId = String((await readJson(issued)).tokenId);

    const revoked = await call(t.app, 'POST', `/admin/tokens/${tokenId}/revoke`, {
      token: admin(),
    });
    expect(revoked.status).toBe(200);
    const deactivated = await call(t.app, 'POST', `/admin/users/${userId}/deactivate`, {
      token: admin(),
    });
    expect(deactivated.status).toBe(200);

    const expectations = [
      { response: created, action: 'user.create', entity: 'user', entityId: userId },
      { response: issued, action: 'token.issue', entity: 'token', entityId: tokenId },
      { response: revoked, action: 'token.revoke', entity: 'token', entityId: tokenId },
      { response: deactivated, action: 'user.deactivate', entity: 'user', entityId: userId },
    ];
    const hashes = new Set<string>();
    for (const { response, action, entity, entityId } of expectations) {
      const records = (await auditFor(entityId)).filter((r) => r.action === action);
      expect(records, action).toHaveLength(1);
      const [record] = records;
      expect(record).toMatchObject({
        actor_user_id: t.users.admin.id,
        actor_name: t.users.admin.name,
        actor_role: 'admin',
        action,
        entity,
        entity_id: entityId,
        request_id: response.headers.get('x-request-id'),
      });
      expect(record?.request_hash).toMatch(/^[0-9a-f]{64}$/);
      hashes.add(record?.request_hash ?? '');
      expect(Date.now() - (record?.recorded_at.getTime() ?? 0)).toBeLessThan(60_000);
    }
    expect(hashes.size).toBe(expectations.length);
    const [first] = await auditFor(userId);
    expect(first?.request_id).toBe(requestId);
  });

  it('hashes the request into the record the same way as the idempotency record', async () => {
    const key = freshKey();
    const { body } = await (async () => {
      const response = await call(t.app, 'POST', '/admin/users', {
        token: admin(),
        json: { name: 'Hash Zhou', role: 'finance' },
        idempotencyKey: key,
      });
      return { body: await readJson(response) };
    })();
    const [record] = await auditFor(String(body.id));
    const stored = await idempotencyRecord(key);
    expect(record?.request_hash).toBe(stored?.request_hash);
    expect(stored?.response_status).toBe(201);
  });

  it('writes no audit and no idempotency record when the change fails', async () => {
    await createUserViaApi('Duplicate Ma');
    for (const [path, json, status] of [
      ['/admin/users', { name: 'Duplicate Ma', role: 'finance' }, 409],
      [`/admin/users/${crypto.randomUUID()}/deactivate`, undefined, 404],
      [`/admin/users/${t.users.admin.id}/deactivate`, undefined, 409],
      [`/admin/tokens/${crypto.randomUUID()}/revoke`, undefined, 404],
    ] as const) {
      const key = freshKey();
      const before = await tableCounts(t.database);
      const response = await call(t.app, 'POST', path, {
        token: admin(),
        ...(json === undefined ? {} : { json }),
        idempotencyKey: key,
      });
      await expectProblem(response, status);
      expect(await tableCounts(t.database), path).toEqual(before);
      expect(await idempotencyRecord(key), path).toBeUndefined();
    }
    expect(await usersNamed('Duplicate Ma')).toBe(1);
  });

  it('lets a failed key be used again once the request is fixed', async () => {
    const key = freshKey();
    const failed = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      json: { name: 'Duplicate Ma', role: 'finance' },
      idempotencyKey: key,
    });
    await expectProblem(failed, 409, 'conflict');
    const fixed = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      json: { name: 'Not A Duplicate', role: 'finance' },
      idempotencyKey: key,
    });
    expect(fixed.status).toBe(201);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on audit records in the database itself', async () => {
    const before = await t.database.db
      .selectFrom('audit_record')
      .selectAll()
      .orderBy('id')
      .execute();
    expect(before.length).toBeGreaterThan(0);
    await expect(
      sql`UPDATE audit_record SET actor_name = 'someone else'`.execute(t.database.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_record`.execute(t.database.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`TRUNCATE audit_record`.execute(t.database.db)).rejects.toThrow(/append-only/);
    const after = await t.database.db
      .selectFrom('audit_record')
      .selectAll()
      .orderBy('id')
      .execute();
    expect(after).toEqual(before);
  });
});

describe('GET /audit', () => {
  interface AuditPage {
    records: {
      id: number;
      action: string;
      entity: string;
      entityId: string | null;
      actorUserId: string | null;
      actorRole: string;
      requestId: string;
      requestHash: string;
      recordedAt: string;
    }[];
    nextBefore: number | null;
  }

  const getAudit = async (query: string, token = admin()): Promise<AuditPage> => {
    const response = await call(t.app, 'GET', `/audit?${query}`, { token });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as AuditPage;
  };

  let tokenId: string;
  let userId: string;
  beforeAll(async () => {
    for (let i = 0; i < 5; i++) await createUserViaApi(`Listed ${i}`, 'reform_office');
    const { body } = await createUserViaApi('Listed Token Owner');
    userId = String(body.id);
    const issued = await call(t.app, 'POST', `/admin/users/${userId}/tokens`, {
      token: admin(),
      json: { label: 'listed' },
    });
    tokenId = String((await readJson(issued)).tokenId);
  });

  it('filters by action, entity and entity id', async () => {
    const created = await getAudit('action=user.create&limit=200');
    expect(created.records.length).toBeGreaterThanOrEqual(6);
    for (const record of created.records) expect(record.action).toBe('user.create');

    const tokens = await getAudit('entity=token&limit=200');
    expect(tokens.records.length).toBeGreaterThan(0);
    for (const record of tokens.records) expect(record.entity).toBe('token');

    const one = await getAudit(`entityId=${tokenId}`);
    expect(one.records).toHaveLength(1);
    expect(one.records[0]).toMatchObject({
      action: 'token.issue',
      entity: 'token',
      entityId: tokenId,
      actorUserId: t.users.admin.id,
      actorRole: 'admin',
    });
    expect(one.records[0]?.requestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(one.nextBefore).toBeNull();

    const byActor = await getAudit(`actorUserId=${t.users.admin.id}&limit=200`);
    const total = await t.database.db
      .selectFrom('audit_record')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('actor_user_id', '=', t.users.admin.id)
      .executeTakeFirstOrThrow();
    expect(byActor.records).toHaveLength(Number(total.n));

    expect((await getAudit(`entityId=${crypto.randomUUID()}`)).records).toEqual([]);
    const combined = await getAudit(`action=token.issue&entityId=${userId}`);
    expect(combined.records).toEqual([]);
  });

  it('pages newest first with nextBefore, each record once', async () => {
    const all = await t.database.db
      .selectFrom('audit_record')
      .select('id')
      .where('action', '=', 'user.create')
      .orderBy('id', 'desc')
      .execute();
    expect(all.length).toBeGreaterThan(4);
    const seen: number[] = [];
    let before: number | null = null;
    let pages = 0;
    do {
      const page: AuditPage = await getAudit(
        `action=user.create&limit=2${before === null ? '' : `&before=${before}`}`,
      );
      expect(page.records.length).toBeLessThanOrEqual(2);
      seen.push(...page.records.map((r) => r.id));
      before = page.nextBefore;
      if (before !== null) expect(before).toBe(page.records.at(-1)?.id);
      pages++;
    } while (before !== null && pages < 100);
    expect(seen).toEqual(all.map((r) => r.id));
    expect(pages).toBe(Math.ceil(all.length / 2));
  });

  it('refuses bad filters with a 422 problem', async () => {
    for (const query of [
      'limit=0',
      'limit=201',
      'before=abc',
      'actorUserId=nope',
      'from=yesterday',
    ]) {
      const response = await call(t.app, 'GET', `/audit?${query}`, { token: admin() });
      const problem = await expectProblem(response, 422, 'validation_failed');
      expect(problem.errors?.length, query).toBeGreaterThan(0);
      for (const error of problem.errors ?? []) expect(error.field).toMatch(/^query\./);
    }
  });

  it('is for finance and admin only', async () => {
    expect((await getAudit('limit=1', t.users.finance.token)).records).toHaveLength(1);
    for (const role of ['insurer', 'reform_office'] as const) {
      const response = await call(t.app, 'GET', '/audit', { token: t.users[role].token });
      await expectProblem(response, 403, 'forbidden');
    }
  });
});
