/**
 * docs/architecture.md's import rules, held to the code: every relative import between the
 * parts of src/ is one the table allows, and the domain core names no HTTP or queue library.
 * A `*-cli.ts` file is a process entry point, and imports as src/node does.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  db: [],
  reports: [],
  ledger: ['db'],
  policy: ['db', 'ledger'],
  exemption: ['db', 'policy'],
  claims: ['db', 'ledger', 'policy', 'exemption', 'reports'],
  payouts: ['db', 'ledger', 'policy', 'claims', 'exemption'],
  finance: ['db', 'ledger', 'policy', 'payouts', 'reports'],
  access: ['db'],
};
/**
 * The one use case that spans two parts: a claim decision orders its payouts in its own
 * transaction (payouts depend on claims for the claim's status, so the decision module reaches
 * down to the order, not the other way round).
 */
const CROSSING = new Set(['claims/decisions.ts → ../payouts/orders.ts']);
const CORE = ['ledger', 'policy', 'claims', 'exemption', 'finance'];
const EDGE_LIBRARIES = /^(hono|@hono\/|bullmq|ioredis|@bull-board\/)/;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map((m) => m[1] ?? '');
}

/** The part a file belongs to: `src/policy/x.ts` → policy; `src/seed.ts` → the root. */
function partOf(file: string): string {
  const relative = path.relative(SRC, file);
  return relative.includes(path.sep) ? (relative.split(path.sep)[0] ?? '') : '';
}

describe('the parts of src/', () => {
  it('import only what docs/architecture.md allows', async () => {
    const broken: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const part = partOf(file);
      const allowed = ALLOWED[part];
      if (!allowed || file.endsWith('-cli.ts')) continue;
      for (const specifier of await importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), specifier);
        const targetPart = partOf(target);
        if (targetPart === '' || targetPart === part) {
          if (targetPart === '' && path.basename(target) !== 'domain-error.ts')
            broken.push(`${path.relative(SRC, file)} → ${specifier}`);
          continue;
        }
        const edge = `${path.relative(SRC, file)} → ${specifier}`;
        if (!allowed.includes(targetPart) && !CROSSING.has(edge)) broken.push(edge);
      }
    }
    expect(broken).toEqual([]);
  });

  it('keep Hono, BullMQ and ioredis out of the domain core', async () => {
    const broken: string[] = [];
    for (const part of CORE) {
      for (const file of await sourceFiles(path.join(SRC, part))) {
        for (const specifier of await importsOf(file)) {
          if (EDGE_LIBRARIES.test(specifier))
            broken.push(`${path.relative(SRC, file)} → ${specifier}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
