/**
 * Property-based tests of the ledger: random sequences of transfers, holds, posts, voids,
 * reversals and replays — many of them ones the ledger must refuse — run against a small
 * chart of bounded and unbounded accounts. A plain model (integer fen) predicts each
 * outcome; after every step the database itself is checked: every entry balances per unit
 * and phase, the trial balance is balanced, every cached balance equals its postings, no
 * bound is crossed counting open holds, and a refused or replayed command changed nothing.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DB } from '../../src/db/database.ts';
import { DomainError, type DomainErrorCode } from '../../src/domain-error.ts';
import { openAccount } from '../../src/ledger/accounts.ts';
import { trialBalance } from '../../src/ledger/balances.ts';
import { recordCommand } from '../../src/ledger/record.ts';
import type {
  Direction,
  EntryKind,
  JournalEntry,
  LedgerCommand,
  Phase,
  PostingCommand,
  TransferCommand,
  Unit,
} from '../../src/ledger/types.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { type DatabaseKind, freshDatabase, type TestDatabase } from '../support/database.ts';
import { fenText, type LedgerSnapshot, ledgerProblems, ledgerSnapshot } from './invariants.ts';

// ---------------------------------------------------------------------------------------
// The chart: four CNY and four COVERAGE accounts, bounds in fen.

interface ChartAccount {
  readonly name: string;
  readonly unit: Unit;
  readonly normalSide: Direction;
  readonly lower: bigint | null;
  readonly upper: bigint | null;
}

const CHART: readonly ChartAccount[] = [
  { name: 'cash:fund', unit: 'CNY', normalSide: 'debit', lower: 0n, upper: null },
  { name: 'cash:contributions', unit: 'CNY', normalSide: 'credit', lower: null, upper: null },
  { name: 'cash:payable', unit: 'CNY', normalSide: 'credit', lower: 0n, upper: 60_000n },
  { name: 'cash:expense', unit: 'CNY', normalSide: 'debit', lower: null, upper: null },
  { name: 'cov:cap', unit: 'COVERAGE', normalSide: 'credit', lower: null, upper: null },
  { name: 'cov:available', unit: 'COVERAGE', normalSide: 'debit', lower: 0n, upper: 100_000n },
  { name: 'cov:reserved', unit: 'COVERAGE', normalSide: 'debit', lower: 0n, upper: null },
  { name: 'cov:consumed', unit: 'COVERAGE', normalSide: 'debit', lower: 0n, upper: 80_000n },
];
const ACCOUNTS_PER_UNIT = 4;
const MISSING_ENTRY_ID = 2_000_000_000;

// ---------------------------------------------------------------------------------------
// Steps: what fast-check generates. Entries are named by a pick resolved against the model.

type Style = 0 | 1;
type BadField = 'empty key' | 'long key' | 'bad uuid' | 'bad date' | 'NUL';

type Step =
  | {
      readonly kind: 'transfer';
      readonly unit: number;
      readonly debit: number;
      readonly credit: number;
      /** A third leg: the amount is split between two accounts on one side. */
      readonly split: {
        readonly account: number;
        readonly seed: number;
        readonly onDebit: boolean;
      } | null;
      readonly fen: bigint;
      readonly pending: boolean;
      readonly keyed: boolean;
      /** A pool reference, sent in upper or lower case; stored and hashed in lower case. */
      readonly pool: { readonly id: string; readonly upper: boolean } | null;
      readonly style: Style;
    }
  | {
      readonly kind: 'unbalanced';
      readonly unit: number;
      readonly debit: number;
      readonly credit: number;
      readonly fen: bigint;
      /** Zero means "same amount, other unit" instead of "other amount, same unit". */
      readonly extraFen: bigint;
    }
  | {
      readonly kind: 'malformed';
      readonly unit: number;
      readonly debit: number;
      readonly credit: number;
      readonly fen: bigint;
      readonly amount: string;
      readonly onDebit: boolean;
    }
  | { readonly kind: 'single'; readonly unit: number; readonly debit: number; readonly fen: bigint }
  | { readonly kind: 'bad_field'; readonly field: BadField; readonly fen: bigint }
  | {
      readonly kind: 'unknown_account';
      readonly unit: number;
      readonly debit: number;
      readonly fen: bigint;
    }
  | {
      readonly kind: 'post';
      readonly pick: number;
      readonly holdsOnly: boolean;
      /** null: post everything held; else post per mille of the smaller leg, or 1 fen too much. */
      readonly partial: { readonly perMille: number; readonly over: boolean } | null;
      readonly keyed: boolean;
    }
  | {
      readonly kind: 'void';
      readonly pick: number;
      readonly holdsOnly: boolean;
      readonly keyed: boolean;
    }
  | { readonly kind: 'reverse'; readonly pick: number; readonly keyed: boolean }
  | { readonly kind: 'missing'; readonly command: 'post' | 'void' | 'reverse' }
  | {
      readonly kind: 'resend';
      readonly pick: number;
      readonly change: 'same' | 'reformatted' | 'description';
    };

const account = fc.integer({ min: 0, max: ACCOUNTS_PER_UNIT - 1 });
const unit = fc.integer({ min: 0, max: 1 });
const fen = fc.oneof(fc.bigInt(1n, 3_000n), fc.bigInt(1n, 30_000n));
const style = fc.constantFrom<Style>(0, 1);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('transfer' as const),
      unit,
      debit: account,
      credit: account,
      split: fc.option(fc.record({ account, seed: fc.nat(), onDebit: fc.boolean() }), {
        nil: null,
        freq: 4,
      }),
      fen,
      pending: fc.boolean(),
      keyed: fc.boolean(),
      style,
      pool: fc.option(fc.record({ id: fc.uuid(), upper: fc.boolean() }), { nil: null, freq: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('unbalanced' as const),
      unit,
      debit: account,
      credit: account,
      fen,
      extraFen: fc.bigInt(0n, 100n),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('malformed' as const),
      unit,
      debit: account,
      credit: account,
      fen,
      amount: fc.constantFrom(
        '0',
        '0.00',
        '1.005',
        '-5.00',
        '1e3',
        ' 5.00',
        '5.',
        '.5',
        '01.00',
        '1000000000000000.00',
      ),
      onDebit: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('single' as const), unit, debit: account, fen }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('bad_field' as const),
      field: fc.constantFrom<BadField>('empty key', 'long key', 'bad uuid', 'bad date', 'NUL'),
      fen,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('unknown_account' as const),
      unit,
      debit: account,
      fen,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('post' as const),
      pick: fc.nat(),
      holdsOnly: fc.constantFrom(true, true, true, false),
      partial: fc.option(
        fc.record({ perMille: fc.integer({ min: 1, max: 1000 }), over: fc.boolean() }),
        { nil: null },
      ),
      keyed: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('void' as const),
      pick: fc.nat(),
      holdsOnly: fc.constantFrom(true, true, true, false),
      keyed: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('reverse' as const),
      pick: fc.nat(),
      keyed: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('missing' as const),
      command: fc.constantFrom('post' as const, 'void' as const, 'reverse' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('resend' as const),
      pick: fc.nat(),
      change: fc.constantFrom('same' as const, 'reformatted' as const, 'description' as const),
    }),
  },
);

/** Fen as an amount string with 0–2 decimals ("12", "12.5", "12.34") or always two. */
function amountText(amount: bigint, textStyle: Style): string {
  const full = fenText(amount);
  if (textStyle === 1) return full;
  return full.replace(/\.00$/, '').replace(/(\.\d)0$/, '$1');
}

/** The same amount in the other style: "12.00" ↔ "12", "12.50" ↔ "12.5". */
function restyle(amount: string): string {
  const [whole = '', decimals = ''] = amount.split('.');
  const amountFen = BigInt(whole) * 100n + BigInt(decimals.padEnd(2, '0'));
  return amountText(amountFen, /\.\d\d$/.test(amount) ? 0 : 1);
}

// ---------------------------------------------------------------------------------------
// The model: what the ledger should hold and do, in integer fen.

interface ModelAccount {
  readonly code: string;
  readonly unit: Unit;
  readonly normalSide: Direction;
  readonly lower: bigint | null;
  readonly upper: bigint | null;
  pd: bigint;
  pc: bigint;
  hd: bigint;
  hc: bigint;
}

interface ModelPosting {
  readonly code: string;
  readonly direction: Direction;
  readonly phase: Phase;
  readonly fen: bigint;
}

interface ModelEntry {
  readonly id: number;
  readonly kind: EntryKind;
  readonly postings: readonly ModelPosting[];
  resolved: boolean;
  reversed: boolean;
}

interface Model {
  readonly prefix: string;
  readonly accounts: Map<string, ModelAccount>;
  readonly entries: ModelEntry[];
  /** Commands recorded under an idempotency key, for resending. */
  readonly keyed: { readonly entryId: number; readonly command: LedgerCommand }[];
}

type Expected =
  | {
      readonly status: 'recorded';
      readonly kind: EntryKind;
      readonly postings: readonly ModelPosting[];
      readonly pendingEntryId: number | null;
      readonly reversesEntryId: number | null;
      readonly poolId: string | null;
    }
  | { readonly status: 'replayed'; readonly entryId: number }
  | { readonly status: 'rejected'; readonly code: DomainErrorCode };

const reject = (code: DomainErrorCode): Expected => ({ status: 'rejected', code });
const opposite = (direction: Direction): Direction => (direction === 'debit' ? 'credit' : 'debit');

function codeOf(model: Model, unitIndex: number, accountIndex: number): string {
  const chart = CHART[unitIndex * ACCOUNTS_PER_UNIT + accountIndex];
  if (!chart) throw new Error(`no chart account ${unitIndex}/${accountIndex}`);
  return `${model.prefix}${chart.name}`;
}

function modelAccount(model: Model, code: string): ModelAccount {
  const found = model.accounts.get(code);
  if (!found) throw new Error(`model has no account ${code}`);
  return found;
}

/** The balances after the postings, or the limit the first touched account would cross. */
function applyPostings(
  model: Model,
  postings: readonly ModelPosting[],
): Map<ModelAccount, Pick<ModelAccount, 'pd' | 'pc' | 'hd' | 'hc'>> | 'limit_exceeded' {
  const next = new Map<ModelAccount, Pick<ModelAccount, 'pd' | 'pc' | 'hd' | 'hc'>>();
  for (const p of postings) {
    const a = modelAccount(model, p.code);
    const b = next.get(a) ?? { pd: a.pd, pc: a.pc, hd: a.hd, hc: a.hc };
    const signed = p.phase === 'release' ? -p.fen : p.fen;
    if (p.phase === 'posted') {
      if (p.direction === 'debit') b.pd += signed;
      else b.pc += signed;
    } else if (p.direction === 'debit') b.hd += signed;
    else b.hc += signed;
    next.set(a, b);
  }
  for (const [a, b] of next) {
    const lowest = a.normalSide === 'debit' ? b.pd - b.pc - b.hc : b.pc - b.pd - b.hd;
    const highest = a.normalSide === 'debit' ? b.pd + b.hd - b.pc : b.pc + b.hc - b.pd;
    if ((a.lower !== null && lowest < a.lower) || (a.upper !== null && highest > a.upper)) {
      return 'limit_exceeded';
    }
  }
  return next;
}

function recorded(
  model: Model,
  kind: EntryKind,
  postings: readonly ModelPosting[],
  links: { pendingEntryId?: number; reversesEntryId?: number; poolId?: string } = {},
): Expected {
  if (applyPostings(model, postings) === 'limit_exceeded') return reject('limit_exceeded');
  return {
    status: 'recorded',
    kind,
    postings,
    pendingEntryId: links.pendingEntryId ?? null,
    reversesEntryId: links.reversesEntryId ?? null,
    poolId: links.poolId ?? null,
  };
}

function unbalanced(postings: readonly ModelPosting[], units: Map<string, Unit>): boolean {
  const net = new Map<string, bigint>();
  for (const p of postings) {
    const key = `${units.get(p.code)}/${p.phase}`;
    net.set(key, (net.get(key) ?? 0n) + (p.direction === 'debit' ? p.fen : -p.fen));
  }
  return [...net.values()].some((difference) => difference !== 0n);
}

function sideTotals(postings: readonly ModelPosting[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const p of postings) {
    const side = `${p.direction} ${p.code}`;
    totals.set(side, (totals.get(side) ?? 0n) + p.fen);
  }
  return totals;
}

/** The open hold a post or void names, or why it cannot be resolved. */
function openHold(model: Model, id: number): ModelEntry | Expected {
  const hold = model.entries.find((e) => e.id === id);
  if (!hold) return reject('entry_not_found');
  if (hold.kind !== 'pending') return reject('not_pending');
  if (hold.resolved) return reject('already_resolved');
  return hold;
}

function pickEntry(model: Model, pick: number, holdsOnly: boolean): ModelEntry | undefined {
  const holds = model.entries.filter((e) => e.kind === 'pending');
  const candidates = holdsOnly && holds.length > 0 ? holds : model.entries;
  return candidates[pick % Math.max(candidates.length, 1)];
}

/** Turns a generated step into a command and what the ledger must answer. */
function plan(
  model: Model,
  step: Step,
  index: number,
): { command: LedgerCommand; expected: Expected } | null {
  const key = (keyed: boolean) => (keyed ? { idempotencyKey: `${model.prefix}key:${index}` } : {});
  const units = new Map([...model.accounts.values()].map((a) => [a.code, a.unit]));
  switch (step.kind) {
    case 'transfer': {
      const debitCode = codeOf(model, step.unit, step.debit);
      const creditCode = codeOf(model, step.unit, step.credit);
      const legs: { code: string; direction: Direction; fen: bigint }[] = [];
      const split = step.split && step.fen >= 2n ? step.split : null;
      if (split) {
        const part = 1n + (BigInt(split.seed) % (step.fen - 1n));
        const third = codeOf(model, step.unit, split.account);
        const side: Direction = split.onDebit ? 'debit' : 'credit';
        const splitCode = split.onDebit ? debitCode : creditCode;
        legs.push(
          { code: splitCode, direction: side, fen: part },
          { code: third, direction: side, fen: step.fen - part },
          {
            code: split.onDebit ? creditCode : debitCode,
            direction: opposite(side),
            fen: step.fen,
          },
        );
      } else {
        legs.push(
          { code: debitCode, direction: 'debit', fen: step.fen },
          { code: creditCode, direction: 'credit', fen: step.fen },
        );
      }
      const phase: Phase = step.pending ? 'pending' : 'posted';
      return {
        command: {
          type: 'transfer',
          ...key(step.keyed),
          pending: step.pending,
          description: `step ${index}: ${step.pending ? 'hold' : 'transfer'}`,
          ...(step.pool
            ? {
                references: { poolId: step.pool.upper ? step.pool.id.toUpperCase() : step.pool.id },
              }
            : {}),
          postings: legs.map((l) => ({
            accountCode: l.code,
            direction: l.direction,
            amount: amountText(l.fen, step.style),
          })),
        },
        expected: recorded(
          model,
          step.pending ? 'pending' : 'posted',
          legs.map((l) => ({ code: l.code, direction: l.direction, phase, fen: l.fen })),
          step.pool ? { poolId: step.pool.id.toLowerCase() } : {},
        ),
      };
    }
    case 'unbalanced': {
      const crossUnit = step.extraFen === 0n;
      const debitCode = codeOf(model, step.unit, step.debit);
      const creditCode = codeOf(model, crossUnit ? 1 - step.unit : step.unit, step.credit);
      const postings: ModelPosting[] = [
        { code: debitCode, direction: 'debit', phase: 'posted', fen: step.fen },
        { code: creditCode, direction: 'credit', phase: 'posted', fen: step.fen + step.extraFen },
      ];
      expect(unbalanced(postings, units)).toBe(true);
      return {
        command: {
          type: 'transfer',
          description: `step ${index}: unbalanced`,
          postings: postings.map((p) => ({
            accountCode: p.code,
            direction: p.direction,
            amount: fenText(p.fen),
          })),
        },
        expected: reject('unbalanced'),
      };
    }
    case 'malformed': {
      const good = fenText(step.fen);
      return {
        command: {
          type: 'transfer',
          description: `step ${index}: malformed amount`,
          postings: [
            {
              accountCode: codeOf(model, step.unit, step.debit),
              direction: 'debit',
              amount: step.onDebit ? step.amount : good,
            },
            {
              accountCode: codeOf(model, step.unit, step.credit),
              direction: 'credit',
              amount: step.onDebit ? good : step.amount,
            },
          ],
        },
        expected: reject('invalid_entry'),
      };
    }
    case 'single':
      return {
        command: {
          type: 'transfer',
          description: `step ${index}: one posting`,
          postings: [
            {
              accountCode: codeOf(model, step.unit, step.debit),
              direction: 'debit',
              amount: fenText(step.fen),
            },
          ],
        },
        expected: reject('invalid_entry'),
      };
    case 'bad_field': {
      const valid: TransferCommand = {
        type: 'transfer',
        description: `step ${index}: bad ${step.field}`,
        postings: [
          { accountCode: codeOf(model, 0, 1), direction: 'debit', amount: fenText(step.fen) },
          { accountCode: codeOf(model, 0, 3), direction: 'credit', amount: fenText(step.fen) },
        ],
      };
      const patch: Partial<TransferCommand> = {
        'empty key': { idempotencyKey: '' },
        'long key': { idempotencyKey: `${model.prefix}${'k'.repeat(200)}` },
        'bad uuid': { references: { claimId: 'not-a-uuid' } },
        'bad date': { effectiveAt: new Date('not a date') },
        NUL: { description: 'a\u0000b' },
      }[step.field];
      return { command: { ...valid, ...patch }, expected: reject('invalid_entry') };
    }
    case 'unknown_account':
      return {
        command: {
          type: 'transfer',
          description: `step ${index}: unknown account`,
          postings: [
            {
              accountCode: codeOf(model, step.unit, step.debit),
              direction: 'debit',
              amount: fenText(step.fen),
            },
            {
              accountCode: `${model.prefix}nowhere`,
              direction: 'credit',
              amount: fenText(step.fen),
            },
          ],
        },
        expected: reject('unknown_account'),
      };
    case 'post': {
      const target = pickEntry(model, step.pick, step.holdsOnly);
      if (!target) return null;
      const base = {
        type: 'post_pending' as const,
        ...key(step.keyed),
        pendingEntryId: target.id,
        description: `step ${index}: post ${target.id}`,
      };
      let given: ModelPosting[] | null = null;
      if (step.partial) {
        const debit = target.postings.find((p) => p.direction === 'debit');
        const credit = target.postings.find(
          (p) => p.direction === 'credit' && units.get(p.code) === units.get(debit?.code ?? ''),
        );
        if (!debit || !credit) throw new Error(`entry ${target.id} has no debit/credit pair`);
        const held = sideTotals(target.postings).get(`debit ${debit.code}`) ?? 0n;
        let smaller = debit.fen; // bigint: Math.min does not apply
        if (credit.fen < smaller) smaller = credit.fen;
        const scaled = (smaller * BigInt(step.partial.perMille)) / 1000n;
        const amount = step.partial.over ? held + 1n : scaled > 0n ? scaled : 1n;
        given = [
          { code: debit.code, direction: 'debit', phase: 'posted', fen: amount },
          { code: credit.code, direction: 'credit', phase: 'posted', fen: amount },
        ];
      }
      const command: LedgerCommand = given
        ? {
            ...base,
            postings: given.map((p) => ({
              accountCode: p.code,
              direction: p.direction,
              amount: fenText(p.fen),
            })),
          }
        : base;
      const hold = openHold(model, target.id);
      if ('status' in hold) return { command, expected: hold };
      const released = hold.postings.map((p) => ({ ...p, phase: 'release' as const }));
      const posted = given ?? hold.postings.map((p) => ({ ...p, phase: 'posted' as const }));
      const heldBySide = sideTotals(hold.postings);
      for (const [side, amount] of sideTotals(posted)) {
        if (amount > (heldBySide.get(side) ?? 0n))
          return { command, expected: reject('exceeds_pending') };
      }
      if (unbalanced(posted, units)) return { command, expected: reject('unbalanced') };
      return {
        command,
        expected: recorded(model, 'post_pending', [...released, ...posted], {
          pendingEntryId: hold.id,
        }),
      };
    }
    case 'void': {
      const target = pickEntry(model, step.pick, step.holdsOnly);
      if (!target) return null;
      const command: LedgerCommand = {
        type: 'void_pending',
        ...key(step.keyed),
        pendingEntryId: target.id,
        description: `step ${index}: void ${target.id}`,
      };
      const hold = openHold(model, target.id);
      if ('status' in hold) return { command, expected: hold };
      const released = hold.postings.map((p) => ({ ...p, phase: 'release' as const }));
      return {
        command,
        expected: recorded(model, 'void_pending', released, { pendingEntryId: hold.id }),
      };
    }
    case 'reverse': {
      const target = pickEntry(model, step.pick, false);
      if (!target) return null;
      const command: LedgerCommand = {
        type: 'reverse',
        ...key(step.keyed),
        entryId: target.id,
        description: `step ${index}: reverse ${target.id}`,
      };
      if (target.kind !== 'posted' && target.kind !== 'post_pending')
        return { command, expected: reject('not_reversible') };
      if (target.reversed) return { command, expected: reject('already_reversed') };
      const mirrored = target.postings
        .filter((p) => p.phase === 'posted')
        .map((p) => ({ ...p, direction: opposite(p.direction) }));
      return {
        command,
        expected: recorded(model, 'reversal', mirrored, { reversesEntryId: target.id }),
      };
    }
    case 'missing': {
      const description = `step ${index}: names a missing entry`;
      const command: LedgerCommand =
        step.command === 'reverse'
          ? { type: 'reverse', entryId: MISSING_ENTRY_ID, description }
          : step.command === 'post'
            ? { type: 'post_pending', pendingEntryId: MISSING_ENTRY_ID, description }
            : { type: 'void_pending', pendingEntryId: MISSING_ENTRY_ID, description };
      return { command, expected: reject('entry_not_found') };
    }
    case 'resend': {
      const earlier = model.keyed[step.pick % Math.max(model.keyed.length, 1)];
      if (!earlier) return null;
      const original = earlier.command;
      if (step.change === 'description') {
        return {
          command: { ...original, description: `${original.description} (changed)` },
          expected: reject('idempotency_conflict'),
        };
      }
      const reformat = (postings: readonly PostingCommand[]) =>
        postings.map((p) => ({ ...p, amount: restyle(String(p.amount)) }));
      const poolId = original.references?.poolId;
      const command: LedgerCommand =
        step.change === 'reformatted' && original.type === 'transfer'
          ? {
              ...original,
              postings: reformat(original.postings),
              ...(poolId
                ? {
                    references: {
                      poolId:
                        poolId === poolId.toLowerCase()
                          ? poolId.toUpperCase()
                          : poolId.toLowerCase(),
                    },
                  }
                : {}),
            }
          : step.change === 'reformatted' && original.type === 'post_pending' && original.postings
            ? { ...original, postings: reformat(original.postings) }
            : original;
      return { command, expected: { status: 'replayed', entryId: earlier.entryId } };
    }
  }
}

function commit(model: Model, expected: Expected & { status: 'recorded' }, entry: JournalEntry) {
  const next = applyPostings(model, expected.postings);
  if (next === 'limit_exceeded') throw new Error('committing a refused entry');
  for (const [a, b] of next) Object.assign(a, b);
  model.entries.push({
    id: entry.id,
    kind: expected.kind,
    postings: expected.postings,
    resolved: false,
    reversed: false,
  });
  const resolves = model.entries.find((e) => e.id === expected.pendingEntryId);
  if (resolves) resolves.resolved = true;
  const reverses = model.entries.find((e) => e.id === expected.reversesEntryId);
  if (reverses) reverses.reversed = true;
}

const postingKey = (p: { code: string; direction: string; phase: string; amount: string }) =>
  `${p.code} ${p.direction} ${p.phase} ${p.amount}`;

// ---------------------------------------------------------------------------------------

async function openChart(db: DB, prefix: string): Promise<Model> {
  const accounts = new Map<string, ModelAccount>();
  for (const chart of CHART) {
    const code = `${prefix}${chart.name}`;
    await openAccount(db, {
      code,
      name: chart.name,
      unit: chart.unit,
      normalSide: chart.normalSide,
      lowerBound: chart.lower === null ? null : fenText(chart.lower),
      upperBound: chart.upper === null ? null : fenText(chart.upper),
    });
    accounts.set(code, {
      code,
      unit: chart.unit,
      normalSide: chart.normalSide,
      lower: chart.lower,
      upper: chart.upper,
      pd: 0n,
      pc: 0n,
      hd: 0n,
      hc: 0n,
    });
  }
  return { prefix, accounts, entries: [], keyed: [] };
}

/** Every run starts with some cash in the fund and some coverage available, so draws can succeed. */
async function seed(db: DB, model: Model): Promise<void> {
  for (const [unitIndex, to, from] of [
    [0, 0, 1],
    [1, 1, 0],
  ] as const) {
    const postings: ModelPosting[] = [
      { code: codeOf(model, unitIndex, to), direction: 'debit', phase: 'posted', fen: 50_000n },
      { code: codeOf(model, unitIndex, from), direction: 'credit', phase: 'posted', fen: 50_000n },
    ];
    const expected = recorded(model, 'posted', postings);
    if (expected.status !== 'recorded') throw new Error('the seed does not fit the chart');
    const entry = await recordCommand(db, {
      type: 'transfer',
      description: 'seed',
      postings: postings.map((p) => ({
        accountCode: p.code,
        direction: p.direction,
        amount: fenText(p.fen),
      })),
    });
    commit(model, expected, entry);
  }
}

async function checkInvariants(db: DB, model: Model, after: LedgerSnapshot, label: string) {
  expect((await ledgerProblems(db)).join('\n'), label).toBe('');
  const trial = await trialBalance(db);
  expect(trial.balanced, label).toBe(true);
  for (const [unitName, totals] of Object.entries(trial.totals)) {
    expect(totals.debit, `${label}: trial balance in ${unitName}`).toBe(totals.credit);
  }
  // The balances the ledger reports are the model's.
  for (const row of after.accounts) {
    const a = model.accounts.get(String(row.code));
    if (!a) continue;
    expect(
      [row.posted_debits, row.posted_credits, row.pending_debits, row.pending_credits],
      `${label}: balances of ${a.code}`,
    ).toEqual([fenText(a.pd), fenText(a.pc), fenText(a.hd), fenText(a.hc)]);
  }
}

async function ledgerIsSound(db: DB): Promise<boolean> {
  return (
    (await ledgerProblems(db)).length === 0 &&
    (await trialBalance(db)).balanced &&
    (await verifyLedger(db)).ok
  );
}

const SETTINGS: Record<DatabaseKind, { numRuns: number; maxSteps: number }> = {
  postgres: { numRuns: 25, maxSteps: 30 },
  pglite: { numRuns: 12, maxSteps: 25 },
};

describe.each<DatabaseKind>(['postgres', 'pglite'])('ledger properties on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(kind);
    if (kind === 'postgres' && database.url) {
      // Thousands of tiny commits: skip waiting for each WAL flush. Durability on a crash is
      // all this changes; what a transaction sees and when it commits stay the same.
      const name = new URL(database.url).pathname.slice(1);
      await sql`ALTER DATABASE ${sql.id(name)} SET synchronous_commit = off`.execute(database.db);
      await sql`SET synchronous_commit = off`.execute(database.db);
    }
  });
  afterAll(() => database.close());

  it('keeps every invariant through random commands, and a refused command changes nothing', async () => {
    const db = database.db;
    const { numRuns, maxSteps } = SETTINGS[kind];
    let run = 0;
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: maxSteps, size: 'max' }),
        async (steps) => {
          // A failed run leaves its entries in the shared database. While fast-check shrinks,
          // skip the sequences that would start from a broken ledger instead of blaming them.
          fc.pre(await ledgerIsSound(db));
          run++;
          const model = await openChart(db, `run${run}:`);
          await seed(db, model);
          for (const [index, step] of steps.entries()) {
            const planned = plan(model, step, index);
            if (!planned) continue;
            const { command, expected } = planned;
            const label = `run ${run} step ${index} (${step.kind} → ${expected.status === 'rejected' ? expected.code : expected.status})`;
            const before = await ledgerSnapshot(db);
            const actual = await recordCommand(db, command).then(
              (entry) => ({ entry }),
              (error: unknown) => {
                if (error instanceof DomainError)
                  return { code: error.code, message: error.message };
                throw error;
              },
            );
            const after = await ledgerSnapshot(db);
            const tag = expected.status === 'rejected' ? expected.code : expected.status;
            outcomes.set(tag, (outcomes.get(tag) ?? 0) + 1);

            if (expected.status === 'recorded') {
              expect('entry' in actual ? null : actual, label).toBeNull();
              if (!('entry' in actual)) return;
              const { entry } = actual;
              expect(entry.id, label).toBe(before.lastEntryId + 1);
              expect(entry.kind, label).toBe(expected.kind);
              expect(entry.pendingEntryId, label).toBe(expected.pendingEntryId);
              expect(entry.reversesEntryId, label).toBe(expected.reversesEntryId);
              expect(entry.references.poolId, label).toBe(expected.poolId);
              expect(
                entry.postings.map((p) => postingKey({ ...p, code: p.accountCode })).sort(),
                label,
              ).toEqual(
                expected.postings.map((p) => postingKey({ ...p, amount: fenText(p.fen) })).sort(),
              );
              expect(after.entries, label).toBe(before.entries + 1);
              expect(after.postings, label).toBe(before.postings + expected.postings.length);
              expect(after.lastEntryId, label).toBe(entry.id);
              commit(model, expected, entry);
              if (command.idempotencyKey !== undefined)
                model.keyed.push({ entryId: entry.id, command });
            } else {
              if (expected.status === 'replayed') {
                expect('entry' in actual ? actual.entry.id : actual, label).toBe(expected.entryId);
              } else {
                expect('code' in actual ? actual.code : actual, label).toBe(expected.code);
              }
              // Refused or replayed: nothing at all changed.
              expect(after, label).toEqual(before);
            }
            await checkInvariants(db, model, after, label);
          }
          // The whole chain still verifies: hashes, links, balances.
          const report = await verifyLedger(db);
          expect(report.problems.join('\n'), `run ${run}: verifyLedger`).toBe('');
        },
      ),
      { numRuns },
    );
    // The generators reach the interesting cases, not just the easy ones (on the longer run).
    const wanted =
      kind === 'postgres'
        ? ['recorded', 'replayed', 'limit_exceeded', 'already_resolved', 'invalid_entry']
        : ['recorded', 'limit_exceeded'];
    for (const tag of wanted) {
      expect(outcomes.get(tag) ?? 0, `outcome ${tag} was exercised`).toBeGreaterThan(0);
    }
  }, 120_000);
});
