/**
 * `retention report --check`: the gaps an auditor asks about, found in the templates themselves,
 * not taken on trust from the toolkit's metadata. A protected resource must be selected by a backup
 * plan whose rule keeps recovery points as long as its category says, and copies them to another
 * account when the category requires it.
 */
import { type BackupPolicyDocument, CATEGORY_TAG, EXCLUDE_TAG, PROTECTION_METADATA_KEY, type ProtectionRecord } from 'retention-kit/policy';
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

/** What the assembly's organization backup policies keep, by category tag value: the longest deletion age of each. */
type OrganizationKeeps = Map<string, number>;

function organizationKeeps(assemblyDir: string): OrganizationKeeps {
  const keeps: OrganizationKeeps = new Map();
  for (const { template } of assemblyTemplates(assemblyDir)) {
    for (const resource of Object.values(template.Resources ?? {})) {
      const props = resource.Properties as { Type?: string; Content?: Partial<BackupPolicyDocument> } | undefined;
      if (resource.Type !== 'AWS::Organizations::Policy' || props?.Type !== 'BACKUP_POLICY') continue;
      for (const plan of Object.values(props.Content?.plans ?? {})) {
        const days = Math.max(...Object.values(plan.rules ?? {}).map((rule) => Number(rule.lifecycle?.delete_after_days?.['@@assign'] ?? Infinity)));
        for (const selection of Object.values(plan.selections?.tags ?? {})) {
          if (selection.tag_key?.['@@assign'] !== CATEGORY_TAG) continue;
          for (const value of selection.tag_value?.['@@assign'] ?? []) keeps.set(value, Math.max(keeps.get(value) ?? 0, days));
        }
      }
    }
  }
  return keeps;
}

const tagsOf = (resource: Resource | undefined): { Key: string; Value: string }[] => {
  const tags = (resource?.Properties as { Tags?: unknown } | undefined)?.Tags;
  if (Array.isArray(tags)) return tags as { Key: string; Value: string }[];
  // Some types (Cognito user pools) take tags as a map.
  const map = (resource?.Properties as { UserPoolTags?: Record<string, string> } | undefined)?.UserPoolTags;
  return map ? Object.entries(map).map(([Key, Value]) => ({ Key, Value })) : [];
};

function rowProblems(
  row: ReportRow,
  record: ProtectionRecord | undefined,
  resources: Record<string, Resource>,
  stackAccount: string | undefined,
  organization: OrganizationKeeps,
): string[] {
  if (row.status === 'unprotected') return ['neither protected nor excluded'];
  if (row.status === 'excluded') {
    if (!row.reason || row.reason.trim().length === 0) return ['excluded without a reason'];
    const tagged = tagsOf(resources[row.logicalId]).some((t) => t.Key === EXCLUDE_TAG);
    return tagged ? [] : [`excluded, but without the ${EXCLUDE_TAG} tag: a tag-based selection or an organization backup policy could still back it up`];
  }
  if (record?.status === 'exported') {
    const bucket = Object.values(resources).find((r) => (r.Metadata?.['aws:cdk:path'] as string | undefined)?.replace(/\/Resource$/, '') === record.exportBucket);
    const bucketRecord = bucket?.Metadata?.[PROTECTION_METADATA_KEY] as ProtectionRecord | undefined;
    if (!bucket) return [`its export bucket ${record.exportBucket} is not in its stack`];
    if (bucketRecord?.status !== 'protected') return [`its export bucket ${record.exportBucket} is not protected by a backup plan`];
    return [];
  }
  if (!record || record.status !== 'protected') return [];
  if (record.archive) {
    const archive = resources[record.archive.logicalId] as (Resource & { Properties?: { RetentionDays?: number; SourceArn?: { 'Fn::GetAtt'?: string[] } } }) | undefined;
    if (archive?.Type !== 'AWS::Events::Archive' || archive.Properties?.SourceArn?.['Fn::GetAtt']?.[0] !== row.logicalId) return [`no EventBridge archive of this bus in its stack (expected ${record.archive.name})`];
    const days = archive.Properties?.RetentionDays ?? 0;
    // 0 keeps events indefinitely.
    return days === 0 || days >= record.retentionDays ? [] : [`its archive keeps events ${days} days, less than the ${record.retentionDays} its category requires`];
  }
  if (record.selectedBy === 'organization-policy') {
    const keeps = organization.get(record.category);
    if (keeps === undefined) return [`its category ${record.category} is left to an organization backup policy, and no BACKUP_POLICY in this assembly selects the tag ${CATEGORY_TAG}=${record.category}`];
    return keeps >= record.retentionDays ? [] : [`the organization backup policy keeps ${record.category} ${keeps} days, less than the ${record.retentionDays} its category requires`];
  }
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
  const organization = organizationKeeps(assemblyDir);
  for (const { stack, template, account } of assemblyTemplates(assemblyDir)) {
    const resources = (template.Resources ?? {}) as Record<string, Resource>;
    for (const row of report.rows.filter((r) => r.stack === stack)) {
      const record = resources[row.logicalId]?.Metadata?.[PROTECTION_METADATA_KEY] as ProtectionRecord | undefined;
      for (const problem of rowProblems(row, record, resources, account, organization)) problems.push({ path: row.path, problem });
    }
  }
  return problems;
}
