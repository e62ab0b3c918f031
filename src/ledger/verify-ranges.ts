/**
 * @module The entry ranges of a verification, checked in this process or — with a connection
 * string — by worker threads, each on its own connection joined to the snapshot the verification
 * exported, two ranges in flight per thread so its next rows are on their way.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import type { Tx } from '../db/transaction.ts';
import type { VerificationOptions } from './verify.ts';
import { type ChunkResult, checkChunk, ENTRY_SQL, POSTING_SQL, type Row } from './verify-chunk.ts';
import type { VerifyWorkerData, VerifyWorkerRequest } from './verify-worker.ts';

export async function checkRanges(
  db: Tx,
  ranges: readonly { fromId: number; toId: number }[],
  unitOf: ReadonlyMap<number, number>,
  unitNames: readonly string[],
  options: VerificationOptions,
): Promise<ChunkResult[]> {
  const workers = Math.min(
    options.workers ?? Math.min(availableParallelism(), 4),
    Math.ceil(ranges.length / 2),
  );
  if (!options.connectionString || workers <= 0 || ranges.length < 2) {
    const results: ChunkResult[] = [];
    for (const range of ranges) {
      const text = (query: string) =>
        sql.raw(query.replace('$1', String(range.fromId)).replace('$2', String(range.toId)));
      const asRows = (rows: readonly object[]): Row[] =>
        rows.map((row) => Object.values(row) as (string | null)[]);
      const entries = asRows((await sql<object>`${text(ENTRY_SQL)}`.execute(db)).rows);
      const postings = asRows((await sql<object>`${text(POSTING_SQL)}`.execute(db)).rows);
      results.push(checkChunk(range.fromId, range.toId, entries, postings, unitOf, unitNames));
    }
    return results;
  }
  const exported = await sql<{ id: string }>`SELECT pg_export_snapshot() AS id`.execute(db);
  const data: VerifyWorkerData = {
    url: options.connectionString,
    snapshotId: exported.rows[0]?.id ?? '',
    units: [...unitOf],
    unitNames,
  };
  return runWorkers(workers, ranges, data);
}

/** Hands ranges to the threads, two in flight each, so a thread's next rows are on their way. */
export function runWorkers(
  count: number,
  ranges: readonly { fromId: number; toId: number }[],
  data: VerifyWorkerData,
): Promise<ChunkResult[]> {
  const results: ChunkResult[] = [];
  let next = 0;
  let failed = false;
  return new Promise((resolve, reject) => {
    let open = count;
    const threads: Worker[] = [];
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const thread of threads) void thread.terminate();
      reject(error);
    };
    for (let i = 0; i < count; i++) {
      const thread = new Worker(new URL('./verify-worker.mjs', import.meta.url), {
        workerData: data,
      });
      threads.push(thread);
      let inFlight = 0;
      const send = () => {
        const range = ranges[next];
        if (range) {
          next++;
          inFlight++;
          thread.postMessage(range satisfies VerifyWorkerRequest);
        }
      };
      thread.on('message', (message: 'ready' | ChunkResult | { error: string }) => {
        if (message === 'ready') {
          send();
          send();
          if (inFlight === 0) thread.postMessage('stop' satisfies VerifyWorkerRequest);
          return;
        }
        if ('error' in message) {
          fail(new Error(`verification worker: ${message.error}`));
          return;
        }
        results.push(message);
        inFlight--;
        send();
        if (inFlight === 0) thread.postMessage('stop' satisfies VerifyWorkerRequest);
      });
      thread.on('error', fail);
      thread.on('exit', () => {
        open--;
        if (open === 0 && !failed) {
          if (results.length === ranges.length) resolve(results);
          else fail(new Error('verification workers stopped before every range was checked'));
        }
      });
    }
  });
}
