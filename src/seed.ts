/**
 * @module What every deployment starts with: the county's pool on its published terms,
 * the official working-day calendar, and the sample reference lists. Idempotent.
 */
import type { DB } from './db/database.ts';
import { seedWorkingCalendar } from './policy/calendar.ts';
import { type Pool, seedCountyPool } from './policy/pools.ts';
import { seedReferenceLists } from './policy/reference-lists.ts';

export async function seedDefaults(db: DB): Promise<Pool> {
  const pool = await seedCountyPool(db);
  await seedWorkingCalendar(db);
  await seedReferenceLists(db);
  return pool;
}
