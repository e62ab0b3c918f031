/**
 * @module The special group (改革风险防控专项小组): its units as data (the reform office
 * leads; discipline inspection, organisation, audit, finance, staffing, justice and
 * government services are members) and who sits on it. The group's leader (the deputy
 * party secretary) decides exemptions; any member prepares them.
 */
import type { DB } from '../db/database.ts';
import type { GroupPart } from '../db/schema-exemption.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';

export interface GroupUnit {
  readonly code: string;
  readonly name: string;
  readonly part: GroupPart;
}

export interface GroupMember {
  readonly userId: string;
  readonly name: string;
  readonly unitCode: string;
  readonly isLeader: boolean;
  readonly appointedAt: Date;
}

export async function groupUnits(db: DB | Tx): Promise<GroupUnit[]> {
  return db
    .selectFrom('special_group_unit')
    .select(['code', 'name', 'part'])
    .orderBy('position')
    .execute();
}

/** Each user's latest appointment; a user appointed again holds only the newer one. */
function latestAppointments(db: DB | Tx) {
  return db
    .selectFrom('special_group_member as m')
    .innerJoin('app_user as u', 'u.id', 'm.user_id')
    .select([
      'm.user_id as userId',
      'u.name',
      'm.unit_code as unitCode',
      'm.is_leader as isLeader',
      'm.appointed_at as appointedAt',
    ])
    .distinctOn('m.user_id')
    .orderBy('m.user_id')
    .orderBy('m.id', 'desc')
    .where('u.active', '=', true);
}

export async function groupMembers(db: DB | Tx): Promise<GroupMember[]> {
  const members = await latestAppointments(db).limit(500).execute();
  return members.sort(
    (a, b) => Number(b.isLeader) - Number(a.isLeader) || a.name.localeCompare(b.name),
  );
}

export async function appointMember(
  trx: Tx,
  appointment: { readonly userId: string; readonly unitCode: string; readonly isLeader: boolean },
  context: { readonly actorUserId: string; readonly at: Date },
): Promise<GroupMember> {
  const user = await trx
    .selectFrom('app_user')
    .select(['id', 'role'])
    .where('id', '=', appointment.userId)
    .executeTakeFirst();
  if (!user) throw new DomainError('not_found', `user ${appointment.userId} does not exist`);
  if (user.role !== 'special_group') {
    throw new DomainError('validation_failed', 'only a special_group user can sit on the group', {
      role: user.role,
    });
  }
  const unit = await trx
    .selectFrom('special_group_unit')
    .select('code')
    .where('code', '=', appointment.unitCode)
    .executeTakeFirst();
  if (!unit) throw new DomainError('validation_failed', `no group unit "${appointment.unitCode}"`);
  await trx
    .insertInto('special_group_member')
    .values({
      user_id: appointment.userId,
      unit_code: appointment.unitCode,
      is_leader: appointment.isLeader,
      appointed_at: context.at,
      appointed_by: context.actorUserId,
    })
    .execute();
  const member = await memberOf(trx, appointment.userId);
  if (!member) throw new Error(`appointment of ${appointment.userId} not readable`);
  return member;
}

export async function memberOf(db: DB | Tx, userId: string): Promise<GroupMember | null> {
  const member = await latestAppointments(db).where('m.user_id', '=', userId).executeTakeFirst();
  return member ?? null;
}

/** The caller's seat on the group, or a refusal: a special_group user not yet appointed acts on nothing. */
export async function requireMember(db: DB | Tx, userId: string): Promise<GroupMember> {
  const member = await memberOf(db, userId);
  if (!member) {
    throw new DomainError(
      'separation_of_duties',
      'you are not appointed to the special group: an admin appoints members for a unit',
    );
  }
  return member;
}
