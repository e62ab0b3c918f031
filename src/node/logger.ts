/**
 * @module JSON logs with pino; `LOG_LEVEL` sets the level (default info, silent in tests).
 */
import { pino } from 'pino';
import type { Logger } from '../http/env.ts';

export function createLogger(): Logger {
  return pino({
    level: process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
    base: { service: 'risk-pool' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
