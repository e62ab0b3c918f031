/**
 * @module Possible duplicates, pure: a new incident on the same risk point within a few days
 * of another, at a similar place, may be the same loss event (the handler then links the two
 * or records why they are separate, loss-events.ts).
 */
import type { PossibleDuplicateIncident } from '../db/schema.ts';

/** Reports this many days apart or fewer may be one event. */
export const DUPLICATE_WINDOW_DAYS = 3;

const DAY_MS = 86_400_000;

function daysBetween(a: string, b: string): number {
  return Math.round(Math.abs(Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / DAY_MS);
}

const normalisedPlace = (place: string) =>
  place
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '');

function bigrams(text: string): Set<string> {
  const chars = [...text];
  if (chars.length < 2) return new Set(chars);
  return new Set(chars.slice(1).map((char, index) => `${chars[index]}${char}`));
}

/**
 * Places are similar when one names the other ("Xiangyang township" and "Xiangyang
 * township, east dyke"), or they share at least half their character pairs (Dice).
 */
export function similarPlaces(a: string, b: string): boolean {
  const left = normalisedPlace(a);
  const right = normalisedPlace(b);
  if (left === '' || right === '') return false;
  if (left.includes(right) || right.includes(left)) return true;
  const x = bigrams(left);
  const y = bigrams(right);
  const shared = [...x].filter((pair) => y.has(pair)).length;
  return (2 * shared) / (x.size + y.size) >= 0.5;
}

/** Pure: which earlier reports on the same risk point may be the same loss event. */
export function possibleDuplicates(
  candidate: { occurredOn: string; place: string },
  sameRiskPoint: readonly { incidentId: string; occurredOn: string; place: string }[],
): PossibleDuplicateIncident[] {
  return sameRiskPoint
    .map((other) => ({ ...other, daysApart: daysBetween(candidate.occurredOn, other.occurredOn) }))
    .filter(
      (other) =>
        other.daysApart <= DUPLICATE_WINDOW_DAYS && similarPlaces(candidate.place, other.place),
    );
}
