/** Which reports may be one loss event: same risk point, dates close, places alike. */
import { describe, expect, it } from 'vitest';
import { possibleDuplicates, similarPlaces } from '../../src/claims/possible-duplicates.ts';

describe('possible duplicate incidents', () => {
  it('flags a report two days from another at a place that names it, and not one a week away', () => {
    const flagged = possibleDuplicates({ occurredOn: '2026-06-03', place: 'Xiangyang township' }, [
      { incidentId: 'a', occurredOn: '2026-06-01', place: 'Xiangyang Township, east dyke' },
      { incidentId: 'b', occurredOn: '2026-06-10', place: 'Xiangyang township' },
      { incidentId: 'c', occurredOn: '2026-06-03', place: 'Dongcheng district office' },
    ]);
    expect(flagged).toEqual([
      {
        incidentId: 'a',
        occurredOn: '2026-06-01',
        place: 'Xiangyang Township, east dyke',
        daysApart: 2,
      },
    ]);
  });

  it('compares Chinese place names by their characters', () => {
    expect(similarPlaces('向阳镇东堤', '向阳镇东堤仓库')).toBe(true);
    expect(similarPlaces('向阳镇', '城关镇政务中心')).toBe(false);
  });
});
