/**
 * What a tag-based AWS Backup selection selects, worked out as AWS Backup does: the resources of
 * types it backs up that carry the tags, read with the Resource Groups Tagging API. `ListOfTags`
 * conditions are OR'ed, `Conditions` AND'ed, both must hold, and `NotResources` is taken out. So the
 * freshness check and `retention status` see the resources a tag selection (the app's, or an
 * organization backup policy's) backs up, not only those named by ARN.
 */
import type { BackupSelection } from '@aws-sdk/client-backup';
import { type ResourceGroupsTaggingAPIClient, paginateGetResources } from '@aws-sdk/client-resource-groups-tagging-api';

type Tags = Readonly<Record<string, string>>;

/** ARNs of the resource types AWS Backup backs up (resource-types.ts), the ones a "*" selection can reach. */
const BACKUP_RESOURCE_ARNS = [
  /^arn:aws[a-z-]*:dynamodb:[^:]*:\d{12}:table\/[^/]+$/,
  /^arn:aws[a-z-]*:s3:::[^/]+$/,
  /^arn:aws[a-z-]*:rds:[^:]*:\d{12}:(cluster|db):/,
  /^arn:aws[a-z-]*:elasticfilesystem:[^:]*:\d{12}:file-system\//,
  /^arn:aws[a-z-]*:ec2:[^:]*:\d{12}:(volume|instance)\//,
  /^arn:aws[a-z-]*:eks:[^:]*:\d{12}:cluster\//,
  /^arn:aws[a-z-]*:fsx:[^:]*:\d{12}:(file-system|volume)\//,
  /^arn:aws[a-z-]*:redshift:[^:]*:\d{12}:cluster:/,
  /^arn:aws[a-z-]*:redshift-serverless:[^:]*:\d{12}:namespace\//,
  /^arn:aws[a-z-]*:timestream:[^:]*:\d{12}:database\/[^/]+\/table\//,
  /^arn:aws[a-z-]*:dsql:[^:]*:\d{12}:cluster\//,
];

export const isBackupResourceArn = (arn: string): boolean => BACKUP_RESOURCE_ARNS.some((pattern) => pattern.test(arn));

/** Whether a selection picks resources by tag (and so needs the tagging API to be listed). */
export function selectsByTag(selection: BackupSelection): boolean {
  const c = selection.Conditions;
  const conditions = [c?.StringEquals, c?.StringLike, c?.StringNotEquals, c?.StringNotLike].some((list) => (list?.length ?? 0) > 0);
  return conditions || (selection.ListOfTags?.length ?? 0) > 0;
}

const tagKey = (conditionKey: string | undefined) => (conditionKey ?? '').replace(/^aws:ResourceTag\//, '');
const like = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');

/** Whether a resource with these tags satisfies the selection's tag conditions. */
export function matchesTagSelection(tags: Tags, selection: BackupSelection): boolean {
  const c = selection.Conditions ?? {};
  const has = (key: string) => Object.hasOwn(tags, key);
  const all = [
    ...(c.StringEquals ?? []).map((x) => has(tagKey(x.ConditionKey)) && tags[tagKey(x.ConditionKey)] === x.ConditionValue),
    ...(c.StringLike ?? []).map((x) => has(tagKey(x.ConditionKey)) && like(x.ConditionValue ?? '').test(tags[tagKey(x.ConditionKey)])),
    // Negated operators hold for a resource without the tag, as in IAM.
    ...(c.StringNotEquals ?? []).map((x) => !has(tagKey(x.ConditionKey)) || tags[tagKey(x.ConditionKey)] !== x.ConditionValue),
    ...(c.StringNotLike ?? []).map((x) => !has(tagKey(x.ConditionKey)) || !like(x.ConditionValue ?? '').test(tags[tagKey(x.ConditionKey)])),
  ].every(Boolean);
  const anyOf = selection.ListOfTags ?? [];
  const oneOf = anyOf.length === 0 || anyOf.some((t) => has(tagKey(t.ConditionKey)) && tags[tagKey(t.ConditionKey)] === t.ConditionValue);
  return all && oneOf;
}

/** The resources a tag-based selection selects, by ARN, of the types AWS Backup backs up. */
export async function resolveTagSelection(tagging: ResourceGroupsTaggingAPIClient, selection: BackupSelection): Promise<string[]> {
  // Narrow the listing by the equality conditions' keys and values; the rest is matched here.
  const filters: { Key: string; Values?: string[] }[] = [
    ...(selection.Conditions?.StringEquals ?? []).map((x) => ({ Key: tagKey(x.ConditionKey), Values: [x.ConditionValue ?? ''] })),
    ...(selection.Conditions?.StringLike ?? []).map((x) => ({ Key: tagKey(x.ConditionKey) })),
  ];
  const listOfTags = selection.ListOfTags ?? [];
  // One key for the OR'ed ListOfTags can be narrowed only when they all share it.
  if (filters.length === 0 && listOfTags.length > 0 && new Set(listOfTags.map((t) => tagKey(t.ConditionKey))).size === 1) {
    filters.push({ Key: tagKey(listOfTags[0].ConditionKey), Values: listOfTags.map((t) => t.ConditionValue ?? '') });
  }
  const explicit = (selection.Resources ?? []).filter((r) => r !== '*');
  const notResources = new Set(selection.NotResources ?? []);
  const found: string[] = [];
  for await (const page of paginateGetResources({ client: tagging }, { TagFilters: filters.length > 0 ? filters : undefined, ResourcesPerPage: 100 })) {
    for (const mapping of page.ResourceTagMappingList ?? []) {
      const arn = mapping.ResourceARN;
      if (!arn || !isBackupResourceArn(arn) || notResources.has(arn)) continue;
      if (explicit.length > 0 && !explicit.some((pattern) => like(pattern).test(arn))) continue;
      const tags = Object.fromEntries((mapping.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      if (matchesTagSelection(tags, selection)) found.push(arn);
    }
  }
  return found;
}
