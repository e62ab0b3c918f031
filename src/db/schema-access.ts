/**
 * @module Kysely's view of the access tables: users with their roles, access tokens, the bad-token
 * throttle, and the records every write leaves (idempotency answers, the audit trail).
 */
import type { ColumnType, Generated } from 'kysely';

export type Role =
  | 'reform_office'
  | 'insurer'
  | 'finance'
  | 'admin'
  | 'department'
  | 'special_group';

export interface AppUserTable {
  id: Generated<string>;
  name: string;
  role: Role;
  active: Generated<boolean>;
  created_at: Generated<Date>;
  created_by: string | null;
  /** What the user may decide alone, cumulative per claim and per incident; null: the terms' four-eyes threshold (migration 0017). */
  authority_limit: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AccessTokenTable {
  id: Generated<string>;
  user_id: string;
  token_hash: string;
  label: string;
  created_at: Generated<Date>;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export interface AuthThrottleTable {
  client: string;
  window_started_at: Date;
  failures: number;
}

export interface IdempotencyRecordTable {
  user_id: string;
  idempotency_key: string;
  request_hash: string;
  method: string;
  path: string;
  response_status: number | null;
  response_body: ColumnType<unknown, string | null, string | null> | null;
  created_at: Generated<Date>;
}

export interface AuditRecordTable {
  id: Generated<number>;
  recorded_at: Generated<Date>;
  actor_user_id: string | null;
  actor_name: string;
  actor_role: string;
  action: string;
  entity: string;
  entity_id: string | null;
  request_id: string;
  request_hash: string;
}

export interface AccessTables {
  app_user: AppUserTable;
  access_token: AccessTokenTable;
  auth_throttle: AuthThrottleTable;
  idempotency_record: IdempotencyRecordTable;
  audit_record: AuditRecordTable;
}
