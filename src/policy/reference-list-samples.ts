/**
 * @module SAMPLE wording for the coded reference lists, seeded as version 1 of each item.
 *
 * The county's published account gives only the shape of the lists (6 positive and 5
 * negative situations over 4 areas, 4 admission criteria, 15 assessment rules under 3
 * indicators), not their text. Every item below is placeholder wording, marked as such in
 * its text and by `isSample`, for the reform office to replace with the adopted wording
 * (an edit is a new version). The split of the 15 rules as 5 per indicator is also a sample.
 */
import type { AssessmentIndicator, ReferenceListName, ReformArea } from '../db/schema-registry.ts';

export interface SampleReferenceItem {
  readonly list: ReferenceListName;
  readonly code: string;
  readonly title: string;
  readonly wording: string;
  readonly area: ReformArea | null;
  readonly indicator: AssessmentIndicator | null;
}

const SAMPLE = '[Sample wording — replace with the adopted text]';

const situation = (
  list: 'positive' | 'negative',
  index: number,
  area: ReformArea | null,
  title: string,
  wording: string,
): SampleReferenceItem => ({
  list,
  code: `${list}.${index}`,
  title,
  wording: `${SAMPLE} ${wording}`,
  area,
  indicator: null,
});

const POSITIVE: readonly SampleReferenceItem[] = [
  situation(
    'positive',
    1,
    'pilot_reform',
    'Pilot explored without precedent',
    'A loss arising in a pilot reform authorised by a higher level, where no rule or precedent existed and the risk was filed in advance.',
  ),
  situation(
    'positive',
    2,
    'pilot_reform',
    'Pilot adjusted as conditions changed',
    'A loss arising because a pilot was adjusted to changed conditions following a collective decision recorded at the time.',
  ),
  situation(
    'positive',
    3,
    'social_stability',
    'Stability measure taken in an emergency',
    'A loss arising from a measure taken promptly to keep social stability in an emergency, reported afterwards as required.',
  ),
  situation(
    'positive',
    4,
    'key_work',
    'Key task pushed ahead on schedule',
    'A loss arising while carrying out a key task set by the county, following the filed risk-control plan.',
  ),
  situation(
    'positive',
    5,
    'key_work',
    'Policy boundary unclear at the time',
    'A loss arising where the applicable policy was unclear when the decision was made and the decision followed due procedure.',
  ),
  situation(
    'positive',
    6,
    'streamlining_administration',
    'Approval streamlined or delegated',
    'A loss arising from streamlining, delegating or cancelling an approval step as part of a filed reform.',
  ),
];

const NEGATIVE: readonly SampleReferenceItem[] = [
  situation(
    'negative',
    1,
    null,
    'Personal gain',
    'Any situation in which an official sought personal gain or benefit for others.',
  ),
  situation(
    'negative',
    2,
    null,
    'Procedure knowingly breached',
    'Any situation in which the decision procedure or an explicit prohibition was knowingly breached.',
  ),
  situation(
    'negative',
    3,
    null,
    'Risk control not carried out as filed',
    'Any situation in which the filed risk-control plan was not carried out.',
  ),
  situation(
    'negative',
    4,
    'social_stability',
    'Warning ignored',
    'Any situation in which a clear warning of a stability risk was ignored or concealed.',
  ),
  situation(
    'negative',
    5,
    null,
    'Loss concealed or falsified',
    'Any situation in which a loss was concealed, or facts or evidence were falsified.',
  ),
];

const criterion = (code: string, title: string, wording: string): SampleReferenceItem => ({
  list: 'admission_criterion',
  code,
  title,
  wording: `${SAMPLE} ${wording}`,
  area: null,
  indicator: null,
});

const ADMISSION_CRITERIA: readonly SampleReferenceItem[] = [
  criterion(
    'is_reform',
    'Is it a reform',
    'The project changes an institution, mechanism or procedure, rather than routine work.',
  ),
  criterion(
    'breakthrough',
    'Is it breakthrough',
    'The project breaks through an existing constraint or bottleneck.',
  ),
  criterion(
    'leading',
    'Is it leading',
    'The project is ahead of comparable counties or sets an example for others.',
  ),
  criterion(
    'innovative',
    'Is it innovative',
    'The project introduces a new approach not used before in the county.',
  ),
];

const RULE_TITLES: Readonly<Record<AssessmentIndicator, readonly string[]>> = {
  rationality: [
    'Consistent with law and higher-level policy',
    'Clear reform objective',
    'Need for the reform shown',
    'Decision procedure followed',
    'Stakeholders consulted',
  ],
  feasibility: [
    'Resources and funding identified',
    'Implementation timetable realistic',
    'Responsible units and people named',
    'Technical conditions in place',
    'Comparable experience considered',
  ],
  controllability: [
    'Risk points identified completely',
    'Likelihood and impact assessed',
    'Control measure for each risk point',
    'Early-warning and reporting in place',
    'Contingency plan for loss events',
  ],
};

const ASSESSMENT_RULES: readonly SampleReferenceItem[] = (
  Object.entries(RULE_TITLES) as [AssessmentIndicator, readonly string[]][]
).flatMap(([indicator, titles]) =>
  titles.map((title, index) => ({
    list: 'assessment_rule' as const,
    code: `${indicator}.${index + 1}`,
    title,
    wording: `${SAMPLE} Assess under ${indicator}: ${title.toLowerCase()}.`,
    area: null,
    indicator,
  })),
);

export const SAMPLE_REFERENCE_ITEMS: readonly SampleReferenceItem[] = [
  ...POSITIVE,
  ...NEGATIVE,
  ...ADMISSION_CRITERIA,
  ...ASSESSMENT_RULES,
];
