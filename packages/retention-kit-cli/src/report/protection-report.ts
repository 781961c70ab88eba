/**
 * The protection report: every stateful resource of a synthesized CDK app (a cloud assembly, the
 * `cdk.out` folder), how it is kept or why it is not. Reads templates only, so it works on any CDK
 * app: resources the toolkit does not know about show as unprotected.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TableAccessRow, type VaultAccessRow, accessRows } from './access';
import { PROTECTION_METADATA_KEY, type ProtectionRecord, STATEFUL_RESOURCE_TYPES, isStatefulResource } from 'retention-kit/policy';

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
}

export interface ProtectionReport {
  readonly assembly: string;
  readonly rows: readonly ReportRow[];
  readonly summary: Readonly<Record<ProtectionStatus, number>>;
  /** Who may copy, restore, scan and decrypt: per backup vault and per locked sensitive table. */
  readonly access: { readonly vaults: readonly VaultAccessRow[]; readonly sensitiveTables: readonly TableAccessRow[] };
}

interface Template {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

interface Manifest {
  artifacts?: Record<string, { type: string; environment?: string; properties?: { templateFile?: string; directoryName?: string }; displayName?: string }>;
}

/** Stack templates of a cloud assembly, including those of nested assemblies (CDK stages). */
export function assemblyTemplates(dir: string): { stack: string; template: Template; account?: string }[] {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    throw new Error(`${dir} is not a synthesized CDK app (no manifest.json); run cdk synth first or point --assembly at its output folder`);
  }
  const templates: { stack: string; template: Template; account?: string }[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const template = JSON.parse(readFileSync(join(dir, artifact.properties.templateFile), 'utf8')) as Template;
      // environment is aws://<account>/<region>; unknown-account for environment-agnostic stacks.
      const account = /^aws:\/\/(\d{12})\//.exec(artifact.environment ?? '')?.[1];
      templates.push({ stack: artifact.displayName ?? id, template, account });
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
  return { assembly: assemblyDir, rows, summary, access: { vaults: access.flatMap((a) => a.vaults), sensitiveTables: access.flatMap((a) => a.tables) } };
}
