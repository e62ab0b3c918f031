/**
 * @module The parts of the API's answers the console shows, as the routes publish them in
 * /openapi.json. Amounts stay strings from end to end. Where a route answers a domain view
 * as it is, the console names that view's type rather than a copy of it.
 */
import type { QueueItem as QueueView } from '../claims/views.ts';
import type { PoolCoverage } from '../policy/coverage.ts';

export type { LossRunRow } from '../claims/views.ts';
export type { StatementReport } from '../finance/statement-report.ts';
export type { PayoutView as Payout, Shortfall } from '../payouts/orders.ts';
export type { CoverageAlert as Alert } from '../policy/alerts.ts';

/** A work queue item: a claim, so its own id is `id`. */
export type QueueItem = Omit<QueueView, 'claimId'> & { readonly id: string };

/** Pool coverage as the API names it: what is left of the cap is `remaining`. */
export type Coverage = Omit<PoolCoverage, 'available'> & { readonly remaining: string };

export interface Me {
  readonly userId: string;
  readonly name: string;
  readonly role: string;
}

export interface PoolRef {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly insurer: string;
  readonly policyNumber: string;
}

export interface Terms {
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly poolWarningPercents: readonly string[];
  readonly cumulativeCap: string;
  readonly perIncidentCap: string;
}

export interface Project {
  readonly id: string;
  readonly name: string;
  readonly ownerDepartment: string;
  readonly riskPointCount: number;
  readonly registeredRiskPointCount: number;
  readonly filingStatus: string | null;
}

export interface Filing {
  readonly id: string;
  readonly projectId: string;
  readonly projectName: string;
  readonly status: string;
  readonly submittedOn: string | null;
  readonly filedOn: string | null;
  readonly deadline: {
    readonly dueOn: string;
    readonly state: string;
    readonly workingDaysLeft: number | null;
    readonly answeredOn: string | null;
  } | null;
}

export interface TrialBalance {
  readonly asOf: string | null;
  readonly lines: readonly {
    readonly accountCode: string;
    readonly accountName: string;
    readonly unit: string;
    readonly debit: string;
    readonly credit: string;
  }[];
  readonly totals: Readonly<Record<string, { readonly debit: string; readonly credit: string }>>;
  readonly balanced: boolean;
}

export interface PoolStatement {
  readonly period: { readonly from: string; readonly to: string };
  readonly cash: {
    readonly openingBalance: string;
    readonly contributions: string;
    readonly contributionRefunds: string;
    readonly remittances: string;
    readonly payoutsByCategory: Readonly<Record<string, string>>;
    readonly payouts: string;
    readonly closingBalance: string;
    readonly heldForPayouts: string;
  };
}

export interface StatementSummary {
  readonly id: string;
  readonly source: string;
  readonly filename: string;
  readonly periodFrom: string;
  readonly periodTo: string;
  readonly lineCount: number;
}

export interface PeriodState {
  readonly month: string;
  readonly closed: boolean;
  readonly closedAt: string | null;
  readonly history: readonly {
    readonly action: string;
    readonly forced: boolean;
    readonly reason: string;
    readonly recordedAt: string;
  }[];
}

export interface ClaimDetail {
  readonly id: string;
  readonly incidentId: string;
  readonly status: string;
  readonly claimant: string;
  readonly submittedAt: string;
  readonly lines: readonly {
    readonly id: string;
    readonly category: string;
    readonly amountClaimed: string;
    readonly payee: string;
    readonly description: string;
    readonly evidence: readonly {
      readonly title: string;
      readonly documentNumber: string;
      readonly sha256: string;
    }[];
  }[];
  readonly money: {
    readonly claimed: string;
    readonly approved: string;
    readonly outstanding: string;
    readonly paid: string;
    readonly incurred: string;
  };
  readonly incidentCoverage: Readonly<Record<string, string | null>>;
  readonly decisions: readonly {
    readonly id: string;
    readonly outcome: string;
    readonly state: string;
    readonly findings: readonly {
      readonly code: string;
      readonly kind: string;
      readonly result: string;
      readonly note: string;
    }[];
    readonly denialReasons: readonly string[];
    readonly note: string;
    readonly approvedTotal: string;
    readonly payable: string;
    readonly cuts: readonly { readonly cap: string; readonly amount: string }[];
    readonly lines: readonly {
      readonly lineId: string;
      readonly approved: string;
      readonly payable: string;
      readonly cutBy: string | null;
    }[];
    readonly decidedAt: string;
  }[];
  readonly history: readonly {
    readonly from: string | null;
    readonly to: string;
    readonly action: string;
    readonly note: string;
    readonly recordedAt: string;
  }[];
}
