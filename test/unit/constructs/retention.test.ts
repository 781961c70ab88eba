import { App, Stack, Stage } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { BackupInfrastructureStack, Retention } from 'retention-kit';
import { REFERENCE_CONTEXT, tempDir } from '../../support/apps';

const env = { account: '111111111111', region: 'us-east-1' };
const table = (scope: Stack, id: string) => new dynamodb.Table(scope, id, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });

describe('Retention.of() finds the backup infrastructure of its Stage', () => {
  it('protects each resource in the plans of its own Stage, two environments in one app', () => {
    const app = new App({ context: REFERENCE_CONTEXT, outdir: tempDir('stages') });
    const stages = ['Test', 'Prod'].map((name) => {
      const stage = new Stage(app, name, { env });
      const infrastructure = new BackupInfrastructureStack(stage, 'BackupInfrastructure');
      const data = new Stack(stage, 'Data');
      Retention.of(table(data, 'Orders')).protect('critical_data');
      return { stage, infrastructure, data };
    });
    for (const { infrastructure, data } of stages) expect(BackupInfrastructureStack.find(data)).toBe(infrastructure);
    const assembly = app.synth();
    for (const { stage } of stages) {
      const nested = assembly.getNestedAssembly(`assembly-${stage.stageName}`);
      const template = nested.getStackByName(`${stage.stageName}-Data`).template as { Resources: Record<string, { Type: string }> };
      expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Backup::BackupPlan')).toHaveLength(1);
    }
  });

  it('refuses a second infrastructure in one Stage, and a resource in a Stage with none, saying what to do', () => {
    const app = new App({ context: REFERENCE_CONTEXT, outdir: tempDir('one-per-stage') });
    new BackupInfrastructureStack(app, 'One', { env });
    expect(() => new BackupInfrastructureStack(app, 'Two', { env })).toThrow('Two: the app already has a backup infrastructure (One); create one BackupInfrastructureStack per Stage');
    const lonely = new Stage(app, 'Elsewhere', { env });
    const data = new Stack(lonely, 'Data');
    expect(() => Retention.of(table(data, 'Orders')).protect('critical_data')).toThrow(
      'Elsewhere/Data/Orders: no BackupInfrastructureStack in the Stage Elsewhere; create one in the same Stage before protecting, excluding or exporting its resources',
    );
  });
});
