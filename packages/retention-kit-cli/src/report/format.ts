import Table from 'cli-table3';
import { describeTiers, parseBackupVaultArn } from 'retention-kit/policy';
import type { ProtectionReport, ReportRow } from './protection-report';

const HEADERS = ['Resource', 'Type', 'Status', 'Category / exclusion reason', 'Schedule (UTC)', 'RPO', 'Keep', 'Cold', 'Local vault', 'Copy to (account, Region)', 'Point in time', 'Stale alarm'];

function copyTarget(arn: string | undefined): string {
  if (!arn) return '-';
  const vault = parseBackupVaultArn(arn);
  return vault ? `${vault.vaultName} (${vault.account}, ${vault.region})` : arn;
}

function pointInTime(row: ReportRow): string {
  const parts = [
    ...(row.engineBackupRetentionDays !== undefined ? [`engine ${row.engineBackupRetentionDays} d`] : []),
    ...(row.continuousBackupDays !== undefined ? [`AWS Backup ${row.continuousBackupDays} d`] : []),
  ];
  return parts.length ? parts.join(', ') : '-';
}

function cells(row: ReportRow): string[] {
  const days = (n: number | undefined) => (n === undefined ? '-' : `${n} d`);
  return [
    row.path,
    row.resourceType,
    row.status === 'unprotected' ? 'UNPROTECTED' : row.status,
    row.status === 'excluded' ? (row.reason ?? '') : row.status === 'exported' ? `${row.category} (export to ${row.exportBucket})` : (row.category ?? '-'),
    row.schedule ?? '-',
    row.rpoHours === undefined ? '-' : `${row.rpoHours} h`,
    days(row.retentionDays),
    days(row.coldStorageAfterDays),
    row.localVault ?? '-',
    copyTarget(row.copyDestination),
    pointInTime(row),
    row.staleAlarm ?? row.failureAlarm ?? '-',
  ];
}

const PROTECTION_HEADERS = ['Resource', 'Selected by', 'Storage tiers (days after creation)', 'Air-gapped', 'Malware scan', 'Item search'];
const TAG_HEADERS = ['Stack', 'Category', 'Selected by', 'Tag conditions (AND)'];

/** Tiers, who selects it, and the newer protections, for every protected resource. */
function protectionCells(report: ProtectionReport): string[][] {
  return report.rows
    .filter((row) => row.status === 'protected')
    .map((row) => [
      row.path,
      row.archive ? 'EventBridge archive' : row.selectedBy === 'organization-policy' ? 'organization policy (tag)' : 'app plan (ARN)',
      row.tiers && row.retentionDays !== undefined ? describeTiers(row.tiers, row.retentionDays) : '-',
      [row.airGappedTarget ? 'backed up into the local air-gapped vault' : '', row.airGappedCopy ? `copy to ${copyTarget(row.airGappedCopy)}` : ''].filter(Boolean).join('; ') || '-',
      row.malwareScan ? row.malwareScan.toLowerCase().replace('_', ' ') : '-',
      row.indexed ? 'indexed' : '-',
    ]);
}

const tagCells = (report: ProtectionReport): string[][] =>
  report.tagSelections.map((t) => [t.stack, t.category, t.selectedBy === 'organization-policy' ? 'organization policy' : 'app plan', t.conditions]);

function summaryLine(report: ProtectionReport): string {
  const { protected: kept, exported, excluded, unprotected } = report.summary;
  return `${report.rows.length} stateful resources: ${kept} protected, ${exported > 0 ? `${exported} exported (no AWS Backup support; their export bucket is protected), ` : ''}${excluded} excluded with a reason, ${unprotected} unprotected`;
}

const VAULT_HEADERS = ['Vault', 'Copy in', 'Copy out', 'Restore', 'Decrypt'];
const TABLE_HEADERS = ['Sensitive table', 'Read/write items', 'Scan, batch, export, restore, PartiQL', 'AWS Backup jobs', 'Change the table or its lock', 'Use the key'];

function accessCells(report: ProtectionReport): { vaults: string[][]; tables: string[][] } {
  return {
    vaults: report.access.vaults.map((v) => [`${v.stack}/${v.vault}`, v.copyIn, v.copyOut, v.restore, v.decrypt]),
    tables: report.access.sensitiveTables.map((t) => [t.path, t.items, t.scan, t.backupJobs, t.configuration, t.decrypt]),
  };
}

function accessTables(report: ProtectionReport): string {
  const { vaults, tables } = accessCells(report);
  const make = (head: string[], rows: string[][], colWidths: number[]) => {
    const table = new Table({ head, style: { head: [], border: [] }, wordWrap: true, wrapOnWordBoundary: false, colWidths });
    for (const row of rows) table.push(row);
    return table.toString();
  };
  return [vaults.length ? make(VAULT_HEADERS, vaults, [34, 30, 40, 26, 36]) : '', tables.length ? make(TABLE_HEADERS, tables, [30, 26, 26, 26, 30, 36]) : ''].filter(Boolean).join('\n');
}

export function formatTable(report: ProtectionReport): string {
  const table = new Table({
    head: HEADERS,
    style: { head: [], border: [] },
    wordWrap: true,
    wrapOnWordBoundary: true,
    colWidths: [30, 11, 13, 30, 19, 6, 8, 6, 31, 31, 14, 24],
  });
  for (const row of report.rows) table.push(cells(row));
  const access = accessTables(report);
  const extra = (title: string, head: string[], rows: string[][], colWidths: number[]) => {
    if (rows.length === 0) return '';
    const t = new Table({ head, style: { head: [], border: [] }, wordWrap: true, wrapOnWordBoundary: true, colWidths });
    for (const row of rows) t.push(row);
    return `\n\n${title}:\n${t.toString()}`;
  };
  return (
    `${table.toString()}\n${summaryLine(report)}` +
    extra('Storage tiers, selection and newer protections', PROTECTION_HEADERS, protectionCells(report), [34, 16, 40, 34, 14, 10]) +
    extra('Selected by tag', TAG_HEADERS, tagCells(report), [30, 22, 22, 60]) +
    `${access ? `\n\nWho may copy, restore, scan and decrypt:\n${access}` : ''}`
  );
}

export function formatMarkdown(report: ProtectionReport): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| ${HEADERS.join(' | ')} |`, `|${HEADERS.map(() => '---').join('|')}|`];
  for (const row of report.rows) lines.push(`| ${cells(row).map(escape).join(' | ')} |`);
  const { vaults, tables } = accessCells(report);
  const section = (head: string[], rows: string[][]) =>
    rows.length ? ['', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`)] : [];
  return [
    ...lines,
    '',
    summaryLine(report),
    ...section(PROTECTION_HEADERS, protectionCells(report)),
    ...section(TAG_HEADERS, tagCells(report)),
    ...section(VAULT_HEADERS, vaults),
    ...section(TABLE_HEADERS, tables),
  ].join('\n');
}

export function formatJson(report: ProtectionReport): string {
  return JSON.stringify(report, null, 2);
}
