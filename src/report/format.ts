import Table from 'cli-table3';
import { parseBackupVaultArn } from '../policy';
import type { ProtectionReport, ReportRow } from './protection-report';

const HEADERS = ['Resource', 'Type', 'Status', 'Category / exclusion reason', 'Schedule (UTC)', 'RPO', 'Keep', 'Cold', 'Local vault', 'Copy to (account, Region)'];

function copyTarget(arn: string | undefined): string {
  if (!arn) return '-';
  const vault = parseBackupVaultArn(arn);
  return vault ? `${vault.vaultName} (${vault.account}, ${vault.region})` : arn;
}

function cells(row: ReportRow): string[] {
  const days = (n: number | undefined) => (n === undefined ? '-' : `${n} d`);
  return [
    row.path,
    row.resourceType,
    row.status === 'unprotected' ? 'UNPROTECTED' : row.status,
    row.status === 'excluded' ? (row.reason ?? '') : (row.category ?? '-'),
    row.schedule ?? '-',
    row.rpoHours === undefined ? '-' : `${row.rpoHours} h`,
    days(row.retentionDays),
    days(row.coldStorageAfterDays),
    row.localVault ?? '-',
    copyTarget(row.copyDestination),
  ];
}

function summaryLine(report: ProtectionReport): string {
  const { protected: kept, excluded, unprotected } = report.summary;
  return `${report.rows.length} stateful resources: ${kept} protected, ${excluded} excluded with a reason, ${unprotected} unprotected`;
}

export function formatTable(report: ProtectionReport): string {
  const table = new Table({
    head: HEADERS,
    style: { head: [], border: [] },
    wordWrap: true,
    wrapOnWordBoundary: true,
    colWidths: [30, 11, 13, 34, 19, 6, 8, 6, 31, 31],
  });
  for (const row of report.rows) table.push(cells(row));
  return `${table.toString()}\n${summaryLine(report)}`;
}

export function formatMarkdown(report: ProtectionReport): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| ${HEADERS.join(' | ')} |`, `|${HEADERS.map(() => '---').join('|')}|`];
  for (const row of report.rows) lines.push(`| ${cells(row).map(escape).join(' | ')} |`);
  return `${lines.join('\n')}\n\n${summaryLine(report)}`;
}

export function formatJson(report: ProtectionReport): string {
  return JSON.stringify(report, null, 2);
}
