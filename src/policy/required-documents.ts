/**
 * @module Which documents each cost category needs before a line can be approved: a term,
 * listed per category. A requirement is met by any one of the document kinds it accepts
 * (a ruling or an arbitral award), or waived by a handler with a reason.
 */
import type { CostCategory } from './pool-accounts.ts';

export const DOCUMENT_KINDS = [
  'appraisal_report',
  'invoice',
  'ruling',
  'arbitral_award',
  'fee_receipt',
  'engagement_contract',
  'loss_inventory',
  'other',
] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export interface DocumentRequirement {
  /** The requirement's stable name, used in refusals and waivers (e.g. "invoice"). */
  readonly requirement: string;
  readonly anyOf: readonly DocumentKind[];
}

/** The county's list: what its insurer's claim standards ask for each category. */
export const COUNTY_REQUIRED_DOCUMENTS: Readonly<
  Record<CostCategory, readonly DocumentRequirement[]>
> = {
  appraisal: [
    { requirement: 'appraisal_report', anyOf: ['appraisal_report'] },
    { requirement: 'invoice', anyOf: ['invoice'] },
  ],
  litigation_arbitration: [
    { requirement: 'ruling_or_award', anyOf: ['ruling', 'arbitral_award'] },
    { requirement: 'fee_receipt', anyOf: ['fee_receipt'] },
  ],
  lawyer_fees: [
    { requirement: 'engagement_contract', anyOf: ['engagement_contract'] },
    { requirement: 'invoice', anyOf: ['invoice'] },
  ],
  property_loss: [
    { requirement: 'loss_inventory_or_appraisal', anyOf: ['loss_inventory', 'appraisal_report'] },
  ],
};

/** The requirements neither met by an attached document nor waived, in the terms' order. */
export function missingRequirements(
  requirements: readonly DocumentRequirement[],
  attached: readonly DocumentKind[],
  waived: readonly string[],
): string[] {
  return requirements
    .filter((r) => !waived.includes(r.requirement) && !r.anyOf.some((k) => attached.includes(k)))
    .map((r) => r.requirement);
}
