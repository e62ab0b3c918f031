/**
 * The committed client types are what the current routes produce: a route changed without
 * `npm run client:generate` fails here, before a client compiled against stale types ships.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_FILE, clientTypes } from '../../client/generate.ts';

describe('client/api-types.ts', () => {
  it('equals what openapi-typescript makes of the current /openapi.json', async () => {
    const committed = await readFile(CLIENT_TYPES_FILE, 'utf8');
    const current = await clientTypes();
    expect(committed === current, 'client/api-types.ts is stale: run npm run client:generate').toBe(
      true,
    );
  });
});
