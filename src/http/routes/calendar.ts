/**
 * @module The working-day calendar: everyone may read it and count on it; only the admin
 * changes it, and only for days after today (deadlines already passed must not move).
 */
import { z } from '@hono/zod-openapi';
import { ROLES } from '../../access/tokens.ts';
import {
  addCalendarDay,
  addWorkingDays,
  type CalendarDay,
  isWorkingDay,
  listCalendarDays,
  loadWorkingCalendar,
  MAX_WORKING_DAYS,
  removeCalendarDay,
  scheduledYears,
} from '../../policy/calendar.ts';
import { localDateOf } from '../../policy/local-date.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../route.ts';
import { LocalDateSchema } from '../schemas.ts';

const CalendarDayKindSchema = z.enum(['holiday', 'workday']).openapi({
  description: 'holiday: a day off; workday: a weekend day made a working day (调休)',
  example: 'holiday',
});

const CalendarDaySchema = z
  .object({
    day: z.string(),
    kind: CalendarDayKindSchema,
    name: z.string(),
    source: z.enum(['official_schedule', 'admin']),
    recordedAt: z.string(),
    recordedBy: z.string().nullable(),
  })
  .openapi('CalendarDay');

const NewCalendarDaySchema = z
  .object({
    day: LocalDateSchema,
    kind: CalendarDayKindSchema,
    name: z.string().trim().min(1).max(200),
  })
  .strict()
  .openapi('NewCalendarDay', {
    example: { day: '2027-10-01', kind: 'holiday', name: '国庆节 National Day' },
  });

const DayParams = z.object({ day: LocalDateSchema });

const calendarDayBody = (day: CalendarDay) => ({
  ...day,
  recordedAt: day.recordedAt.toISOString(),
});

const today = () => localDateOf(new Date());

function registerCalendarReads(app: RouteApp): void {
  app.openapi(
    roleRoute(ROLES, {
      method: 'get',
      path: '/calendar/days',
      tags: ['calendar'],
      summary: 'The special days of the calendar (holidays and make-up working days)',
      request: {
        query: z.object({ year: z.coerce.number().int().min(2000).max(2100).optional() }),
      },
      responses: {
        200: json(
          z.object({
            days: z.array(CalendarDaySchema),
            scheduledYears: z.array(z.number().int()).openapi({
              description:
                'Years whose official schedule is loaded; days in other years are refused',
            }),
          }),
          'Calendar days',
        ),
      },
    }),
    async (c) => {
      const { year } = c.req.valid('query');
      const days = await listCalendarDays(c.var.deps.db, year);
      const years = await scheduledYears(c.var.deps.db);
      return c.json({ days: days.map(calendarDayBody), scheduledYears: years }, 200);
    },
  );

  app.openapi(
    roleRoute(ROLES, {
      method: 'get',
      path: '/calendar/working-days',
      tags: ['calendar'],
      summary: 'The n-th working day after a date (the date itself never counts)',
      request: {
        query: z.object({
          from: LocalDateSchema,
          days: z.coerce.number().int().min(0).max(MAX_WORKING_DAYS).openapi({ example: 7 }),
        }),
      },
      responses: {
        200: json(
          z.object({
            from: z.string(),
            days: z.number().int(),
            date: z.string(),
            fromIsWorkingDay: z.boolean(),
          }),
          'The date',
        ),
      },
    }),
    async (c) => {
      const { from, days } = c.req.valid('query');
      const calendar = await loadWorkingCalendar(c.var.deps.db);
      const date = addWorkingDays(calendar, from, days);
      return c.json({ from, days, date, fromIsWorkingDay: isWorkingDay(calendar, from) }, 200);
    },
  );
}

function registerCalendarEdits(app: RouteApp): void {
  mutationRoute(app, {
    roles: ['admin'],
    path: '/calendar/days',
    tags: ['calendar'],
    summary: 'Add a holiday or make-up working day (a future day only)',
    body: NewCalendarDaySchema,
    responses: { 201: json(CalendarDaySchema, 'Added') },
    action: 'calendar_day.add',
    entity: 'working_calendar_day',
    run: async ({ body, trx, actor }) => {
      const day = await addCalendarDay(trx, body, { actorUserId: actor.userId, today: today() });
      return { status: 201, body: calendarDayBody(day), entityId: day.day };
    },
  });

  mutationRoute(app, {
    roles: ['admin'],
    path: '/calendar/days/{day}/remove',
    tags: ['calendar'],
    summary: 'Remove a special day (a future day only): it becomes an ordinary day again',
    params: DayParams,
    responses: { 200: json(CalendarDaySchema, 'The day removed') },
    action: 'calendar_day.remove',
    entity: 'working_calendar_day',
    run: async ({ params, trx }) => {
      const day = await removeCalendarDay(trx, params.day, today());
      return { status: 200, body: calendarDayBody(day), entityId: day.day };
    },
  });
}

export function calendarRoutes(): RouteApp {
  const app = routes();
  registerCalendarReads(app);
  registerCalendarEdits(app);
  return app;
}
