/**
 * @module Kysely's view of the tables, written by hand beside the migrations: the one
 * `Database` that every area's tables (schema-*.ts) make up. The hand-written types stay
 * beside the generated ones (generated/database.ts) because they are narrower — a status's
 * union, a JSON column's shape, a date read as `unknown` — and a test holds the two to agree.
 *
 * NUMERIC columns are strings (never numbers); int8 columns are numbers because the
 * drivers are set to parse them so (they carry ids and counts, never money).
 */
import type { AccessTables } from './schema-access.ts';
import type { ClaimTables } from './schema-claims.ts';
import type { CoverageTables } from './schema-coverage.ts';
import type { ExemptionTables } from './schema-exemption.ts';
import type { FinanceTables } from './schema-finance.ts';
import type { LedgerTables } from './schema-ledger.ts';
import type { PayoutTables } from './schema-payouts.ts';
import type { PoolTables } from './schema-pools.ts';
import type { RegistryTables } from './schema-registry.ts';

export type { Role } from './schema-access.ts';
export type {
  ClaimStatus,
  DuplicateRow,
  EvidenceRow,
  FindingRow,
  PossibleDuplicateIncident,
} from './schema-claims.ts';
export type { PayoutStatus } from './schema-payouts.ts';

export interface Database
  extends LedgerTables,
    AccessTables,
    PoolTables,
    ClaimTables,
    PayoutTables,
    RegistryTables,
    FinanceTables,
    CoverageTables,
    ExemptionTables {}
