import { describe, expect, it } from 'vitest';
import { parseRetentionPolicy } from 'retention-kit/policy';
import { RestoreTestResourceType as T, judgeRestoreDuration, planRestoreTests, restoreTestPlanName } from 'retention-kit/policy';
import { REFERENCE_CONTEXT } from '../../support/apps';

const categories = parseRetentionPolicy(REFERENCE_CONTEXT).categories;

describe('planRestoreTests', () => {
  it('makes one plan per category and selections of at most 30 ARNs per type, with the category RTO', () => {
    const tables = Array.from({ length: 31 }, (_, i) => ({ arn: `arn:aws:dynamodb:us-east-1:111111111111:table/t${i}`, type: T.DYNAMODB, category: 'critical_data' }));
    const { plans, problems } = planRestoreTests(categories, [...tables, { arn: 'arn:aws:s3:::docs', type: T.S3, category: 'document_storage' }], 'Persistent-App');
    expect(problems).toEqual([]);
    expect(plans.map((plan) => [plan.planName, plan.selections.map((s) => [s.name, s.arns.length])])).toEqual([
      ['Persistent_App_critical_data', [['DynamoDB_1', 30], ['DynamoDB_2', 1]]],
      ['Persistent_App_document_storage', [['S3_1', 1]]],
    ]);
    expect(plans[0].rtoHours).toBe(categories.critical_data.rtoHours);
  });

  it('gives resources with their own restore metadata their own selection', () => {
    const { plans } = planRestoreTests(
      categories,
      [
        { arn: 'arn:a', type: T.AURORA, category: 'relational_data', metadataOverrides: { dbsubnetgroupname: 'one' } },
        { arn: 'arn:b', type: T.AURORA, category: 'relational_data', metadataOverrides: { dbsubnetgroupname: 'two' } },
      ],
      'p',
    );
    expect(plans[0].selections.map((s) => s.metadataOverrides)).toEqual([{ dbsubnetgroupname: 'one' }, { dbsubnetgroupname: 'two' }]);
  });

  it('names every problem at once: an unknown category, and the sensitive category whose vault denies restores', () => {
    const { problems } = planRestoreTests(
      categories,
      [
        { arn: 'arn:x', type: T.DYNAMODB, category: 'nonsense', path: 'App/X' },
        { arn: 'arn:ssn', type: T.DYNAMODB, category: 'ssn_data', path: 'App/SSNTable' },
      ],
      'p',
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^App\/X: category "nonsense" is not in the retention policy; use one of .*critical_data/);
    expect(problems[1]).toContain('App/SSNTable: category "ssn_data" keeps its recovery points in the sensitive vault, whose policy denies every restore');
  });

  it('plan names keep to letters, digits and underscores', () => {
    expect(restoreTestPlanName('My-Stack.1', 'critical_data')).toBe('My_Stack_1_critical_data');
  });
});

describe('judgeRestoreDuration', () => {
  const start = new Date('2026-11-02T05:00:00Z');
  it('passes a restore within the RTO and fails one over it, saying by how much', () => {
    expect(judgeRestoreDuration(start, new Date('2026-11-02T05:42:10Z'), 4)).toEqual({ seconds: 2530, rtoSeconds: 14400, withinRto: true, message: 'restore took 42 min 10 s, within the RTO of 4 h 0 min' });
    const late = judgeRestoreDuration(start, new Date('2026-11-02T09:30:00Z'), 4);
    expect(late.withinRto).toBe(false);
    expect(late.message).toBe('restore took 4 h 30 min, over the RTO of 4 h 0 min');
  });
});
