/**
 * `retention report --check`: the gaps an auditor asks about, found in the templates themselves,
 * not taken on trust from the toolkit's metadata. A protected resource must be selected by a backup
 * plan whose rule keeps recovery points as long as its category says, and copies them to another
 * account when the category requires it.
 */
import { PROTECTION_METADATA_KEY, type ProtectionRecord } from 'retention-kit/policy';
import { type ProtectionReport, type ReportRow, assemblyTemplates } from './protection-report';

export interface CheckProblem {
  readonly path: string;
  readonly problem: string;
}

interface PlanRule {
  Lifecycle?: { DeleteAfterDays?: number };
  CopyActions?: { DestinationBackupVaultArn?: unknown }[];
}

interface Resource {
  Type: string;
  Properties?: {
    BackupSelection?: { Resources?: unknown };
    BackupPlanId?: { 'Fn::GetAtt'?: string[]; Ref?: string };
    BackupPlan?: { BackupPlanRule?: PlanRule[] };
  };
  Metadata?: Record<string, unknown>;
}

/** The logical ids a selection's Resources list refers to (by Fn::GetAtt). */
function selectedLogicalIds(selection: Resource): string[] {
  const resources = selection.Properties?.BackupSelection?.Resources;
  return (Array.isArray(resources) ? resources : []).flatMap((r: unknown) => {
    const att = (r as { 'Fn::GetAtt'?: string[] } | null)?.['Fn::GetAtt'];
    return att ? [att[0]] : [];
  });
}

function planOf(resources: Record<string, Resource>, selection: Resource): Resource | undefined {
  const id = selection.Properties?.BackupPlanId?.['Fn::GetAtt']?.[0] ?? selection.Properties?.BackupPlanId?.Ref;
  return id ? resources[id] : undefined;
}

function rowProblems(row: ReportRow, record: ProtectionRecord | undefined, resources: Record<string, Resource>, stackAccount: string | undefined): string[] {
  if (row.status === 'unprotected') return ['neither protected nor excluded'];
  if (row.status === 'excluded') return row.reason && row.reason.trim().length > 0 ? [] : ['excluded without a reason'];
  if (record?.status === 'exported') {
    const bucket = Object.values(resources).find((r) => (r.Metadata?.['aws:cdk:path'] as string | undefined)?.replace(/\/Resource$/, '') === record.exportBucket);
    const bucketRecord = bucket?.Metadata?.[PROTECTION_METADATA_KEY] as ProtectionRecord | undefined;
    if (!bucket) return [`its export bucket ${record.exportBucket} is not in its stack`];
    if (bucketRecord?.status !== 'protected') return [`its export bucket ${record.exportBucket} is not protected by a backup plan`];
    return [];
  }
  if (!record || record.status !== 'protected') return [];
  const problems: string[] = [];
  if (record.scheduleIntervalHours > record.rpoHours) {
    problems.push(`scheduled ${record.scheduleIntervalHours} hours apart at worst, over its category's RPO of ${record.rpoHours} hours`);
  }
  const selections = Object.values(resources).filter((r) => r.Type === 'AWS::Backup::BackupSelection' && selectedLogicalIds(r).includes(row.logicalId));
  if (selections.length === 0) return [...problems, 'no backup plan in its stack selects it'];
  const rules = selections.flatMap((s) => planOf(resources, s)?.Properties?.BackupPlan?.BackupPlanRule ?? []);
  const keeps = rules.some((rule) => (rule.Lifecycle?.DeleteAfterDays ?? Infinity) >= record.retentionDays);
  if (!keeps) problems.push(`no plan rule keeps recovery points ${record.retentionDays} days as its category requires`);
  if (record.copyRequired) {
    const copies = rules.flatMap((rule) => rule.CopyActions ?? []);
    const crossAccount = copies.some((c) => {
      const arn = typeof c.DestinationBackupVaultArn === 'string' ? c.DestinationBackupVaultArn : undefined;
      return arn !== undefined && arn.split(':')[4] !== stackAccount;
    });
    if (!crossAccount) problems.push('its category requires a copy in another account, and no plan rule makes one');
  }
  return problems;
}

export function checkAssembly(assemblyDir: string, report: ProtectionReport): CheckProblem[] {
  const problems: CheckProblem[] = [];
  for (const { stack, template, account } of assemblyTemplates(assemblyDir)) {
    const resources = (template.Resources ?? {}) as Record<string, Resource>;
    for (const row of report.rows.filter((r) => r.stack === stack)) {
      const record = resources[row.logicalId]?.Metadata?.[PROTECTION_METADATA_KEY] as ProtectionRecord | undefined;
      for (const problem of rowProblems(row, record, resources, account)) problems.push({ path: row.path, problem });
    }
  }
  return problems;
}
