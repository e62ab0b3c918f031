/**
 * `planDecision` without a database: caps, cuts, documents and authority from facts alone.
 */
import { describe, expect, it } from 'vitest';
import {
  type DecisionFacts,
  type LineFacts,
  planDecision,
} from '../../src/claims/decision-plan.ts';
import { ATTESTED_FINDINGS } from '../../src/claims/eligibility.ts';
import { DomainError } from '../../src/domain-error.ts';
import { Money } from '../../src/ledger/money.ts';
import { COUNTY_REQUIRED_DOCUMENTS } from '../../src/policy/required-documents.ts';

const PASS = ATTESTED_FINDINGS.map((code) => ({ code, result: 'pass' as const, note: 'checked' }));

const line = (id: string, amount: string, overrides: Partial<LineFacts> = {}): LineFacts => ({
  id,
  lineNo: Number(id.replace(/\D/g, '')) || 1,
  category: 'lawyer_fees',
  amountClaimed: new Money(amount),
  previousPayable: new Money(0),
  namesEvidenceClaimedBefore: false,
  requiredDocuments: [],
  attachedDocuments: [],
  waivedRequirements: [],
  covered: true,
  countsAgainstCaps: true,
  ...overrides,
});

function facts(lines: LineFacts[], overrides: Partial<DecisionFacts> = {}): DecisionFacts {
  return {
    request: {
      decision: 'approve',
      lines: lines.map((l) => ({ lineId: l.id, approved: l.amountClaimed })),
      attestations: PASS,
      note: '',
    },
    kind: 'original',
    lines,
    eligibility: {
      riskPointRegisteredOn: '2026-02-01',
      occurredOn: '2026-06-01',
      periodStart: '2026-01-01',
      periodEnd: '2026-12-31',
      unresolvedDuplicateIncidents: 0,
    },
    caseFinding: null,
    left: { incident: new Money('500000.00'), project: null, pool: new Money('5000000.00') },
    authority: {
      deciderId: 'handler',
      submitterId: 'intake',
      limit: new Money('100000.00'),
      claimPayable: new Money(0),
      incidentPayable: new Money(0),
    },
    ...overrides,
  };
}

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('planDecision: authority that cannot be split around', () => {
  it('lets a decision within the limit take effect at once', () => {
    const plan = planDecision(facts([line('l1', '60000.00')]));
    expect(plan.needsChecker).toBeNull();
    expect(plan.payable.toFixed(2)).toBe('60000.00');
  });

  it('needs a checker when the claim’s cumulative payable passes the limit, however split', () => {
    const plan = planDecision(
      facts([line('l2', '60000.00')], {
        authority: {
          deciderId: 'handler',
          submitterId: 'intake',
          limit: new Money('100000.00'),
          claimPayable: new Money(0),
          incidentPayable: new Money('60000.00'),
        },
      }),
    );
    expect(plan.needsChecker).toBe(
      "the incident's cumulative payable 120000.00 passes the decider's authority limit 100000.00",
    );
  });

  it('refuses the submitter as decider', () => {
    const error = refusal(() =>
      planDecision(
        facts([line('l1', '10.00')], {
          authority: {
            deciderId: 'intake',
            submitterId: 'intake',
            limit: new Money('100000.00'),
            claimPayable: new Money(0),
            incidentPayable: new Money(0),
          },
        }),
      ),
    );
    expect(error.code).toBe('separation_of_duties');
  });
});

describe('planDecision: documents', () => {
  const lawyer = COUNTY_REQUIRED_DOCUMENTS.lawyer_fees;

  it('refuses a line without its invoice, naming the document', () => {
    const error = refusal(() =>
      planDecision(
        facts([
          line('l1', '8000.00', {
            requiredDocuments: lawyer,
            attachedDocuments: ['engagement_contract'],
          }),
        ]),
      ),
    );
    expect(error.code).toBe('required_document_missing');
    expect(error.details).toEqual({ documents: 'invoice', lines: '1' });
  });

  it('accepts a waiver in place of the document, and asks nothing of a line approved at 0.00', () => {
    const waived = planDecision(
      facts([
        line('l1', '8000.00', {
          requiredDocuments: lawyer,
          attachedDocuments: ['engagement_contract'],
          waivedRequirements: ['invoice'],
        }),
      ]),
    );
    expect(waived.payable.toFixed(2)).toBe('8000.00');
    const nothing = line('l1', '8000.00', { requiredDocuments: lawyer });
    const zero = planDecision(
      facts([nothing], {
        request: {
          decision: 'approve',
          lines: [{ lineId: 'l1', approved: new Money(0) }],
          attestations: PASS,
          note: '',
        },
      }),
    );
    expect(zero.payable.toFixed(2)).toBe('0.00');
  });

  it('takes a ruling or an award for litigation costs', () => {
    const plan = planDecision(
      facts([
        line('l1', '3000.00', {
          category: 'litigation_arbitration',
          requiredDocuments: COUNTY_REQUIRED_DOCUMENTS.litigation_arbitration,
          attachedDocuments: ['arbitral_award', 'fee_receipt'],
        }),
      ]),
    );
    expect(plan.outcome).toBe('approved');
  });
});

describe('planDecision: supplements', () => {
  it('cuts only the raise by what is left of the cap and names it', () => {
    const plan = planDecision(
      facts([line('l1', '500000.00', { previousPayable: new Money('450000.00') })], {
        kind: 'supplementary',
        request: {
          decision: 'approve',
          lines: [{ lineId: 'l1', approved: new Money('500000.00') }],
          attestations: PASS,
          note: '',
        },
        left: { incident: new Money('20000.00'), project: null, pool: new Money('5000000.00') },
      }),
    );
    expect(plan.lines.map((l) => [l.payable.toFixed(2), l.change.toFixed(2), l.cutBy])).toEqual([
      ['470000.00', '20000.00', 'per_incident_cap'],
    ]);
    expect(plan.incidentCapCut.toFixed(2)).toBe('30000.00');
    expect(plan.outcome).toBe('partly_approved');
  });

  it('refuses to lower a line below what was paid on it', () => {
    const error = refusal(() =>
      planDecision(
        facts([line('l1', '500000.00', { previousPayable: new Money('450000.00') })], {
          kind: 'supplementary',
          request: {
            decision: 'approve',
            lines: [{ lineId: 'l1', approved: new Money('400000.00') }],
            attestations: PASS,
            note: '',
          },
        }),
      ),
    );
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual({ line: '1', paid: '450000.00' });
  });
});

describe('planDecision: one loss event', () => {
  it('refuses to approve while another report of the event waits to be linked or separated', () => {
    const error = refusal(() =>
      planDecision(
        facts([line('l1', '10.00')], {
          eligibility: {
            riskPointRegisteredOn: '2026-02-01',
            occurredOn: '2026-06-01',
            periodStart: '2026-01-01',
            periodEnd: '2026-12-31',
            unresolvedDuplicateIncidents: 1,
          },
        }),
      ),
    );
    expect(error.code).toBe('eligibility_failed');
    expect(error.details.failing).toBe('NO_UNRESOLVED_DUPLICATE_INCIDENT');
  });
});
