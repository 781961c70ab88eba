import { Aspects, Duration, type IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { type FrameworkSpec, type RetentionPolicy, complianceFrameworks, complianceQuotaProblems } from '../policy';
import { CategoryBackupPlan } from './category-plans';
import { accessLogsBucket } from './access-logs';
import { acknowledge } from './nag';

/** Audit Manager's report templates delivered daily: jobs of each kind, and control compliance. */
export const JOB_REPORT_TEMPLATES = ['BACKUP_JOB_REPORT', 'COPY_JOB_REPORT', 'RESTORE_JOB_REPORT'] as const;

/** Properties of the compliance evidence. */
export interface ComplianceEvidenceProps {
  /** The retention policy whose categories the frameworks check. */
  readonly policy: RetentionPolicy;
  /**
   * Bucket that receives the reports bucket's server access logs.
   * @default a bucket of its own
   */
  readonly accessLogBucket?: s3.IBucket;
}

const frameworkName = (stackName: string, suffix: string) => `${stackName}_${suffix}`.replace(/[^A-Za-z0-9_]/g, '_').replace(/^[^A-Za-z]+/, 'F').slice(0, 256);

/**
 * Evidence for auditors: an AWS Backup Audit Manager framework per category used in the app (its
 * controls follow from the policy), and report plans that deliver backup, copy and restore job
 * reports and control compliance daily to an encrypted, versioned, access-logged bucket.
 * Frameworks are made at synth for the categories that plans actually use: Audit Manager allows 50
 * controls per account and Region.
 */
export class ComplianceEvidence extends Construct {
  /** The reports bucket. */
  readonly bucket: s3.Bucket;
  /** The reports bucket's access log bucket, when this construct made it. */
  readonly accessLogBucket?: s3.Bucket;
  /** The Audit Manager frameworks, made at synth for the categories in use. */
  readonly frameworks: backup.CfnFramework[] = [];
  private readonly policy: RetentionPolicy;
  private built = false;

  constructor(scope: Construct, id: string, props: ComplianceEvidenceProps) {
    super(scope, id);
    this.policy = props.policy;
    const stack = Stack.of(this);
    if (!props.accessLogBucket) {
      this.accessLogBucket = accessLogsBucket(this, 'AccessLogs', 'the compliance reports bucket', RemovalPolicy.RETAIN);
    }
    // SSE-S3: report delivery by AWS Backup Audit Manager's service-linked role.
    this.bucket = new s3.Bucket(this, 'Reports', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: props.accessLogBucket ?? this.accessLogBucket,
      serverAccessLogsPrefix: 'compliance-reports/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(2555) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.bucket,
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: 'Kept by AWS Backup, with copies in the backup account (compliance_reports category), rather than by replication.' },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS', reason: 'SSE-S3, the encryption AWS Backup Audit Manager report delivery is documented with.' },
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowBackupAuditManagerReports',
        principals: [new iam.ArnPrincipal(stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports' }))],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
      }),
    );

    // Built at synth, once every protect() has run, so only the categories in use get frameworks.
    Aspects.of(this).add(new BuildWhenVisited(this, () => this.build()));
    this.node.addValidation({ validate: () => complianceQuotaProblems(this._specs()) });
  }

  /**
   * The frameworks for the categories the app's plans use.
   * @internal
   */
  _specs(): FrameworkSpec[] {
    const used = new Set(this.node.root.node.findAll().flatMap((c) => (c instanceof CategoryBackupPlan ? [c.category.name] : [])));
    const region = Stack.of(this).region;
    return complianceFrameworks(this.policy, { environmentRegion: region }).filter((f) => f.name === 'all_categories' || used.has(f.name));
  }

  private build(): void {
    if (this.built) return;
    this.built = true;
    const stackName = Stack.of(this).stackName;
    for (const spec of this._specs()) {
      this.frameworks.push(
        new backup.CfnFramework(this, `Framework_${spec.name}`, {
          frameworkName: frameworkName(stackName, spec.name),
          frameworkDescription: spec.description,
          frameworkControls: spec.controls.map((c) => ({
            controlName: c.ControlName,
            controlInputParameters: c.ControlInputParameters?.map((p) => ({ parameterName: p.ParameterName, parameterValue: p.ParameterValue })),
            controlScope: c.ControlScope,
          })),
        }),
      );
    }
    const delivery = { S3BucketName: this.bucket.bucketName, S3KeyPrefix: 'audit-manager', Formats: ['CSV', 'JSON'] };
    for (const template of JOB_REPORT_TEMPLATES) {
      new backup.CfnReportPlan(this, `${template}Plan`, {
        reportPlanName: frameworkName(stackName, template.toLowerCase()),
        reportPlanDescription: `Daily ${template.replace(/_/g, ' ').toLowerCase()}`,
        reportDeliveryChannel: delivery,
        reportSetting: { ReportTemplate: template },
      });
    }
    new backup.CfnReportPlan(this, 'ControlCompliancePlan', {
      reportPlanName: frameworkName(stackName, 'control_compliance_report'),
      reportPlanDescription: 'Daily compliance of every resource with the frameworks controls',
      reportDeliveryChannel: delivery,
      reportSetting: { ReportTemplate: 'CONTROL_COMPLIANCE_REPORT', FrameworkArns: this.frameworks.map((f) => f.attrFrameworkArn) },
    });
  }
}

/** Runs `build` when the aspect reaches `target`. */
class BuildWhenVisited implements IAspect {
  constructor(
    private readonly target: IConstruct,
    private readonly build: () => void,
  ) {}

  visit(node: IConstruct): void {
    if (node === this.target) this.build();
  }
}
