/**
 * @module Readiness checks for Node processes: the database, and Redis when configured.
 */

import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { ReadinessCheck } from '../http/env.ts';

export function readinessChecks(
  db: DB,
  redisUrl: string | undefined,
): Record<string, ReadinessCheck> {
  const checks: Record<string, ReadinessCheck> = {
    database: async () => {
      await sql`SELECT 1`.execute(db);
      return true;
    },
  };
  if (redisUrl) {
    checks.redis = async () => {
      const redis = new Redis(redisUrl, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        connectTimeout: 1500,
      });
      try {
        await redis.connect();
        return (await redis.ping()) === 'PONG';
      } finally {
        redis.disconnect();
      }
    };
  }
  return checks;
}
