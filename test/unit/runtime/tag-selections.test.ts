import { BackupClient, GetBackupSelectionCommand, ListBackupJobsCommand, ListBackupPlansCommand, ListBackupSelectionsCommand, ListCopyJobsCommand, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkFreshness } from '../../../packages/retention-kit-cli/src/runtime/freshness';
import { isBackupResourceArn, matchesTagSelection } from '../../../packages/retention-kit-cli/src/runtime/tag-selections';
import { documentArchiveApp, synthesize } from '../../support/apps';

const backup = mockClient(BackupClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const NOW = new Date('2026-12-02T12:00:00Z');
const volume = (id: string) => `arn:aws:ec2:us-east-1:444444444444:volume/${id}`;
const CATALOGUE = 'arn:aws:dynamodb:us-east-1:444444444444:table/Catalogue';

/** The tag selection the document archive app deploys, as AWS Backup's GetBackupSelection returns it. */
let sharedVolumesSelection: { Resources: string[]; Conditions: Record<string, { ConditionKey: string; ConditionValue: string }[]> };

beforeAll(() => {
  const d = synthesize(documentArchiveApp());
  const [, selection] = Object.entries(d.templates.ArchiveBackupInfrastructure.Resources as Record<string, { Type: string; Properties: any }>).find(([id]) => id.includes('SharedVolumesTagSelection'))!;
  sharedVolumesSelection = { Resources: selection.Properties.BackupSelection.Resources, Conditions: selection.Properties.BackupSelection.Conditions };
});

describe('what a tag-based selection selects', () => {
  it('ANDs the conditions, ORs ListOfTags, and lets negated conditions hold for a resource without the tag', () => {
    const selection = {
      SelectionName: 's',
      IamRoleArn: 'r',
      Conditions: {
        StringEquals: [{ ConditionKey: 'aws:ResourceTag/team', ConditionValue: 'archive' }],
        StringLike: [{ ConditionKey: 'aws:ResourceTag/backup', ConditionValue: 'daily*' }],
        StringNotEquals: [{ ConditionKey: 'aws:ResourceTag/environment', ConditionValue: 'sandbox' }],
        StringNotLike: [{ ConditionKey: 'aws:ResourceTag/retention-kit:exclude', ConditionValue: '*' }],
      },
    };
    expect(matchesTagSelection({ team: 'archive', backup: 'daily-0200' }, selection)).toBe(true);
    expect(matchesTagSelection({ team: 'archive', backup: 'daily', environment: 'prod' }, selection)).toBe(true);
    expect(matchesTagSelection({ team: 'archive', backup: 'weekly' }, selection)).toBe(false);
    expect(matchesTagSelection({ team: 'archive', backup: 'daily', environment: 'sandbox' }, selection)).toBe(false);
    expect(matchesTagSelection({ team: 'archive', backup: 'daily', 'retention-kit:exclude': 'scratch data' }, selection)).toBe(false);
    expect(matchesTagSelection({ backup: 'daily' }, selection)).toBe(false);
    const anyOf = { SelectionName: 's', IamRoleArn: 'r', ListOfTags: [{ ConditionType: 'STRINGEQUALS' as const, ConditionKey: 'tier', ConditionValue: 'gold' }, { ConditionType: 'STRINGEQUALS' as const, ConditionKey: 'tier', ConditionValue: 'silver' }] };
    expect(matchesTagSelection({ tier: 'silver' }, anyOf)).toBe(true);
    expect(matchesTagSelection({ tier: 'bronze' }, anyOf)).toBe(false);
  });

  it('counts only resource types AWS Backup backs up', () => {
    expect(isBackupResourceArn(volume('vol-1'))).toBe(true);
    expect(isBackupResourceArn('arn:aws:s3:::documents')).toBe(true);
    expect(isBackupResourceArn('arn:aws:s3:::documents/key')).toBe(false);
    expect(isBackupResourceArn('arn:aws:lambda:us-east-1:444444444444:function:f')).toBe(false);
    expect(isBackupResourceArn('arn:aws:eks:us-east-1:444444444444:cluster/c')).toBe(true);
  });
});

describe('freshness of tag-selected resources (AWS Backup and the Resource Groups Tagging API mocked: no local server exists for them)', () => {
  beforeEach(() => {
    backup.reset();
    tagging.reset();
    backup.on(ListBackupPlansCommand).resolves({
      BackupPlansList: [
        { BackupPlanId: 'app', BackupPlanName: 'ArchiveBackupInfrastructure-shared_volumes' },
        { BackupPlanId: 'org', BackupPlanName: 'retention-kit-configuration_data' },
      ],
    });
    backup.on(ListBackupSelectionsCommand).callsFake((input: { BackupPlanId: string }) => ({ BackupSelectionsList: [{ SelectionId: `${input.BackupPlanId}-sel` }] }));
    backup.on(GetBackupSelectionCommand).callsFake((input: { BackupPlanId: string }) => ({
      BackupSelection:
        input.BackupPlanId === 'app'
          ? { SelectionName: 'SharedVolumes-tags', IamRoleArn: 'r', ...sharedVolumesSelection }
          : // What AWS Backup shows of an organization policy's tag selection in a member account.
            { SelectionName: 'ConfigurationData', IamRoleArn: 'r', ListOfTags: [{ ConditionType: 'STRINGEQUALS', ConditionKey: 'retention-kit:category', ConditionValue: 'configuration_data' }] },
    }));
    tagging.on(GetResourcesCommand).callsFake((input: { TagFilters?: { Key: string; Values?: string[] }[]; PaginationToken?: string }) => {
      const all = [
        { ResourceARN: volume('vol-batch-1'), Tags: [{ Key: 'team', Value: 'archive' }, { Key: 'backup', Value: 'daily' }] },
        { ResourceARN: volume('vol-batch-2'), Tags: [{ Key: 'team', Value: 'archive' }, { Key: 'backup', Value: 'daily-0200' }] },
        { ResourceARN: volume('vol-sandbox'), Tags: [{ Key: 'team', Value: 'archive' }, { Key: 'backup', Value: 'daily' }, { Key: 'environment', Value: 'sandbox' }] },
        { ResourceARN: volume('vol-scratch'), Tags: [{ Key: 'team', Value: 'archive' }, { Key: 'backup', Value: 'daily' }, { Key: 'retention-kit:exclude', Value: 'scratch space' }] },
        { ResourceARN: 'arn:aws:lambda:us-east-1:444444444444:function:batch', Tags: [{ Key: 'team', Value: 'archive' }, { Key: 'backup', Value: 'daily' }] },
        { ResourceARN: CATALOGUE, Tags: [{ Key: 'retention-kit:category', Value: 'configuration_data' }] },
      ];
      // The API's own filtering: every filter's key present, with one of its values when given.
      const matching = all.filter((r) => (input.TagFilters ?? []).every((f) => r.Tags.some((t) => t.Key === f.Key && (!f.Values || f.Values.includes(t.Value)))));
      const start = input.PaginationToken ? Number(input.PaginationToken) : 0;
      return { ResourceTagMappingList: matching.slice(start, start + 2), PaginationToken: start + 2 < matching.length ? String(start + 2) : '' };
    });
    backup.on(ListRecoveryPointsByResourceCommand).callsFake((input: { ResourceArn: string }) => ({
      RecoveryPoints: input.ResourceArn === volume('vol-batch-2') ? [] : [{ Status: 'COMPLETED', CreationDate: new Date(NOW.getTime() - 3_600_000) }],
    }));
    backup.on(ListBackupJobsCommand).resolves({ BackupJobs: [] });
    backup.on(ListCopyJobsCommand).resolves({ CopyJobs: [{ CompletionDate: new Date(NOW.getTime() - 3_600_000), State: 'COMPLETED' }] });
  });

  const categories = { shared_volumes: { rpoHours: 24, copies: true }, configuration_data: { rpoHours: 24, copies: true } };

  it('checks the resources the app\'s tag conditions and the organization policy\'s tag select, and no others', async () => {
    const report = await checkFreshness(new BackupClient({ region: 'us-east-1' }), { categories, marginHours: 2, now: NOW, tagging: new ResourceGroupsTaggingAPIClient({ region: 'us-east-1' }) });
    expect(report.resources.map((r) => [r.resourceArn, r.category, r.status])).toEqual([
      [volume('vol-batch-1'), 'shared_volumes', 'fresh'],
      [volume('vol-batch-2'), 'shared_volumes', 'never backed up'],
      [CATALOGUE, 'configuration_data', 'fresh'],
    ]);
    expect(tagging.commandCalls(GetResourcesCommand)[0].args[0].input.TagFilters).toEqual([{ Key: 'team', Values: ['archive'] }, { Key: 'backup' }]);
  });

  it('without the tagging client, checks only what selections name by ARN', async () => {
    const report = await checkFreshness(new BackupClient({ region: 'us-east-1' }), { categories, marginHours: 2, now: NOW });
    expect(report.resources).toEqual([]);
  });
});
