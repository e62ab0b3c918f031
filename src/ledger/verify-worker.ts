/**
 * @module A verification worker thread: joins the caller's REPEATABLE READ snapshot on its
 * own connection and checks the id ranges it is handed, one at a time, until told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { checkChunk, ENTRY_SQL, POSTING_SQL, type Row } from './verify-chunk.ts';

export interface VerifyWorkerData {
  readonly url: string;
  readonly snapshotId: string;
  readonly units: readonly (readonly [number, number])[];
  readonly unitNames: readonly string[];
}

export type VerifyWorkerRequest = { readonly fromId: number; readonly toId: number } | 'stop';

const data = workerData as VerifyWorkerData;
const port = parentPort;
if (!port) throw new Error('verify-worker runs as a worker thread');
const unitOf = new Map(data.units);
// Every column as the server's text: nothing parsed that the check does not need.
const asText = (text: string) => text;
const client = new pg.Client({
  connectionString: data.url,
  types: { getTypeParser: () => asText },
});
await client.connect();
await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
await client.query(`SET TRANSACTION SNAPSHOT '${data.snapshotId.replaceAll("'", '')}'`);
await client.query(`SET LOCAL TimeZone = 'UTC'`);

const rows = async (text: string, values: readonly number[]): Promise<Row[]> =>
  (await client.query<(string | null)[]>({ text, values: [...values], rowMode: 'array' })).rows;

port.on('message', async (request: VerifyWorkerRequest) => {
  if (request === 'stop') {
    await client.query('COMMIT');
    await client.end();
    port.close();
    return;
  }
  try {
    const range = [request.fromId, request.toId];
    const entries = await rows(ENTRY_SQL, range);
    const postings = await rows(POSTING_SQL, range);
    port.postMessage(
      checkChunk(request.fromId, request.toId, entries, postings, unitOf, data.unitNames),
    );
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
port.postMessage('ready');
