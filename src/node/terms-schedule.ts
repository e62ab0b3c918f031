/**
 * @module The scheduled step that brings dated terms into force: at start and then every
 * TERMS_SCHEDULE_MS (default an hour). Writes and reads on or after a date do it too, so
 * this only makes sure a pool nobody touches still gets its terms on time. The same step takes
 * the ledger's daily balance snapshots once a day has ended, so as-of reads in a long open
 * month sum at most a day of postings.
 */
import type { DB } from '../db/database.ts';
import type { Logger } from '../http/env.ts';
import { takeSnapshotsThrough } from '../ledger/snapshots.ts';
import { bringAllDueTermsIntoForce } from '../policy/terms-in-force.ts';

const DEFAULT_EVERY_MS = 60 * 60 * 1000;

export function startTermsSchedule(db: DB, logger: Logger): () => void {
  const every = Number(process.env.TERMS_SCHEDULE_MS ?? DEFAULT_EVERY_MS);
  const step = () =>
    bringAllDueTermsIntoForce(db, new Date()).then(
      (count) => {
        if (count > 0) logger.info({ versions: count }, 'dated terms brought into force');
      },
      (error: unknown) => logger.warn({ err: String(error) }, 'terms step failed; will retry'),
    );
  const snapshots = () =>
    takeSnapshotsThrough(db, new Date()).then(
      (run) => {
        if (run.boundariesTaken > 0)
          logger.info({ days: run.boundariesTaken }, 'daily balance snapshots taken');
      },
      (error: unknown) => logger.warn({ err: String(error) }, 'snapshot step failed; will retry'),
    );
  const both = () => {
    void step();
    void snapshots();
  };
  both();
  const timer = setInterval(both, every > 0 ? every : DEFAULT_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
