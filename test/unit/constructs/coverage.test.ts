import { Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { referenceApp, synthError } from '../../support/apps';

describe('coverage check', () => {
  it('fails synth for an unclassified table added to the reference app, naming it', () => {
    const app = referenceApp();
    const persistent = app.node.findChild('Persistent') as Stack;
    new dynamodb.Table(persistent, 'LicenseHistoryTable', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const message = synthError(app);
    expect(message).toContain('[Persistent/LicenseHistoryTable/Resource] DynamoDB table Persistent/LicenseHistoryTable/Resource is neither protected nor excluded');
    expect(message).toContain('protect it with a category (critical_data, ssn_data, configuration_data, document_storage, export_data, audit_logs, compliance_reports, relational_data) or exclude it with a written reason');
  });

  it('names every unclassified resource in one failure, in any stack of the app', () => {
    const app = referenceApp();
    const other = new Stack(app, 'Other', { env: { account: '111111111111', region: 'us-east-1' } });
    new dynamodb.Table(other, 'A', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    new cognito.UserPool(other, 'Pool');
    const message = synthError(app);
    expect(message).toContain('DynamoDB table Other/A/Resource is neither protected nor excluded');
    expect(message).toContain('Cognito user pool Other/Pool/Resource is neither protected nor excluded: Cognito has no AWS Backup support');
  });

  it('asks for the Aurora cluster, not the instances inside it', () => {
    const app = referenceApp();
    const other = new Stack(app, 'Db', { env: { account: '111111111111', region: 'us-east-1' } });
    const cluster = new rds.CfnDBCluster(other, 'Cluster', { engine: 'aurora-postgresql' });
    new rds.CfnDBInstance(other, 'Writer', { dbClusterIdentifier: cluster.ref, dbInstanceClass: 'db.r6g.large', engine: 'aurora-postgresql' });
    const message = synthError(app);
    expect(message).toContain('Aurora/RDS cluster Db/Cluster is neither protected nor excluded');
    expect(message).not.toContain('Db/Writer');
  });

  it('passes the reference app as shipped', () => {
    const app = referenceApp();
    const stacks = app.synth().stacks.map((s) => s.stackName);
    expect(stacks.sort()).toEqual(['BackupInfrastructure', 'Persistent']);
  });
});
