/**
 * The reform office's registry: the working-day calendar, reform projects, versioned risk
 * points, the filing loop (备案) with its step history, and the coded reference lists.
 *
 * History is append-only in the database itself: risk-point versions, reference-list item
 * versions, filing steps and the risk points a submission covered can never be changed.
 * A risk point row may change once, when its filing is registered, and never again.
 * The calendar is seeded from data at start-up, never here: a migration must not depend on
 * a package's data files.
 */
import { type Kysely, sql } from 'kysely';

const FILING_STATUSES = [
  'draft',
  'submitted',
  'preliminary_review_passed',
  'preliminary_review_failed',
  'reviewed',
  'feedback_given',
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
  'register',
  'return',
  'reject',
];
/** Statuses in which the office has answered the latest submission. */
const ANSWERED_STATUSES = ['feedback_given', 'registered', 'returned', 'rejected'];
const CLOSED_STATUSES = ['registered', 'rejected'];

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

async function createCalendar(db: Kysely<unknown>): Promise<void> {
  // Only the days that differ from a plain Monday–Friday week are stored: days off (public
  // holidays) and make-up working days (调休), which can only fall on a weekend.
  await sql`
    CREATE TABLE working_calendar_day (
      day date PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      source text NOT NULL CHECK (source IN ('official_schedule', 'admin')),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      recorded_by uuid REFERENCES app_user (id),
      CHECK (kind = 'holiday' OR extract(isodow FROM day) IN (6, 7))
    )
  `.execute(db);
  // A year whose official schedule was loaded. Seeding skips it from then on, so a day an
  // admin removed is not put back at the next start.
  await sql`
    CREATE TABLE working_calendar_year (
      year integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
      source text NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
      seeded_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
}

async function createProjectsAndRiskPoints(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE reform_project (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
      owner_department text NOT NULL CHECK (length(owner_department) BETWEEN 1 AND 200),
      description text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid NOT NULL REFERENCES app_user (id)
    )
  `.execute(db);
  await sql`
    CREATE TABLE risk_point (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES reform_project (id),
      number integer NOT NULL CHECK (number BETWEEN 1 AND 10000),
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid NOT NULL REFERENCES app_user (id),
      registered_at timestamptz,
      registered_on date,
      registered_by_filing_id uuid,
      UNIQUE (project_id, number),
      CHECK ((registered_at IS NULL) = (registered_on IS NULL)),
      CHECK ((registered_at IS NULL) = (registered_by_filing_id IS NULL))
    )
  `.execute(db);
  await sql`CREATE INDEX risk_point_project ON risk_point (project_id, number)`.execute(db);

  // The registration date decides cover ("filed before the incident"), so once set it is
  // final, and nothing else about a risk point ever changes: amendments are new versions.
  await sql`
    CREATE FUNCTION registry_risk_point_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'UPDATE' OR OLD.registered_at IS NOT NULL
         OR (NEW.id, NEW.project_id, NEW.number, NEW.created_at, NEW.created_by)
            IS DISTINCT FROM (OLD.id, OLD.project_id, OLD.number, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'risk_point % refused: only an unregistered risk point may be registered, once', TG_OP
          USING ERRCODE = 'P0001';
      END IF;
      RETURN NEW;
    END $$
  `.execute(db);
  await sql`
    CREATE TRIGGER risk_point_registered_once BEFORE UPDATE OR DELETE ON risk_point
    FOR EACH ROW EXECUTE FUNCTION registry_risk_point_guard()
  `.execute(db);
  await sql`
    CREATE TRIGGER risk_point_no_truncate BEFORE TRUNCATE ON risk_point
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);

  await sql`
    CREATE TABLE risk_point_version (
      risk_point_id uuid NOT NULL REFERENCES risk_point (id),
      version integer NOT NULL CHECK (version >= 1),
      description text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
      likelihood text NOT NULL CHECK (likelihood IN ('low', 'medium', 'high')),
      impact text NOT NULL CHECK (impact IN ('low', 'medium', 'high')),
      control_plan text NOT NULL CHECK (length(control_plan) BETWEEN 1 AND 10000),
      amendment_note text CHECK (length(amendment_note) BETWEEN 1 AND 2000),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      recorded_by uuid NOT NULL REFERENCES app_user (id),
      PRIMARY KEY (risk_point_id, version),
      -- The first version is the original; every later one is an amendment and says why.
      CHECK ((version = 1) = (amendment_note IS NULL))
    )
  `.execute(db);
  await sql`CREATE INDEX risk_point_version_in_force ON risk_point_version (risk_point_id, recorded_at)`.execute(
    db,
  );
  await appendOnly(db, 'risk_point_version');
}

async function createFilings(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE filing (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES reform_project (id),
      status text NOT NULL DEFAULT 'draft' CHECK (status IN (${textList(FILING_STATUSES)})),
      submission_count integer NOT NULL DEFAULT 0 CHECK (submission_count >= 0),
      submitted_at timestamptz,
      submitted_on date,
      answered_at timestamptz,
      filed_at timestamptz,
      filed_on date,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid NOT NULL REFERENCES app_user (id),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((status = 'draft') = (submission_count = 0)),
      CHECK ((submitted_at IS NULL) = (submission_count = 0)),
      CHECK ((submitted_at IS NULL) = (submitted_on IS NULL)),
      CHECK ((answered_at IS NOT NULL) = (status IN (${textList(ANSWERED_STATUSES)}))),
      CHECK ((filed_at IS NOT NULL) = (status = 'registered')),
      CHECK ((filed_at IS NULL) = (filed_on IS NULL))
    )
  `.execute(db);
  // One filing in progress per project: a second would race the first for its risk points.
  await sql`
    CREATE UNIQUE INDEX filing_one_open_per_project ON filing (project_id)
    WHERE status NOT IN (${textList(CLOSED_STATUSES)})
  `.execute(db);
  await sql`CREATE INDEX filing_status ON filing (status, submitted_on)`.execute(db);
  await sql`
    ALTER TABLE risk_point ADD CONSTRAINT risk_point_registered_by_filing
    FOREIGN KEY (registered_by_filing_id) REFERENCES filing (id)
  `.execute(db);

  // The risk points (and the version of each) a submission covered; a resubmission after
  // a return adds a new set under the next submission number.
  await sql`
    CREATE TABLE filing_risk_point (
      filing_id uuid NOT NULL REFERENCES filing (id),
      submission_number integer NOT NULL CHECK (submission_number >= 1),
      risk_point_id uuid NOT NULL,
      risk_point_version integer NOT NULL,
      PRIMARY KEY (filing_id, submission_number, risk_point_id),
      FOREIGN KEY (risk_point_id, risk_point_version) REFERENCES risk_point_version (risk_point_id, version)
    )
  `.execute(db);
  await appendOnly(db, 'filing_risk_point');

  await sql`
    CREATE TABLE filing_step (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      filing_id uuid NOT NULL REFERENCES filing (id),
      step text NOT NULL CHECK (step IN (${textList(FILING_STEPS)})),
      from_status text CHECK (from_status IN (${textList(FILING_STATUSES)})),
      to_status text NOT NULL CHECK (to_status IN (${textList(FILING_STATUSES)})),
      actor_user_id uuid NOT NULL REFERENCES app_user (id),
      content jsonb NOT NULL DEFAULT '{}'::jsonb,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((step = 'create') = (from_status IS NULL))
    )
  `.execute(db);
  await sql`CREATE INDEX filing_step_filing ON filing_step (filing_id, id)`.execute(db);
  await appendOnly(db, 'filing_step');
}

async function createReferenceLists(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE reference_list_item (
      list text NOT NULL CHECK (list IN ('positive', 'negative', 'admission_criterion', 'assessment_rule')),
      code text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_.]{0,49}$'),
      version integer NOT NULL CHECK (version >= 1),
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
      wording text NOT NULL CHECK (length(wording) BETWEEN 1 AND 5000),
      area text CHECK (area IN ('pilot_reform', 'social_stability', 'key_work', 'streamlining_administration')),
      indicator text CHECK (indicator IN ('rationality', 'feasibility', 'controllability')),
      is_sample boolean NOT NULL,
      note text CHECK (length(note) BETWEEN 1 AND 2000),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      recorded_by uuid REFERENCES app_user (id),
      PRIMARY KEY (list, code, version),
      CHECK ((list = 'assessment_rule') = (indicator IS NOT NULL)),
      CHECK (area IS NULL OR list IN ('positive', 'negative')),
      -- Every edit says why; only the first (seeded or created) version may go without.
      CHECK (version = 1 OR note IS NOT NULL)
    )
  `.execute(db);
  await appendOnly(db, 'reference_list_item');
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await createCalendar(db);
  await createProjectsAndRiskPoints(db);
  await createFilings(db);
  await createReferenceLists(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE reference_list_item, filing_step, filing_risk_point, risk_point_version,
      risk_point, filing, reform_project, working_calendar_year, working_calendar_day
  `.execute(db);
  await sql`DROP FUNCTION registry_risk_point_guard`.execute(db);
}
