/**
 * The protection report: every stateful resource of a synthesized CDK app (a cloud assembly, the
 * `cdk.out` folder), how it is kept or why it is not. Reads templates only, so it works on any CDK
 * app: resources the toolkit does not know about show as unprotected.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TableAccessRow, type VaultAccessRow, accessRows } from './access';
import { PROTECTION_METADATA_KEY, type ProtectionRecord, STATEFUL_RESOURCE_TYPES, type StorageTier, type BackupPolicyDocument, isStatefulResource } from 'retention-kit/policy';

export type ProtectionStatus = 'protected' | 'exported' | 'excluded' | 'unprotected';

export interface ReportRow {
  readonly stack: string;
  /** Construct path, or the logical id when the template has no CDK metadata. */
  readonly path: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly status: ProtectionStatus;
  readonly category?: string;
  readonly schedule?: string;
  readonly rpoHours?: number;
  readonly retentionDays?: number;
  readonly coldStorageAfterDays?: number;
  readonly localVault?: string;
  readonly copyDestination?: string;
  /** The alarm that fires when the resource's recovery points are stale. */
  readonly staleAlarm?: string;
  /** For a database: days the engine keeps its own automated backups. */
  readonly engineBackupRetentionDays?: number;
  /** Days AWS Backup keeps continuous (point-in-time) backups. */
  readonly continuousBackupDays?: number;
  readonly reason?: string;
  /** For an exported resource: the construct path of the bucket its export writes to. */
  readonly exportBucket?: string;
  /** For an exported resource: the alarm that fires when its export fails. */
  readonly failureAlarm?: string;
  /** Who selects it: the app's own plan by ARN, or the organization backup policy by its category tag. */
  readonly selectedBy?: 'plan' | 'organization-policy';
  /** The storage tiers its recovery points pass through, and the day each starts. */
  readonly tiers?: readonly StorageTier[];
  readonly airGappedCopy?: string;
  readonly airGappedTarget?: boolean;
  readonly malwareScan?: string;
  readonly indexed?: boolean;
  /** For an event bus: the EventBridge archive that keeps its events. */
  readonly archive?: { readonly logicalId: string; readonly name: string };
}

/** A selection by tag: resources outside the app (tag conditions) or in every member account (an organization backup policy). */
export interface TagSelectionRow {
  readonly stack: string;
  readonly category: string;
  readonly selectedBy: 'plan' | 'organization-policy';
  /** The conditions in words: "team = archive AND backup like daily* AND not tagged retention-kit:exclude". */
  readonly conditions: string;
}

export interface ProtectionReport {
  readonly assembly: string;
  readonly rows: readonly ReportRow[];
  readonly summary: Readonly<Record<ProtectionStatus, number>>;
  /** Who may copy, restore, scan and decrypt: per backup vault and per locked sensitive table. */
  readonly access: { readonly vaults: readonly VaultAccessRow[]; readonly sensitiveTables: readonly TableAccessRow[] };
  /** What is selected by tag rather than by ARN. */
  readonly tagSelections: readonly TagSelectionRow[];
}

const OPERATOR_WORDS: Record<string, string> = { StringEquals: '=', StringLike: 'like', StringNotEquals: '!=', StringNotLike: 'not like' };

/** The tag selections of one template: AWS Backup selections with Conditions, and backup policies' tag selections. */
export function tagSelectionRows(stack: string, template: Template): TagSelectionRow[] {
  const resources = template.Resources ?? {};
  const rows: TagSelectionRow[] = [];
  for (const resource of Object.values(resources)) {
    const props = resource.Properties as
      | {
          BackupSelection?: { Conditions?: Record<string, { ConditionKey: string; ConditionValue: string }[]> };
          BackupPlanId?: { 'Fn::GetAtt'?: string[] };
          Type?: string;
          Content?: Partial<BackupPolicyDocument>;
          TargetIds?: string[];
        }
      | undefined;
    if (resource.Type === 'AWS::Backup::BackupSelection' && props?.BackupSelection?.Conditions) {
      const planId = props.BackupPlanId?.['Fn::GetAtt']?.[0];
      const plan = planId ? (resources[planId]?.Properties as { BackupPlanTags?: Record<string, string> } | undefined) : undefined;
      const conditions = Object.entries(props.BackupSelection.Conditions).flatMap(([operator, list]) =>
        list.map((c) => `${c.ConditionKey.replace(/^aws:ResourceTag\//, '')} ${OPERATOR_WORDS[operator] ?? operator} ${c.ConditionValue}`),
      );
      rows.push({ stack, category: plan?.BackupPlanTags?.['retention-kit:category'] ?? '?', selectedBy: 'plan', conditions: conditions.join(' AND ') });
    }
    if (resource.Type === 'AWS::Organizations::Policy' && props?.Type === 'BACKUP_POLICY') {
      const plans = props.Content?.plans ?? {};
      for (const plan of Object.values(plans)) {
        for (const selection of Object.values(plan.selections?.tags ?? {})) {
          const key = selection.tag_key['@@assign'];
          const values = selection.tag_value['@@assign'];
          rows.push({ stack, category: key === 'retention-kit:category' ? values.join(', ') : '?', selectedBy: 'organization-policy', conditions: `${key} = ${values.join(' or ')} (in ${props.TargetIds?.join(', ') ?? 'its targets'})` });
        }
      }
    }
  }
  return rows;
}

interface Template {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

interface Manifest {
  artifacts?: Record<string, { type: string; environment?: string; properties?: { templateFile?: string; directoryName?: string }; displayName?: string }>;
}

/** Stack templates of a cloud assembly, including those of nested assemblies (CDK stages). */
export function assemblyTemplates(dir: string): { stack: string; template: Template; account?: string; region?: string }[] {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    throw new Error(`${dir} is not a synthesized CDK app (no manifest.json); run cdk synth first or point --assembly at its output folder`);
  }
  const templates: { stack: string; template: Template; account?: string; region?: string }[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const template = JSON.parse(readFileSync(join(dir, artifact.properties.templateFile), 'utf8')) as Template;
      // environment is aws://<account>/<region>; unknown-account for environment-agnostic stacks.
      const account = /^aws:\/\/(\d{12})\//.exec(artifact.environment ?? '')?.[1];
      const region = /^aws:\/\/[^/]+\/([a-z0-9-]+)$/.exec(artifact.environment ?? '')?.[1];
      templates.push({ stack: artifact.displayName ?? id, template, account, region: region === 'unknown-region' ? undefined : region });
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      templates.push(...assemblyTemplates(join(dir, artifact.properties.directoryName)));
    }
  }
  return templates;
}

export function reportRows(stack: string, template: Template): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (!isStatefulResource(resource.Type, resource.Properties)) continue;
    const record = resource.Metadata?.[PROTECTION_METADATA_KEY] as ProtectionRecord | undefined;
    const base = {
      stack,
      path: ((resource.Metadata?.['aws:cdk:path'] as string | undefined) ?? `${stack}/${logicalId}`).replace(/\/Resource$/, ''),
      logicalId,
      resourceType: STATEFUL_RESOURCE_TYPES[resource.Type].label,
    };
    if (!record) rows.push({ ...base, status: 'unprotected' });
    else if (record.status === 'excluded') rows.push({ ...base, status: 'excluded', reason: record.reason });
    else if (record.status === 'exported') {
      const { status, ...details } = record;
      rows.push({ ...base, status, ...details });
    }
    else {
      const { status, sensitive: _sensitive, tableAccess: _access, copyRequired: _copy, scheduleIntervalHours: _interval, ...details } = record;
      rows.push({ ...base, status, ...details });
    }
  }
  return rows;
}

export function protectionReport(assemblyDir: string): ProtectionReport {
  const templates = assemblyTemplates(assemblyDir);
  const rows = templates.flatMap(({ stack, template }) => reportRows(stack, template));
  const summary = { protected: 0, exported: 0, excluded: 0, unprotected: 0 };
  for (const row of rows) summary[row.status]++;
  const access = templates.map(({ stack, template }) => accessRows(stack, template.Resources ?? {}));
  return {
    assembly: assemblyDir,
    rows,
    summary,
    access: { vaults: access.flatMap((a) => a.vaults), sensitiveTables: access.flatMap((a) => a.tables) },
    tagSelections: templates.flatMap(({ stack, template }) => tagSelectionRows(stack, template)),
  };
}
