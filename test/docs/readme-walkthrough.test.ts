/**
 * README's first hour, run as written: `npm start` on a fresh data folder, then every
 * shell block between the walk-through markers, with the tokens and the demo risk point the
 * start-up printed. A line that ends in `# → VALUE` must print exactly VALUE, so the README
 * cannot promise a figure the service does not give. A second start on the same folder finds
 * the same demo risk point (the demo seed is idempotent).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, startChild, stopAllChildren, stopChild } from '../payouts/processes.ts';
import { sleep } from '../payouts/support.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START = '<!-- walkthrough -->';
const END = '<!-- /walkthrough -->';
const CHECK = /^(.*\S)\s+# → (.+)$/;

interface Started {
  readonly child: Child;
  readonly output: string;
}

/** The shell of the walk-through: its blocks in order, each `# →` line turned into a check. */
function walkthroughScript(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error('README has no walk-through markers');
  const blocks = [...readme.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? '')
    // The block that says where to paste the printed tokens: the test supplies them.
    .filter((block) => !block.includes('rp_…'));
  return blocks
    .join('\n')
    .split('\n')
    .map((line, index) => {
      const check = CHECK.exec(line);
      if (!check) return line;
      const [, command, expected] = check;
      const quoted = `'${(expected ?? '').replaceAll("'", "'\\''")}'`;
      return [
        `__out=$(${command})`,
        `printf '%s\\n' "$__out"`,
        `[ "$__out" = ${quoted} ] || { echo "walk-through line ${index + 1}: README says ${quoted}, the service printed $__out" >&2; exit 1; }`,
      ].join('; ');
    })
    .join('\n');
}

async function startEmbedded(dataDir: string): Promise<Started> {
  const { DATABASE_URL: _database, REDIS_URL: _redis, ...inherited } = process.env;
  const child = startChild('npm start', 'npx', ['tsx', 'src/main.ts'], {
    ...inherited,
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const output = child.output.join('\n');
    if (output.includes('Try: curl')) return { child, output };
    if (child.process.exitCode !== null) break;
    await sleep(200);
  }
  throw new Error(`npm start did not come up:\n${child.output.join('\n')}`);
}

function printed(output: string) {
  const token = (name: string) => {
    const match = new RegExp(`\\s${name}\\s+(rp_\\S+)`).exec(output);
    if (!match?.[1]) throw new Error(`no token for ${name} in:\n${output}`);
    return match[1];
  };
  const base = /listening on (http:\/\/\S+)/.exec(output)?.[1];
  const riskPoint = /Demo risk point ([0-9a-f-]{36})/.exec(output)?.[1];
  if (!base || !riskPoint)
    throw new Error(`start-up did not print its base and risk point:\n${output}`);
  return {
    B: base,
    RISK_POINT: riskPoint,
    T_DEPARTMENT: token('demo-department'),
    T_OFFICE: token('demo-reform-office'),
    T_INSURER: token('demo-insurer'),
    T_INSURER2: token('demo-insurer-2'),
    T_INSURER3: token('demo-insurer-3'),
    T_FINANCE: token('demo-finance'),
    T_ADMIN: token('demo-admin'),
  };
}

afterAll(() => stopAllChildren());

describe("README's walk-through", () => {
  it('runs as written for the reform office, the insurer and finance, and prints what it says', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'riskpool-readme-'));
    try {
      const first = await startEmbedded(dataDir);
      const values = printed(first.output);
      const script = walkthroughScript(await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'));
      const shell = spawn('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...values },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      shell.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      shell.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const [code] = (await once(shell, 'exit')) as [number | null];
      expect(code, `${stderr}\n--- printed ---\n${stdout}`).toBe(0);
      expect(stderr).toBe('');
      await stopChild(first.child, 'SIGTERM');

      const second = await startEmbedded(dataDir);
      expect(printed(second.output).RISK_POINT).toBe(values.RISK_POINT);
      await stopChild(second.child, 'SIGTERM');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
