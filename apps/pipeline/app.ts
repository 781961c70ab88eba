import { App, type AppProps, CfnResource, Stack, type StackProps, Stage, type StageProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct, IConstruct } from 'constructs';
import { BackupAccountStack, BackupInfrastructureStack, Retention, RetentionContext } from 'retention-kit';
import { type BackupAccountConfig, type RetentionPolicy, parseBackupAccountConfig, parseRetentionPolicy } from 'retention-kit/policy';
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

/**
 * The role the smoke step assumes in the environment account: on-demand backups into the general
 * vault with the general backup role, their copies, and the read-only calls of doctor and status.
 * It cannot pass the sensitive backup role, start a job in the sensitive vault, or write to a search index.
 */
class SmokeTestAccessStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { pipelineAccount: string; pipelineStackName: string; policy: RetentionPolicy }) {
    super(scope, id, props);
    const { account, region } = this;
    const role = new iam.Role(this, 'SmokeTestRole', {
      roleName: SMOKE_TEST_ROLE,
      // The pipeline's own roles (CodeBuild's smoke steps), not every principal of its account.
      assumedBy: new iam.AccountPrincipal(props.pipelineAccount).withConditions({ ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${props.pipelineAccount}:role/${props.pipelineStackName}-*` } }),
      description: "The pipeline's post-deploy smoke test: on-demand backups and copies in the general vault, and the read-only checks of doctor and status",
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['backup:StartBackupJob'], resources: [`arn:aws:backup:${region}:${account}:backup-vault:${props.policy.vaultNames.general}`] }));
    // Recovery points of this account and Region, whichever service names them; the general role's copy-target guard decides where they go.
    const recoveryPoints = [`arn:aws:backup:${region}:${account}:recovery-point:*`, `arn:aws:rds:${region}:${account}:cluster-snapshot:awsbackup:*`, `arn:aws:rds:${region}:${account}:snapshot:awsbackup:*`, `arn:aws:ec2:${region}::snapshot/*`, `arn:aws:ec2:${region}::image/*`];
    role.addToPolicy(new iam.PolicyStatement({ actions: ['backup:StartCopyJob'], resources: recoveryPoints }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['backup:Describe*', 'backup:List*', 'backup:Get*', 'tag:GetResources', 'organizations:Describe*', 'iam:GetRole'], resources: ['*'] }));
    // backup:List* matches a call AWS classifies as a write: denied by name.
    role.addToPolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: [...SMOKE_DENIED_LIST_ACTIONS], resources: ['*'] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [`arn:aws:iam::${account}:role/${props.policy.generalRoleName}`],
        conditions: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } },
      }),
    );
    const reason = 'The smoke test and the read-only checks of doctor and status: the read calls take no resource-level permissions or read across the account; the jobs it starts are limited to the general vault, this account\'s recovery points and the general backup role.';
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      ...['Action::backup:Describe*', 'Action::backup:List*', 'Action::backup:Get*', 'Action::organizations:Describe*', 'Resource::*', ...recoveryPoints.map((r) => `Resource::${r}`)].map((finding) => ({ id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`, reason })),
    );
  }
}

/** The calls `backup:List*` matches that AWS classifies as writes, which the smoke role is denied. */
export const SMOKE_DENIED_LIST_ACTIONS = ['backup:ListIndexedRecoveryPointsForSearch'] as const;

/** One environment (test, beta, prod): its backup infrastructure with the stage's own policy, the reference app's data, the smoke test's role. */
class EnvironmentStage extends Stage {
  readonly policy: RetentionPolicy;
  readonly target: StageTarget;

  constructor(scope: Construct, id: string, props: StageProps & { environment: string; target: StageTarget; context: Record<string, unknown>; pipelineAccount: string; pipelineStackName: string }) {
    super(scope, id, { ...props, env: props.target });
    const env = props.target;
    this.target = props.target;
    // The base policy with the stage's entry of backup_environments over it.
    const policy = (this.policy = parseRetentionPolicy({ ...props.context, environment: props.environment }));
    new BackupInfrastructureStack(this, 'BackupInfrastructure', { env, policy });
    const data = new PersistentStack(this, 'Persistent', { env });
    if (!policy.production) {
      for (const cluster of data.node.findAll().filter((c) => (c as { cfnResourceType?: string }).cfnResourceType === 'AWS::RDS::DBCluster')) {
        acknowledge(cluster, { id: 'AwsSolutions::AwsSolutions-RDS10', reason: `The ${props.environment} environment is not production: its database can be deleted with the stage; production keeps deletion protection and a final snapshot.` });
      }
    }
    new SmokeTestAccessStack(this, 'SmokeTestAccess', { env, pipelineAccount: props.pipelineAccount, pipelineStackName: props.pipelineStackName, policy });
  }

  /** The categories this stage's resources are protected with that copy to the backup account. */
  copyingCategories() {
    return Retention.protectedCategories(this)
      .map((name) => this.policy.categories[name])
      .filter((c) => c?.copyDestination !== undefined);
  }
}

class BackupAccountStage extends Stage {
  constructor(scope: Construct, id: string, props: StageProps & { config: BackupAccountConfig }) {
    super(scope, id, props);
    new BackupAccountStack(this, 'BackupAccountStack', { env: props.env, config: props.config });
  }
}

/**
 * The backup accounts the stages copy to, each configured from the base context with what the
 * stages send it: every copying stage's account and Region, its general backup role, and its
 * sensitive role only when it protects resources of a sensitive category. A stage whose
 * destination vault is not one its backup account creates is refused, with the reason.
 */
export function backupAccountsFor(stages: { name: string; policy: RetentionPolicy; target: StageTarget; categories: RetentionPolicy['categories'][string][] }[], baseContext: Record<string, unknown>): BackupAccountConfig[] {
  // Who copies in is derived from the stages alone; the rest (vault names, locks, standbys) comes from the base context.
  const { source_accounts: _a, source_account_ids: _b, source_backup_role_name: _c, source_ssn_backup_role_name: _d, source_regions: _e, source_organizational_units: _f, ...base } = baseContext;
  const byDestination = new Map<string, { account: string; region: string; stages: typeof stages }>();
  for (const stage of stages) {
    for (const category of stage.categories) {
      const { account, region } = category.copyDestination!;
      const key = `${account}/${region}`;
      const entry = byDestination.get(key) ?? { account, region, stages: [] };
      if (!entry.stages.includes(stage)) entry.stages.push(stage);
      byDestination.set(key, entry);
    }
  }
  return [...byDestination.values()].map(({ account, region, stages: senders }) => {
    const sources: Record<string, { backup_roles: string[]; sensitive_backup_roles?: string[] }> = {};
    for (const stage of senders) {
      const source = (sources[stage.target.account] ??= { backup_roles: [] });
      const add = (list: string[], name: string) => (list.includes(name) ? list : list.push(name));
      add(source.backup_roles, stage.policy.generalRoleName);
      const sensitive = stage.categories.find((c) => c.dedicatedVault && c.copyDestination?.account === account);
      if (sensitive) add((source.sensitive_backup_roles ??= []), sensitive.specializedRole!);
    }
    const config = parseBackupAccountConfig({
      ...base,
      backup_account_id: account,
      backup_region: region,
      source_accounts: sources,
      source_regions: [...new Set(senders.map((s) => s.target.region))],
    });
    for (const stage of senders) {
      for (const category of stage.categories.filter((c) => c.copyDestination?.account === account && c.copyDestination.region === region)) {
        const expected = category.dedicatedVault ? config.vaultNames.sensitive : config.vaultNames.general;
        if (category.copyDestination!.vaultName !== expected) {
          throw new Error(
            `stage ${stage.name}: category ${category.name} copies to vault ${category.copyDestination!.vaultName} in ${account} (${region}), but the backup account this pipeline deploys there creates ${expected}: name the same vault in both configurations`,
          );
        }
      }
    }
    return config;
  });
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
    // The environments first, so that the backup accounts can admit exactly what they send; deployed after them.
    const environments = ['test', 'beta', 'prod'].map(
      (environment) => new EnvironmentStage(this, `Environment-${environment}`, { environment, target: settings.stages[environment], context: props.context, pipelineAccount: this.account, pipelineStackName: this.stackName }),
    );
    const configs = backupAccountsFor(
      environments.map((stage) => ({ name: stage.stageName, policy: stage.policy, target: stage.target, categories: stage.copyingCategories() })),
      props.backupAccountContext,
    );
    for (const config of configs) {
      const id = configs.length === 1 ? 'BackupAccount' : `BackupAccount-${config.backupAccountId}`;
      this.pipeline.addStage(new BackupAccountStage(this, id, { env: { account: config.backupAccountId, region: config.backupRegion }, config }));
    }
    for (const stage of environments) {
      const environment = stage.stageName.replace(/^Environment-/, '');
      this.pipeline.addStage(stage, {
        post: [
          new pipelines.CodeBuildStep(`Smoke-${environment}`, {
            commands: smokeCommands(environment, stage.target),
            rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [`arn:aws:iam::${stage.target.account}:role/${SMOKE_TEST_ROLE}`] })],
          }),
        ],
      });
    }
    this.pipeline.buildPipeline();
    // aws-cdk-lib grants codestar-connections:UseConnection; a connection whose ARN is arn:aws:codeconnections:... needs the action of its own prefix.
    const source = this.pipeline.pipeline.node.findChild('Source').node.findAll().find((c): c is iam.Role => c instanceof iam.Role);
    if (!source) throw new Error('the pipeline has no source action role to grant codeconnections:UseConnection to');
    if (settings.connection_arn.includes(':codeconnections:')) source.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['codeconnections:UseConnection'], resources: [settings.connection_arn] }));
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
