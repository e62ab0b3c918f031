/**
 * @module Runtime configuration read once from the environment.
 *
 * `DATABASE_URL` set means production PostgreSQL; unset means the embedded PGlite
 * database in `DATA_DIR` (default `.data/`).
 */
export interface DatabaseConfig {
  readonly kind: 'postgres' | 'pglite';
  /** PostgreSQL connection string, when kind is postgres. */
  readonly url?: string;
  /** PGlite data folder, or `memory://` for a throwaway in-memory database. */
  readonly dataDir?: string;
  readonly poolSize?: number;
}

export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    const poolSize = env.DATABASE_POOL_SIZE ? Number.parseInt(env.DATABASE_POOL_SIZE, 10) : 10;
    if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 200) {
      throw new Error(
        `DATABASE_POOL_SIZE must be an integer from 1 to 200, got "${env.DATABASE_POOL_SIZE}"`,
      );
    }
    return { kind: 'postgres', url, poolSize };
  }
  return { kind: 'pglite', dataDir: env.DATA_DIR?.trim() || '.data' };
}
