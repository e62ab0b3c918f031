/**
 * @module Finance's seal commands. `npm run ledger:keygen -- --out FILE` makes an Ed25519
 * key (the private JWK written to FILE, readable by its owner only; the public key printed).
 * `npm run ledger:seal -- --key FILE --out SEAL [--month YYYY-MM | --checkpoint ID]` signs a
 * checkpoint — the one a month's close took, one by id, or else a new one of the ledger as it
 * is now — and writes the seal file to keep outside the database.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { databaseConfigFromEnv } from '../db/config.ts';
import { monthCloseCheckpointReason } from '../finance/period-close.ts';
import { openDatabaseOrExit } from '../node/open-database.ts';
import { generateSealKey, loadCheckpoint, signCheckpoint, takeCheckpointNow } from './seal.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    key: { type: 'string' },
    checkpoint: { type: 'string' },
    month: { type: 'string' },
  },
});
const command = positionals[0];

if (command === 'keygen' && values.out) {
  const key = await generateSealKey();
  await writeFile(values.out, `${JSON.stringify(key.privateJwk)}\n`, { mode: 0o600, flag: 'wx' });
  console.log(`private key written to ${values.out} (keep it outside the database)`);
  console.log(`public key: ${key.publicKey}`);
} else if (command === 'seal' && values.key && values.out) {
  const privateJwk = JSON.parse(await readFile(values.key, 'utf8')) as JsonWebKey;
  const handle = await openDatabaseOrExit(databaseConfigFromEnv());
  try {
    const checkpoint = values.month
      ? await loadCheckpoint(handle.db, { reason: monthCloseCheckpointReason(values.month) })
      : values.checkpoint
        ? await loadCheckpoint(handle.db, { id: Number.parseInt(values.checkpoint, 10) })
        : await takeCheckpointNow(handle.db, 'on demand', null);
    if (!checkpoint)
      throw new Error(
        values.month
          ? `no checkpoint for ${values.month}: is the month closed?`
          : `no checkpoint ${values.checkpoint}`,
      );
    const seal = await signCheckpoint(handle.db, checkpoint, privateJwk);
    await writeFile(values.out, `${JSON.stringify(seal)}\n`, { flag: 'wx' });
    console.log(
      `sealed checkpoint ${checkpoint.id} (${checkpoint.reason}): entries up to ${checkpoint.lastEntryId}, chain ${checkpoint.chainHash.slice(0, 16)}…, written to ${values.out}`,
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  } finally {
    await handle.close();
  }
} else {
  console.error(
    'usage: npm run ledger:keygen -- --out KEY_FILE\n       npm run ledger:seal -- --key KEY_FILE --out SEAL_FILE [--month YYYY-MM | --checkpoint ID]',
  );
  process.exit(2);
}
