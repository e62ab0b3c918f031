/**
 * @module The console's static files, all from the app itself so the pages work on a
 * closed network: the stylesheet, the chart script, and Apache ECharts from the installed
 * npm package. ECharts is read from node_modules once (Node APIs, loaded lazily so the
 * app's Web-standard core stays importable elsewhere) and kept in memory.
 */
import type { Hono } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { CONSOLE_SCRIPT } from './charts-script.ts';
import { CONSOLE_CSS } from './style.ts';

const ECHARTS_FILE = 'echarts/dist/echarts.min.js';
const CACHE = 'public, max-age=3600';

let echarts: Promise<string> | undefined;

async function readEcharts(): Promise<string> {
  const { createRequire } = await import('node:module');
  const { readFile } = await import('node:fs/promises');
  return readFile(createRequire(import.meta.url).resolve(ECHARTS_FILE), 'utf8');
}

export function registerConsoleAssets(app: Hono<AppEnv>): void {
  app.get('/console/assets/console.css', (c) =>
    c.body(CONSOLE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': CACHE }),
  );
  app.get('/console/assets/console.js', (c) =>
    c.body(CONSOLE_SCRIPT, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': CACHE,
    }),
  );
  app.get('/console/assets/echarts.min.js', async (c) => {
    echarts ??= readEcharts().catch((error: unknown) => {
      echarts = undefined;
      throw error;
    });
    return c.body(await echarts, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': CACHE,
    });
  });
}
