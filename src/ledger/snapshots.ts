/**
 * @module Balance snapshots: each account's posting sums over everything effective before a
 * boundary, the start of a local day in Asia/Shanghai (a month's close is the start of the
 * next month's first day). An as-of read starts from an account's latest snapshot at or
 * before its moment and sums only the postings after it: at most one day's.
 *
 * A row exists where the account moved in the day before its boundary; each row is exactly
 * the sum from the start, kept so by the posting trigger of migration 0023 when a posting is
 * effective before a boundary already taken (a backdated entry, a reopened month). Taking
 * snapshots holds the advisory lock that every posting statement shares, so a concurrent
 * posting either commits before the sums are read or finds the new rows to adjust. Lock
 * order: the chain head (when the caller holds it, as a month close does), then this lock.
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';

const TIME_ZONE = 'Asia/Shanghai';

/**
 * Each account's posting sums per local day, as of the boundary that ends the day (pd/pc
 * posted debits/credits, nd/nc pending): the rows a snapshot is made of, and checked against.
 * The caller adds its WHERE and GROUP BY 1, 2.
 */
const DAILY_SUMS = sql`SELECT p.account_id,
        (date_trunc('day', p.effective_at AT TIME ZONE ${TIME_ZONE}) + interval '1 day') AT TIME ZONE ${TIME_ZONE} AS boundary,
        coalesce(sum(p.amount) FILTER (WHERE p.phase = 'posted' AND p.direction = 'debit'), 0) AS pd,
        coalesce(sum(p.amount) FILTER (WHERE p.phase = 'posted' AND p.direction = 'credit'), 0) AS pc,
        coalesce(sum(CASE p.phase WHEN 'pending' THEN p.amount WHEN 'release' THEN -p.amount END)
          FILTER (WHERE p.direction = 'debit'), 0) AS nd,
        coalesce(sum(CASE p.phase WHEN 'pending' THEN p.amount WHEN 'release' THEN -p.amount END)
          FILTER (WHERE p.direction = 'credit'), 0) AS nc
      FROM posting p`;

/**
 * The postings `p` of the enclosing query summed by phase and side, under the names given:
 * posted debits, posted credits, then pending debits and credits less what was released.
 * NULL where no posting of the kind is summed.
 */
function postingSums(names: readonly [string, string, string, string]) {
  const [postedDebits, postedCredits, pendingDebits, pendingCredits] = names;
  const pending = "CASE p.phase WHEN 'pending' THEN p.amount WHEN 'release' THEN -p.amount END";
  return sql.raw(
    [
      `sum(p.amount) FILTER (WHERE p.phase = 'posted' AND p.direction = 'debit') AS ${postedDebits}`,
      `sum(p.amount) FILTER (WHERE p.phase = 'posted' AND p.direction = 'credit') AS ${postedCredits}`,
      `sum(${pending}) FILTER (WHERE p.direction = 'debit') AS ${pendingDebits}`,
      `sum(${pending}) FILTER (WHERE p.direction = 'credit') AS ${pendingCredits}`,
    ].join(', '),
  );
}

export interface SnapshotRun {
  /** Boundaries taken by this call: local days whose start is now snapshotted. */
  readonly boundariesTaken: number;
  /** The latest boundary snapshotted, if any. */
  readonly latestBoundary: Date | null;
}

/**
 * Takes the snapshots of every local day boundary not yet taken, up to `until` and never past
 * the start of today (a boundary still to come could yet see postings effective before it).
 */
export async function takeSnapshotsThrough(db: DB | Tx, until: Date): Promise<SnapshotRun> {
  if (!db.isTransaction)
    return (db as DB).transaction().execute((trx) => takeSnapshotsThrough(trx, until));
  // Nothing due (the usual hourly answer) is known without holding writers back.
  const due = await dueSpan(db, until);
  if (!due) return { boundariesTaken: 0, latestBoundary: null };
  await sql`SELECT pg_advisory_xact_lock(hashtext('ledger_balance_snapshot'))`.execute(db);
  const span = await dueSpan(db, until);
  if (!span) return { boundariesTaken: 0, latestBoundary: due.previous };
  const previous = span.previous?.toISOString() ?? '-infinity';
  const first = span.first.toISOString();
  const last = span.last.toISOString();
  const runs = await sql`
    INSERT INTO ledger_snapshot_run (boundary, day)
    SELECT b AT TIME ZONE ${TIME_ZONE}, b::date
    FROM generate_series(${first}::timestamptz AT TIME ZONE ${TIME_ZONE},
      ${last}::timestamptz AT TIME ZONE ${TIME_ZONE}, interval '1 day') b
  `.execute(db);
  // Each account that moved: its sums at the previous boundary (its latest row, plus any
  // late posting between that row and the boundary), then a running total day by day.
  await sql`
    WITH moved AS (
      ${DAILY_SUMS}
      WHERE p.effective_at >= ${previous}::timestamptz AND p.effective_at < ${last}::timestamptz
      GROUP BY 1, 2
    ),
    base AS (
      SELECT m.account_id,
        coalesce(s.posted_debits, 0) + coalesce(late.pd, 0) AS pd,
        coalesce(s.posted_credits, 0) + coalesce(late.pc, 0) AS pc,
        coalesce(s.pending_debits, 0) + coalesce(late.nd, 0) AS nd,
        coalesce(s.pending_credits, 0) + coalesce(late.nc, 0) AS nc
      FROM (SELECT DISTINCT account_id FROM moved) m
      LEFT JOIN LATERAL (
        SELECT * FROM ledger_balance_snapshot s
        WHERE s.account_id = m.account_id AND s.boundary <= ${previous}::timestamptz
        ORDER BY s.boundary DESC LIMIT 1
      ) s ON true
      LEFT JOIN LATERAL (
        SELECT ${postingSums(['pd', 'pc', 'nd', 'nc'])}
        FROM posting p
        WHERE p.account_id = m.account_id AND p.effective_at < ${previous}::timestamptz
          AND p.effective_at >= coalesce(s.boundary, '-infinity'::timestamptz)
      ) late ON true
    )
    INSERT INTO ledger_balance_snapshot
      (account_id, boundary, posted_debits, posted_credits, pending_debits, pending_credits)
    SELECT m.account_id, m.boundary,
      b.pd + sum(m.pd) OVER w, b.pc + sum(m.pc) OVER w, b.nd + sum(m.nd) OVER w, b.nc + sum(m.nc) OVER w
    FROM moved m JOIN base b ON b.account_id = m.account_id
    WINDOW w AS (PARTITION BY m.account_id ORDER BY m.boundary)
  `.execute(db);
  return { boundariesTaken: Number(runs.numAffectedRows ?? 0), latestBoundary: span.last };
}

/**
 * Per-account sums as of a moment (inclusive) for the account `a` of the enclosing query:
 * from whichever of the account's snapshots is nearer in time, the latest at or before the
 * moment (plus the postings from its boundary up to the moment) or the first after it (minus
 * the postings after the moment and before its boundary). A day's end is a millisecond
 * before the next boundary, so reading it sums next to nothing.
 */
export const sumsAsOf = (asOf: Date) => {
  const at = sql`${asOf.toISOString()}::timestamptz`;
  const col = (name: string) =>
    sql.raw(
      `coalesce(CASE WHEN k.use_next THEN k.n_${name} ELSE k.b_${name} END, 0) + k.sign * coalesce(t.${name}, 0) AS ${name}`,
    );
  return sql`
  SELECT ${col('posted_debits')}, ${col('posted_credits')}, ${col('pending_debits')}, ${col('pending_credits')}
  FROM (
    SELECT b.posted_debits AS b_posted_debits, b.posted_credits AS b_posted_credits,
      b.pending_debits AS b_pending_debits, b.pending_credits AS b_pending_credits,
      n.posted_debits AS n_posted_debits, n.posted_credits AS n_posted_credits,
      n.pending_debits AS n_pending_debits, n.pending_credits AS n_pending_credits,
      u.use_next, CASE WHEN u.use_next THEN -1 ELSE 1 END AS sign,
      -- The postings between the snapshot and the moment; timestamps step by a microsecond.
      CASE WHEN u.use_next THEN ${at} + interval '1 microsecond'
        ELSE coalesce(b.boundary, '-infinity'::timestamptz) END AS low,
      CASE WHEN u.use_next THEN n.boundary - interval '1 microsecond' ELSE ${at} END AS high
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (
      SELECT * FROM ledger_balance_snapshot s
      WHERE s.account_id = a.id AND s.boundary <= ${at}
      ORDER BY s.boundary DESC LIMIT 1
    ) b ON true
    LEFT JOIN LATERAL (
      SELECT * FROM ledger_balance_snapshot s
      WHERE s.account_id = a.id AND s.boundary > ${at}
      ORDER BY s.boundary LIMIT 1
    ) n ON true
    CROSS JOIN LATERAL (
      SELECT n.boundary IS NOT NULL
        AND (b.boundary IS NULL OR n.boundary - ${at} < ${at} - b.boundary) AS use_next
    ) u
  ) k
  LEFT JOIN LATERAL (
    SELECT ${postingSums(['posted_debits', 'posted_credits', 'pending_debits', 'pending_credits'])}
    FROM posting p
    WHERE p.account_id = a.id AND p.effective_at >= k.low AND p.effective_at <= k.high
  ) t ON true
`;
};

interface DueSpan {
  readonly previous: Date | null;
  readonly first: Date;
  readonly last: Date;
}

/** The boundaries due: after the latest taken (or the first posting's day) up to the cap. */
async function dueSpan(db: DB | Tx, until: Date): Promise<DueSpan | undefined> {
  const { rows } = await sql<{ previous: Date | null; first: Date | null; last: Date | null }>`
    WITH bounds AS (
      SELECT (SELECT max(boundary) FROM ledger_snapshot_run) AS previous,
        least(${until.toISOString()}::timestamptz,
          date_trunc('day', now() AT TIME ZONE ${TIME_ZONE}) AT TIME ZONE ${TIME_ZONE}) AS cap
    )
    SELECT previous,
      coalesce(previous + interval '1 day',
        (SELECT date_trunc('day', min(effective_at) AT TIME ZONE ${TIME_ZONE}) + interval '1 day'
          FROM posting) AT TIME ZONE ${TIME_ZONE}) AS first,
      date_trunc('day', cap AT TIME ZONE ${TIME_ZONE}) AT TIME ZONE ${TIME_ZONE} AS last
    FROM bounds
  `.execute(db);
  const span = rows[0];
  return span?.first && span.last && span.first <= span.last
    ? { previous: span.previous, first: span.first, last: span.last }
    : undefined;
}

/**
 * Snapshots whose sums are not the sums of their account's postings before their boundary:
 * an as-of figure read through one of them would be untrue. Read in the caller's snapshot
 * (verification's REPEATABLE READ), one pass over the postings grouped by account and day.
 */
export async function snapshotDifferences(
  db: Tx,
  limit: number,
): Promise<{ readonly code: string; readonly boundary: Date }[]> {
  const { rows } = await sql<{ code: string; boundary: Date }>`
    WITH daily AS (
      ${DAILY_SUMS}
      WHERE p.account_id IN (SELECT DISTINCT account_id FROM ledger_balance_snapshot)
      GROUP BY 1, 2
    ),
    running AS (
      SELECT account_id, boundary,
        sum(pd) OVER w AS pd, sum(pc) OVER w AS pc, sum(nd) OVER w AS nd, sum(nc) OVER w AS nc
      FROM daily
      WINDOW w AS (PARTITION BY account_id ORDER BY boundary)
    )
    SELECT a.code, s.boundary
    FROM ledger_balance_snapshot s
    JOIN ledger_account a ON a.id = s.account_id
    -- A row is taken only where its account moved in the day before its boundary, and
    -- postings are never removed: its day is always among the account's days.
    LEFT JOIN running r ON r.account_id = s.account_id AND r.boundary = s.boundary
    WHERE r.account_id IS NULL
      OR (s.posted_debits, s.posted_credits, s.pending_debits, s.pending_credits)
        IS DISTINCT FROM (r.pd, r.pc, r.nd, r.nc)
    ORDER BY s.boundary, a.code
    LIMIT ${limit}
  `.execute(db);
  return rows;
}
