import { App, type AppProps, CfnResource, Stack, type StackProps, Stage, type StageProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct, IConstruct } from 'constructs';
import { BackupAccountStack, BackupInfrastructureStack, RetentionContext } from 'retention-kit';
import { parseBackupAccountConfig, parseRetentionPolicy } from 'retention-kit/policy';
import { PersistentStack } from '../reference/persistent-stack';

/** Accepts a cdk-nag finding on purpose, with the reason why. */
const acknowledge = (scope: IConstruct, ...acknowledgements: { id: string; reason: string }[]) => {
  for (const acknowledgement of acknowledgements) Validations.of(scope).acknowledge(acknowledgement);
};

/** Where a stage deploys, from context `pipeline.stages`. */
export interface StageTarget {
  readonly account: string;
  readonly region: string;
}

/** The name of the role a stage's smoke step assumes in the environment account. */
export const SMOKE_TEST_ROLE = 'retention-smoke-test';

/** The role the smoke step assumes in the environment account: start and read backup and copy jobs, pass the backup roles, read what doctor reads. */
class SmokeTestAccessStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { pipelineAccount: string; backupRoleNames: string[] }) {
    super(scope, id, props);
    const role = new iam.Role(this, 'SmokeTestRole', {
      roleName: SMOKE_TEST_ROLE,
      assumedBy: new iam.AccountPrincipal(props.pipelineAccount),
      description: "The pipeline's post-deploy smoke test: on-demand backups and copies, and the read-only checks of doctor and status",
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['backup:StartBackupJob', 'backup:StartCopyJob', 'backup:Describe*', 'backup:List*', 'backup:Get*', 'tag:GetResources', 'organizations:Describe*', 'iam:GetRole'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: props.backupRoleNames.map((name) => `arn:aws:iam::${this.account}:role/${name}`) }));
    const reason = 'The smoke test and the read-only checks of doctor and status: AWS Backup jobs name vaults and resources only at run time; the backup roles it passes are named in the PassRole statement.';
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      ...['Action::backup:Describe*', 'Action::backup:List*', 'Action::backup:Get*', 'Action::organizations:Describe*', 'Resource::*'].map((finding) => ({ id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`, reason })),
    );
  }
}

/** One environment (test, beta, prod): its backup infrastructure with the stage's own policy, the reference app's data, the smoke test's role. */
class EnvironmentStage extends Stage {
  constructor(scope: Construct, id: string, props: StageProps & { environment: string; context: Record<string, unknown>; pipelineAccount: string }) {
    super(scope, id, props);
    const env = props.env;
    // The base policy with the stage's entry of backup_environments over it.
    const policy = parseRetentionPolicy({ ...props.context, environment: props.environment });
    new BackupInfrastructureStack(this, 'BackupInfrastructure', { env, policy });
    const data = new PersistentStack(this, 'Persistent', { env });
    if (!policy.production) {
      for (const cluster of data.node.findAll().filter((c) => (c as { cfnResourceType?: string }).cfnResourceType === 'AWS::RDS::DBCluster')) {
        acknowledge(cluster, { id: 'AwsSolutions::AwsSolutions-RDS10', reason: `The ${props.environment} environment is not production: its database can be deleted with the stage; production keeps deletion protection and a final snapshot.` });
      }
    }
    const sensitiveRole = Object.values(policy.categories).find((c) => c.dedicatedVault)?.specializedRole;
    new SmokeTestAccessStack(this, 'SmokeTestAccess', { env, pipelineAccount: props.pipelineAccount, backupRoleNames: [policy.generalRoleName, ...(sensitiveRole ? [sensitiveRole] : [])] });
  }
}

class BackupAccountStage extends Stage {
  constructor(scope: Construct, id: string, props: StageProps & { context: Record<string, unknown> }) {
    super(scope, id, props);
    new BackupAccountStack(this, 'BackupAccountStack', { env: props.env, config: parseBackupAccountConfig(props.context) });
  }
}

/** A stage's post-deploy commands: as the smoke test's role, doctor, smoke and status from the packaged CLI. */
export function smokeCommands(environment: string, target: StageTarget): string[] {
  return [
    'npm ci',
    'node scripts/pack.mjs dist && npm install --global ./dist/retention-kit-cli-*.tgz',
    `aws configure set profile.smoke.role_arn arn:aws:iam::${target.account}:role/${SMOKE_TEST_ROLE} && aws configure set profile.smoke.credential_source EcsContainer && aws configure set profile.smoke.region ${target.region}`,
    'retention doctor --profile smoke',
    `retention smoke --profile smoke --app apps/reference --environment ${environment}`,
    `retention status --profile smoke --app apps/reference --environment ${environment}`,
  ];
}

/** The staged rollout: the backup account first, then test, beta and production, each checked by its smoke step before the next. */
export class RetentionPipelineStack extends Stack {
  readonly pipeline: pipelines.CodePipeline;

  constructor(scope: Construct, id: string, props: StackProps & { context: Record<string, unknown>; backupAccountContext: Record<string, unknown> }) {
    super(scope, id, props);
    const settings = props.context.pipeline as { connection_arn: string; repository: string; branch: string; stages: Record<string, StageTarget> };
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      crossAccountKeys: true,
      enableKeyRotation: true,
      synth: new pipelines.ShellStep('Synth', {
        input: pipelines.CodePipelineSource.connection(settings.repository, settings.branch, { connectionArn: settings.connection_arn }),
        commands: ['npm ci', 'npx cdk synth -a "npx tsx apps/pipeline/main.ts"'],
      }),
    });
    const backupConfig = parseBackupAccountConfig(props.backupAccountContext);
    this.pipeline.addStage(new BackupAccountStage(this, 'BackupAccount', { env: { account: backupConfig.backupAccountId, region: backupConfig.backupRegion }, context: props.backupAccountContext }));
    for (const environment of ['test', 'beta', 'prod']) {
      const target = settings.stages[environment];
      this.pipeline.addStage(new EnvironmentStage(this, `Environment-${environment}`, { env: target, environment, context: props.context, pipelineAccount: this.account }), {
        post: [
          new pipelines.CodeBuildStep(`Smoke-${environment}`, {
            commands: smokeCommands(environment, target),
            rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [`arn:aws:iam::${target.account}:role/${SMOKE_TEST_ROLE}`] })],
          }),
        ],
      });
    }
    this.pipeline.buildPipeline();
    this.acknowledgePipelineFindings();
  }

  /**
   * cdk-nag's findings on what aws-cdk-lib's pipelines module generates: the grants on the pipeline's
   * own artifact bucket and key, its CodeBuild projects' report and log groups, and the bootstrap
   * roles it assumes. Each is acknowledged by its exact finding, with the reason.
   */
  private acknowledgePipelineFindings(): void {
    const artifacts = 'Grants aws-cdk-lib pipelines writes on the pipeline\'s own artifact bucket and its key, for its own roles.';
    const ack = (finding: string, reason: string, scope: IConstruct = this) => acknowledge(scope, { id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`, reason });
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*', 's3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*']) ack(`Action::${action}`, artifacts);
    const bucket = this.pipeline.pipeline.artifactBucket.node.defaultChild as CfnResource;
    ack(`Resource::<${this.getLogicalId(bucket)}.Arn>/*`, artifacts);
    ack('Resource::*', 'CodePipeline actions and the asset publishing role use calls that take no resource-level permissions (codebuild:StartBuild reports, KMS via the artifact key).');
    ack(`Resource::arn:*:iam::${this.account}:role/*`, "The asset publishing role assumes the CDK bootstrap roles (cdk-*) of the stages' accounts, whose names carry the bootstrap qualifier.");
    ack(`Resource::arn:<AWS::Partition>:codebuild:${this.region}:${this.account}:report-group/*`, "CodeBuild report groups of the pipeline's own projects.");
    ack(`Resource::arn:<AWS::Partition>:logs:${this.region}:${this.account}:log-group:/aws/codebuild/*`, "CodeBuild log groups of the pipeline's own projects.");
    for (const project of this.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource && c.cfnResourceType === 'AWS::CodeBuild::Project')) {
      const id = this.getLogicalId(project);
      ack(`Resource::arn:<AWS::Partition>:codebuild:${this.region}:${this.account}:report-group/<${id}>-*`, 'The report groups of this CodeBuild project, named after it.');
      ack(`Resource::arn:<AWS::Partition>:logs:${this.region}:${this.account}:log-group:/aws/codebuild/<${id}>:*`, 'The log streams of this CodeBuild project, named after it.');
    }
    acknowledge(bucket, { id: 'AwsSolutions::AwsSolutions-S1', reason: "The pipeline's artifact bucket holds build outputs only, encrypted with the pipeline's key and reached only by its roles; CloudTrail records the access." });
    // The replication bucket of each other Region's stages, in the support stack the pipeline creates.
    for (const support of this.node.root.node.children.filter((c): c is Stack => c instanceof Stack && c !== this)) {
      for (const replication of support.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource && c.cfnResourceType === 'AWS::S3::Bucket')) {
        acknowledge(replication, { id: 'AwsSolutions::AwsSolutions-S1', reason: "The pipeline's artifact replication bucket for another Region's stages: build outputs only, encrypted, reached only by the pipeline's roles." });
        // The bucket's name as the pipeline's own policy names it: generated for the other Region.
        const bucketL2 = replication.node.scope as unknown as { bucketName?: string };
        const name = this.resolve(bucketL2.bucketName) as unknown;
        if (typeof name === 'string') ack(`Resource::arn:<AWS::Partition>:s3:::${name}/*`, "The pipeline's artifact replication bucket for another Region's stages.");
      }
    }
  }
}

/**
 * The pipeline app: the reference environment app's context (its policy and `backup_environments`)
 * with `pipeline` settings beside it, and the backup account app's context.
 */
export function createPipelineApp(props: AppProps & { context: Record<string, unknown>; backupAccountContext: Record<string, unknown> }): App {
  const app = new App(props);
  const { pipeline } = RetentionContext.values(app, ['pipeline']) as { pipeline: { account: string; region: string } };
  new RetentionPipelineStack(app, 'RetentionPipeline', { env: { account: pipeline.account, region: pipeline.region }, context: props.context, backupAccountContext: props.backupAccountContext });
  return app;
}
