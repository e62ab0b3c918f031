/**
 * The other half of the scheme: error-tolerance investigations (容错免责调查) with their
 * parties, evidence, coded findings, decisions and clarifications (澄清); the special group
 * (专项小组) as data; the exemption terms of a pool; and the filing loop assessed — review
 * outcomes from scores against versioned thresholds, conditions the department answers.
 *
 * History is append-only: findings, evidence, decisions, clarifications and thresholds are
 * never changed; a revision is a new row that names the one it replaces.
 */
import { type Kysely, sql } from 'kysely';

const ROLES = ['reform_office', 'insurer', 'finance', 'admin', 'department', 'special_group'];
const FILING_STATUSES = [
  'draft',
  'submitted',
  'preliminary_review_passed',
  'preliminary_review_failed',
  'reviewed',
  'feedback_given',
  'awaiting_answers',
  'registered',
  'returned',
  'rejected',
];
const FILING_STEPS = [
  'create',
  'submit',
  'pass_preliminary_review',
  'fail_preliminary_review',
  'record_review',
  'give_feedback',
  'give_conditional_feedback',
  'answer_conditions',
  'register',
  'return',
  'reject',
];
const ANSWERED_STATUSES = [
  'feedback_given',
  'awaiting_answers',
  'registered',
  'returned',
  'rejected',
];

/** The special group's units as the county's account names them; kept as data. */
const GROUP_UNITS: readonly (readonly [string, string, string, number])[] = [
  ['reform_office', '县委改革办 County reform office', 'lead_unit', 1],
  ['discipline_inspection', '县纪委监委 Discipline inspection commission', 'member_unit', 2],
  ['organisation_department', '县委组织部 Organisation department', 'member_unit', 3],
  ['audit_bureau', '县审计局 Audit bureau', 'member_unit', 4],
  ['finance_bureau', '县财政局 Finance bureau', 'member_unit', 5],
  ['staffing_office', '县委编办 Staffing office', 'member_unit', 6],
  ['justice_bureau', '县司法局 Justice bureau', 'member_unit', 7],
  ['government_services', '县政务服务中心 Government services office', 'member_unit', 8],
];

const textList = (values: readonly string[]) =>
  sql.raw(values.map((value) => `'${value}'`).join(', '));

async function appendOnly(db: Kysely<unknown>, table: string): Promise<void> {
  await sql`
    CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.raw(table)}
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);
  await sql`
    CREATE TRIGGER ${sql.raw(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.raw(table)}
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);
}

/** Drops the CHECK constraints of `table` whose definition mentions `column`. */
async function dropChecksOn(db: Kysely<unknown>, table: string, pattern: string): Promise<void> {
  await sql`
    DO $$
    DECLARE c record;
    BEGIN
      FOR c IN SELECT conname FROM pg_constraint
               WHERE conrelid = ${sql.lit(table)}::regclass AND contype = 'c'
                 AND pg_get_constraintdef(oid) ~ ${sql.lit(pattern)}
      LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', ${sql.lit(table)}, c.conname);
      END LOOP;
    END $$
  `.execute(db);
}

async function widenRolesAndFiling(db: Kysely<unknown>): Promise<void> {
  await dropChecksOn(db, 'app_user', '\\mrole\\M');
  await sql`ALTER TABLE app_user ADD CONSTRAINT app_user_role_check CHECK (role IN (${textList(ROLES)}))`.execute(
    db,
  );
  await dropChecksOn(db, 'filing', '\\mstatus\\M');
  await sql`ALTER TABLE filing ADD CONSTRAINT filing_status_check CHECK (status IN (${textList(FILING_STATUSES)}))`.execute(
    db,
  );
  await sql`ALTER TABLE filing ADD CONSTRAINT filing_draft_check CHECK ((status = 'draft') = (submission_count = 0))`.execute(
    db,
  );
  await sql`
    ALTER TABLE filing ADD CONSTRAINT filing_answered_check
    CHECK ((answered_at IS NOT NULL) = (status IN (${textList(ANSWERED_STATUSES)})))
  `.execute(db);
  await sql`ALTER TABLE filing ADD CONSTRAINT filing_filed_check CHECK ((filed_at IS NOT NULL) = (status = 'registered'))`.execute(
    db,
  );
  // The review's outcome gates what follows: a pass is fed back, a conditional pass waits
  // for the department's answers, a fail can only be returned or rejected.
  await sql`
    ALTER TABLE filing ADD COLUMN review_outcome text
      CHECK (review_outcome IN ('pass', 'conditional_pass', 'fail'))
  `.execute(db);
  await dropChecksOn(db, 'filing_step', '\\m(step|from_status|to_status)\\M');
  await sql`ALTER TABLE filing_step ADD CONSTRAINT filing_step_step_check CHECK (step IN (${textList(FILING_STEPS)}))`.execute(
    db,
  );
  await sql`
    ALTER TABLE filing_step ADD CONSTRAINT filing_step_status_check
    CHECK (from_status IN (${textList(FILING_STATUSES)}) AND to_status IN (${textList(FILING_STATUSES)}))
  `.execute(db);
  await sql`ALTER TABLE filing_step ADD CONSTRAINT filing_step_create_check CHECK ((step = 'create') = (from_status IS NULL))`.execute(
    db,
  );

  // Scores per indicator decide the review: at least pass_min passes, at least
  // conditional_min passes on conditions, less fails. Versioned like the reference lists.
  await sql`
    CREATE TABLE assessment_threshold (
      indicator text NOT NULL CHECK (indicator IN ('rationality', 'feasibility', 'controllability')),
      version integer NOT NULL CHECK (version >= 1),
      pass_min integer NOT NULL CHECK (pass_min >= 0),
      conditional_min integer NOT NULL CHECK (conditional_min >= 0 AND conditional_min <= pass_min),
      note text NOT NULL CHECK (length(note) BETWEEN 1 AND 2000),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      recorded_by uuid REFERENCES app_user (id),
      PRIMARY KEY (indicator, version)
    )
  `.execute(db);
  await appendOnly(db, 'assessment_threshold');
  await sql`
    INSERT INTO assessment_threshold (indicator, version, pass_min, conditional_min, note, recorded_at)
    VALUES ('rationality', 1, 8, 6, 'sample thresholds: 5 rules scored 0–2', '2000-01-01T00:00:00Z'),
           ('feasibility', 1, 8, 6, 'sample thresholds: 5 rules scored 0–2', '2000-01-01T00:00:00Z'),
           ('controllability', 1, 8, 6, 'sample thresholds: 5 rules scored 0–2', '2000-01-01T00:00:00Z')
  `.execute(db);
}

async function createSpecialGroup(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE special_group_unit (
      code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]{0,49}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      part text NOT NULL CHECK (part IN ('lead_unit', 'member_unit')),
      position integer NOT NULL UNIQUE
    )
  `.execute(db);
  for (const [code, name, part, position] of GROUP_UNITS) {
    await sql`INSERT INTO special_group_unit VALUES (${code}, ${name}, ${part}, ${position})`.execute(
      db,
    );
  }
  // Who sits on the group for which unit, and whether they lead it (the deputy party
  // secretary). An appointment is replaced by a newer one, never edited.
  await sql`
    CREATE TABLE special_group_member (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES app_user (id),
      unit_code text NOT NULL REFERENCES special_group_unit (code),
      is_leader boolean NOT NULL,
      appointed_at timestamptz NOT NULL DEFAULT now(),
      appointed_by uuid NOT NULL REFERENCES app_user (id)
    )
  `.execute(db);
  await sql`CREATE INDEX special_group_member_user ON special_group_member (user_id, id)`.execute(
    db,
  );
  await appendOnly(db, 'special_group_member');

  await sql`
    CREATE TABLE exemption_terms (
      pool_id uuid NOT NULL REFERENCES pool (id),
      version integer NOT NULL CHECK (version >= 1),
      effective_from date NOT NULL,
      investigation_working_days integer NOT NULL CHECK (investigation_working_days BETWEEN 1 AND 250),
      payouts_wait_for_decision boolean NOT NULL,
      claims_require_exemption boolean NOT NULL,
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      recorded_by uuid NOT NULL REFERENCES app_user (id),
      PRIMARY KEY (pool_id, version),
      UNIQUE (pool_id, effective_from)
    )
  `.execute(db);
  await appendOnly(db, 'exemption_terms');
}

async function createInvestigations(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE investigation (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      incident_id uuid NOT NULL UNIQUE REFERENCES incident (id),
      pool_id uuid NOT NULL REFERENCES pool (id),
      risk_point_id uuid NOT NULL REFERENCES risk_point (id),
      occurred_on date NOT NULL,
      filing_id uuid REFERENCES filing (id),
      risk_point_version integer,
      control_plan_as_filed text,
      investigation_working_days integer NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
      opened_at timestamptz NOT NULL,
      decided_at timestamptz,
      CHECK ((filing_id IS NULL) = (risk_point_version IS NULL)),
      CHECK ((filing_id IS NULL) = (control_plan_as_filed IS NULL)),
      CHECK ((status = 'decided') = (decided_at IS NOT NULL))
    )
  `.execute(db);
  await sql`CREATE INDEX investigation_open ON investigation (status, occurred_on)`.execute(db);

  await sql`
    CREATE TABLE investigation_party (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      investigation_id uuid NOT NULL REFERENCES investigation (id),
      kind text NOT NULL CHECK (kind IN ('unit', 'official')),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      unit text CHECK (length(unit) BETWEEN 1 AND 200),
      post text CHECK (length(post) BETWEEN 1 AND 200),
      recorded_at timestamptz NOT NULL,
      recorded_by uuid NOT NULL REFERENCES app_user (id),
      CHECK (kind = 'official' OR (unit IS NULL AND post IS NULL))
    )
  `.execute(db);
  await appendOnly(db, 'investigation_party');

  await sql`
    CREATE TABLE investigation_evidence (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      investigation_id uuid NOT NULL REFERENCES investigation (id),
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
      media_type text NOT NULL CHECK (length(media_type) BETWEEN 3 AND 100),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      size_bytes integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 1048576),
      content bytea NOT NULL,
      recorded_at timestamptz NOT NULL,
      recorded_by uuid NOT NULL REFERENCES app_user (id),
      UNIQUE (investigation_id, sha256),
      CHECK (octet_length(content) = size_bytes)
    )
  `.execute(db);
  await appendOnly(db, 'investigation_evidence');

  await sql`
    CREATE TABLE investigation_finding (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      investigation_id uuid NOT NULL REFERENCES investigation (id),
      code text NOT NULL CHECK (code IN ('FILED_BEFORE_INCIDENT', 'CONTROLLED_AS_FILED',
        'NON_SUBJECTIVE_OR_FORCE_MAJEURE', 'POSITIVE_LIST_APPLIES', 'NO_NEGATIVE_LIST_SITUATION')),
      kind text NOT NULL CHECK (kind IN ('automatic', 'attested')),
      met boolean NOT NULL,
      note text NOT NULL CHECK (length(note) BETWEEN 1 AND 5000),
      list_item_code text,
      list_item_version integer,
      evidence_ids jsonb NOT NULL DEFAULT '[]',
      recorded_at timestamptz NOT NULL,
      recorded_by uuid REFERENCES app_user (id),
      CHECK ((kind = 'automatic') = (recorded_by IS NULL)),
      CHECK ((list_item_code IS NULL) = (list_item_version IS NULL))
    )
  `.execute(db);
  await sql`CREATE INDEX investigation_finding_case ON investigation_finding (investigation_id, code, id)`.execute(
    db,
  );
  await appendOnly(db, 'investigation_finding');

  await sql`
    CREATE TABLE exemption_decision (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      investigation_id uuid NOT NULL REFERENCES investigation (id),
      version integer NOT NULL CHECK (version >= 1),
      supersedes_id uuid REFERENCES exemption_decision (id),
      outcome text NOT NULL CHECK (outcome IN ('exempt', 'partly_exempt', 'not_exempt')),
      proposed_outcome text NOT NULL CHECK (proposed_outcome IN ('exempt', 'not_proposed')),
      reasons text NOT NULL CHECK (length(reasons) BETWEEN 1 AND 5000),
      findings jsonb NOT NULL,
      prepared_by uuid NOT NULL REFERENCES app_user (id),
      prepared_at timestamptz NOT NULL,
      decided_by uuid NOT NULL REFERENCES app_user (id),
      decided_at timestamptz NOT NULL,
      UNIQUE (investigation_id, version),
      CHECK ((version = 1) = (supersedes_id IS NULL)),
      -- Four eyes in the database itself: whoever prepared a decision never takes it.
      CHECK (prepared_by <> decided_by)
    )
  `.execute(db);
  await appendOnly(db, 'exemption_decision');

  // A prepared decision waiting for the group leader; it becomes a decision or is withdrawn.
  await sql`
    CREATE TABLE exemption_draft (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      investigation_id uuid NOT NULL REFERENCES investigation (id),
      supersedes_id uuid REFERENCES exemption_decision (id),
      outcome text NOT NULL CHECK (outcome IN ('exempt', 'partly_exempt', 'not_exempt')),
      reasons text NOT NULL CHECK (length(reasons) BETWEEN 1 AND 5000),
      prepared_by uuid NOT NULL REFERENCES app_user (id),
      prepared_at timestamptz NOT NULL,
      state text NOT NULL DEFAULT 'awaiting_leader' CHECK (state IN ('awaiting_leader', 'decided', 'sent_back')),
      closed_at timestamptz,
      CHECK ((state = 'awaiting_leader') = (closed_at IS NULL))
    )
  `.execute(db);
  await sql`
    CREATE UNIQUE INDEX exemption_draft_one_open ON exemption_draft (investigation_id)
    WHERE state = 'awaiting_leader'
  `.execute(db);

  await sql`
    CREATE TABLE clarification (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      investigation_id uuid NOT NULL REFERENCES investigation (id),
      decision_id uuid NOT NULL REFERENCES exemption_decision (id),
      scope text NOT NULL CHECK (scope IN ('unit', 'county', 'public')),
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
      text text NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
      published_on date NOT NULL,
      recorded_at timestamptz NOT NULL,
      recorded_by uuid NOT NULL REFERENCES app_user (id)
    )
  `.execute(db);
  await sql`CREATE INDEX clarification_published ON clarification (scope, published_on)`.execute(
    db,
  );
  await appendOnly(db, 'clarification');
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await widenRolesAndFiling(db);
  await createSpecialGroup(db);
  await createInvestigations(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE clarification, exemption_draft, exemption_decision, investigation_finding,
      investigation_evidence, investigation_party, investigation, exemption_terms,
      special_group_member, special_group_unit, assessment_threshold
  `.execute(db);
  await sql`ALTER TABLE filing DROP COLUMN review_outcome`.execute(db);
}
