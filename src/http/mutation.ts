/**
 * @module Every change goes through `mutate`: one transaction that claims the
 * Idempotency-Key, does the work, writes the audit record and stores the response.
 * A replay returns the stored response; the same key with another request is refused; a
 * concurrent replay waits on the key's row and then reads the first answer.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { type Actor, forgetActors } from '../access/tokens.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { sha256Hex } from '../ledger/hash.ts';
import type { AppEnv } from './env.ts';
import { ProblemError } from './problem.ts';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

export const requireIdempotencyKey = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header('idempotency-key');
  if (key === undefined) {
    throw new ProblemError(
      428,
      'idempotency_key_required',
      'send an Idempotency-Key header (1–200 characters of letters, digits, . _ : -) with every change',
    );
  }
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ProblemError(422, 'validation_failed', 'the Idempotency-Key header is malformed', {
      errors: [
        { field: 'header.idempotency-key', reason: '1–200 characters of letters, digits, . _ : -' },
      ],
    });
  }
  await next();
});

export interface MutationResult<T, S extends SuccessStatus> {
  readonly status: S;
  readonly body: T;
  /** Which record the change is about, for the audit trail. */
  readonly entityId: string | null;
  /**
   * What a replay of this request answers, when that must differ from `body`: a secret
   * shown once (a new bearer token) must never be stored, so its replay omits it.
   */
  readonly replayBody?: object;
}

export interface MutationSpec {
  /** e.g. "user.create" */
  readonly action: string;
  /** e.g. "user" */
  readonly entity: string;
  /** The validated input (body and path), hashed into the idempotency and audit records. */
  readonly input: unknown;
}

export type SuccessStatus = 200 | 201 | 202;

/** Domain values are deeply readonly; a JSON response body is a plain copy of one. */
export type JsonBody<T> = T extends readonly (infer U)[]
  ? JsonBody<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: JsonBody<T[K]> }
    : T;

export async function mutate<T extends object, S extends SuccessStatus>(
  c: Context<AppEnv>,
  spec: MutationSpec,
  work: (trx: Tx, actor: Actor) => Promise<MutationResult<T, S>>,
) {
  const actor = c.var.actor;
  const key = c.req.header('idempotency-key') ?? '';
  const path = new URL(c.req.url).pathname;
  const requestHash = sha256Hex(JSON.stringify([c.req.method, path, spec.input ?? null]));
  const outcome = await inTransaction(
    c.var.deps.db,
    async (trx) => {
      const claimed = await trx
        .insertInto('idempotency_record')
        .values({
          user_id: actor.userId,
          idempotency_key: key,
          request_hash: requestHash,
          method: c.req.method,
          path,
          response_status: null,
          response_body: null,
        })
        .onConflict((oc) => oc.columns(['user_id', 'idempotency_key']).doNothing())
        .returning('idempotency_key')
        .executeTakeFirst();
      if (!claimed) {
        const stored = await trx
          .selectFrom('idempotency_record')
          .select(['request_hash', 'response_status', 'response_body', 'method', 'path'])
          .where('user_id', '=', actor.userId)
          .where('idempotency_key', '=', key)
          .executeTakeFirstOrThrow();
        if (stored.request_hash !== requestHash || stored.response_status === null) {
          throw new ProblemError(
            409,
            'idempotency_key_reused',
            `Idempotency-Key "${key}" was already used for a different request (${stored.method} ${stored.path})`,
          );
        }
        return { replayed: true, status: stored.response_status, body: stored.response_body };
      }
      const result = await work(trx, actor);
      await trx
        .insertInto('audit_record')
        .values({
          actor_user_id: actor.userId,
          actor_name: actor.name,
          actor_role: actor.role,
          action: spec.action,
          entity: spec.entity,
          entity_id: result.entityId,
          request_id: c.var.requestId,
          request_hash: requestHash,
        })
        .execute();
      await trx
        .updateTable('idempotency_record')
        .set({
          response_status: result.status,
          response_body: JSON.stringify(result.replayBody ?? result.body),
        })
        .where('user_id', '=', actor.userId)
        .where('idempotency_key', '=', key)
        .execute();
      return { replayed: false, status: result.status, body: result.body as unknown };
    },
    // Grouped: concurrent requests share one commit and one turn at the ledger's chain head.
    { retryOnUniqueViolation: ['idempotency_record_pkey'], grouped: true },
  );
  // A user or token changed: the next request here asks the database again (a revocation
  // counts at once in this process; other processes forget within ACTOR_CACHE_MS).
  if (spec.entity === 'user' || spec.entity === 'token') forgetActors(c.var.deps.db);
  if (outcome.replayed) c.header('Idempotent-Replayed', 'true');
  // A replay's body is the stored JSON of the first response, so it has the first's shape.
  return c.json(outcome.body as JsonBody<T>, outcome.status as S);
}
