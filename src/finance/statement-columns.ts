/**
 * @module A statement's columns: which header names mean the value date, the amount, debit and
 * credit, the direction, references and the counterparty (as Chinese and English bank exports
 * print them), and the layout the columns found make. Pure, like the parser (statement-csv.ts)
 * that reads rows through them.
 */
import type { Parsed } from './statement-cells.ts';

// Keys are header cells after `headerKey`: NFKC (full-width to ASCII), lower case, no spaces
// or underscores, a trailing unit such as "(元)" or "(CNY)" and a trailing colon removed.
// Within a role, earlier groups win when a file has several such columns.

type Role = 'date' | 'amount' | 'debit' | 'credit' | 'direction' | 'reference' | 'counterparty';

const HEADER_NAMES: Readonly<Record<Role, readonly (readonly string[])[]>> = {
  date: [
    ['起息日', '起息日期', 'valuedate'],
    ['记账日期', '记账日', '入账日期', 'bookingdate', 'postingdate', 'bookeddate'],
    [
      '交易日期',
      '日期',
      '交易时间',
      '记账时间',
      '入账时间',
      'transactiondate',
      'date',
      'tradedate',
    ],
  ],
  amount: [['金额', '交易金额', '发生额', '收支金额', 'amount', 'transactionamount']],
  debit: [
    ['借方金额', '借方发生额', '借方', '支出', '支出金额', '付款金额', '转出金额'],
    ['debit', 'debitamount', 'debits', 'withdrawal', 'withdrawals', 'moneyout', 'paidout'],
  ],
  credit: [
    ['贷方金额', '贷方发生额', '贷方', '收入', '收入金额', '收款金额', '转入金额'],
    ['credit', 'creditamount', 'credits', 'deposit', 'deposits', 'moneyin', 'paidin'],
  ],
  direction: [
    ['借贷标志', '借贷方向', '借贷', '收支方向', '收支标志', '交易方向', '方向'],
    ['direction', 'dr/cr', 'debit/credit', 'drcr'],
  ],
  reference: [
    ['交易参考号', '参考号', '业务参考号', '客户参考号', '业务编号'],
    ['reference', 'ref', 'ref.', 'referencenumber', 'referenceno', 'ref.no', 'ourreference'],
    ['附言', '汇款附言', '交易附言', '用途', 'remark', 'remarks', 'memo', 'purpose'],
    ['摘要', 'description', 'narrative', 'details', 'particulars'],
    ['备注', 'note', 'notes'],
    ['流水号', '交易流水号', '银行流水号', '凭证号', 'transactionid', 'serialnumber', 'serialno'],
  ],
  counterparty: [
    ['对方户名', '对方账户名称', '对方账户名', '对方名称', '对方单位', '对方单位名称', '交易对方'],
    ['对手方户名', '对手方名称', '收(付)款人', '收付款人'],
    ['counterparty', 'counterpartyname', 'payer/payee', 'payee/payer', 'beneficiary', 'name'],
  ],
};

export function headerKey(cell: string): string {
  return cell
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_]/g, '')
    .replace(/:$/, '')
    .replace(/\((元|人民币|rmb|cny)\)$/, '');
}

/** Column indexes per role, best first (priority group, then position in the file). */
export type ColumnMap = Readonly<Record<Role, readonly number[]>>;

export function mapColumns(cells: readonly string[]): ColumnMap {
  const keys = cells.map(headerKey);
  const map = {} as Record<Role, number[]>;
  for (const role of Object.keys(HEADER_NAMES) as Role[]) {
    map[role] = HEADER_NAMES[role].flatMap((group) =>
      keys.flatMap((key, index) => (group.includes(key) ? [index] : [])),
    );
  }
  return map;
}

export const hasDateAndMoney = (map: ColumnMap) =>
  map.date.length > 0 && (map.amount.length > 0 || map.debit.length + map.credit.length > 0);

export function layoutOf(map: ColumnMap): Parsed<StatementLayout> {
  if (map.debit.length > 0 && map.credit.length > 0) return { value: 'debit_credit' };
  if (map.debit.length > 0 || map.credit.length > 0) {
    return {
      reason:
        'the header has a debit (借方/支出) or a credit (贷方/收入) column but not both; give both, or one signed amount column (金额/Amount)',
    };
  }
  if (map.direction.length > 0) return { value: 'amount_and_direction' };
  return { value: 'signed_amount' };
}

export const STATEMENT_LAYOUTS = ['signed_amount', 'debit_credit', 'amount_and_direction'] as const;

export type StatementLayout = (typeof STATEMENT_LAYOUTS)[number];
