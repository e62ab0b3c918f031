/**
 * @module The parts of the API's answers the console shows, as the routes publish them in
 * /openapi.json. Amounts stay strings from end to end.
 */

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

export interface Coverage {
  readonly asOf: string | null;
  readonly cumulativeCap: string;
  readonly capacity: string;
  readonly reserved: string;
  readonly consumed: string;
  readonly committed: string;
  readonly available: string;
  readonly surplus: string;
  readonly fundBalance: string;
  readonly utilisationPercent: string;
  readonly capacityUtilisationPercent: string;
}

export interface Alert {
  readonly id: string;
  readonly incidentId: string | null;
  readonly thresholdPercent: string;
  readonly committed: string;
  readonly cap: string;
  readonly raisedAt: string;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
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

export interface Payout {
  readonly id: string;
  readonly claimId: string;
  readonly category: string;
  readonly payee: string;
  readonly amount: string;
  readonly status: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly gatewayReference: string | null;
  readonly createdAt: string;
}

export interface Shortfall {
  readonly payoutsAwaitingFunds: number;
  readonly amountAwaitingFunds: string;
  readonly fundAvailable: string;
  readonly toCallFromInsurer: string;
}

export interface StatementSummary {
  readonly id: string;
  readonly source: string;
  readonly filename: string;
  readonly periodFrom: string;
  readonly periodTo: string;
  readonly lineCount: number;
}

export interface StatementReport {
  readonly summary: {
    readonly lines: number;
    readonly matched: number;
    readonly amountMismatches: number;
    readonly unmatchedStatementLines: number;
    readonly unmatchedLedgerItems: number;
    readonly explainedStatementLines: number;
    readonly explainedLedgerItems: number;
    readonly reconciled: boolean;
  };
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

export interface QueueItem {
  readonly claimId: string;
  readonly incidentId: string;
  readonly status: string;
  readonly claimant: string;
  readonly submittedAt: string;
  readonly ageDays: number;
  readonly claimed: string;
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

export interface LossRunRow {
  readonly project: string;
  readonly riskPointNumber: number;
  readonly incidentId: string;
  readonly incidentOccurredOn: string;
  readonly claimId: string;
  readonly claimSubmittedOn: string;
  readonly status: string;
  readonly claimed: string;
  readonly paid: string;
  readonly outstanding: string;
  readonly incurred: string;
  readonly incidentRemaining: string;
  readonly poolRemaining: string;
}
