/**
 * Resolves the CloudFormation intrinsics in synthesized templates to the concrete strings AWS would
 * see, so that synthesized policies can be evaluated by an IAM simulator.
 */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
}

export interface Deployment {
  account: string;
  region: string;
  /** Every template of the app, by stack name, for Fn::ImportValue. */
  templates: Record<string, CfnTemplate>;
}

function physicalName(type: string, props: Record<string, any>, logicalId: string): string {
  const named = props.RoleName ?? props.TableName ?? props.BucketName ?? props.BackupVaultName ?? props.PolicyName;
  if (typeof named === 'string') return named;
  return type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
}

function findResource(d: Deployment, logicalId: string): { type: string; props: Record<string, any> } {
  for (const template of Object.values(d.templates)) {
    const r = template.Resources[logicalId];
    if (r) return { type: r.Type, props: r.Properties ?? {} };
  }
  throw new Error(`no resource ${logicalId} in the deployment`);
}

function arnOf(d: Deployment, logicalId: string): string {
  const { type, props } = findResource(d, logicalId);
  const name = physicalName(type, resolve(d, props), logicalId);
  const { account, region } = d;
  switch (type) {
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${account}:role/${name}`;
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${region}:${account}:key/${logicalId.toLowerCase()}`;
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${region}:${account}:table/${name}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${name}`;
    case 'AWS::Backup::BackupVault':
      return `arn:aws:backup:${region}:${account}:backup-vault:${name}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${region}:${account}:${name}`;
    case 'AWS::Cognito::UserPool':
      return `arn:aws:cognito-idp:${region}:${account}:userpool/${region}_${logicalId.slice(0, 9)}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${account}:function:${name}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${region}:${account}:log-group:${name}:*`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
    default:
      throw new Error(`no ARN rule for ${type} (${logicalId})`);
  }
}

function getAtt(d: Deployment, logicalId: string, attribute: string): string {
  if (attribute === 'Arn' || attribute === 'BackupVaultArn') return arnOf(d, logicalId);
  const { type, props } = findResource(d, logicalId);
  if (attribute === 'BackupVaultName') return physicalName(type, resolve(d, props), logicalId);
  if (attribute === 'BackupPlanId') return `plan-${logicalId.toLowerCase()}`;
  if (attribute === 'DBClusterArn') return `arn:aws:rds:${d.region}:${d.account}:cluster:${logicalId.toLowerCase()}`;
  if (attribute === 'DBInstanceArn') return `arn:aws:rds:${d.region}:${d.account}:db:${logicalId.toLowerCase()}`;
  if (attribute === 'FrameworkArn') return `arn:aws:backup:${d.region}:${d.account}:framework:${logicalId}`;
  throw new Error(`no rule for Fn::GetAtt ${logicalId}.${attribute}`);
}

function importValue(d: Deployment, name: string): unknown {
  for (const template of Object.values(d.templates)) {
    for (const output of Object.values(template.Outputs ?? {})) {
      if (output.Export?.Name === name) return resolve(d, output.Value);
    }
  }
  throw new Error(`no export named ${name}`);
}

export function resolve(d: Deployment, value: any): any {
  if (Array.isArray(value)) return value.map((v) => resolve(d, v));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys;
    const arg = value[key];
    if (key === 'Ref') {
      if (arg === 'AWS::AccountId') return d.account;
      if (arg === 'AWS::Region') return d.region;
      if (arg === 'AWS::Partition') return 'aws';
      if (arg === 'AWS::URLSuffix') return 'amazonaws.com';
      const { type, props } = findResource(d, arg);
      if (type === 'AWS::KMS::Key') return arnOf(d, arg).split('/').pop();
      // Ref of a topic is its ARN.
      if (type === 'AWS::SNS::Topic') return arnOf(d, arg);
      return physicalName(type, resolve(d, props), arg);
    }
    if (key === 'Fn::GetAtt') return getAtt(d, arg[0], arg[1]);
    if (key === 'Fn::Join') return (resolve(d, arg[1]) as unknown[]).join(arg[0]);
    if (key === 'Fn::Split') return String(resolve(d, arg[1])).split(arg[0]);
    if (key === 'Fn::Select') return (resolve(d, arg[1]) as unknown[])[Number(arg[0])];
    if (key === 'Fn::ImportValue') return importValue(d, resolve(d, arg));
    if (key === 'Fn::Sub') {
      const [template, variables] = Array.isArray(arg) ? [arg[0] as string, resolve(d, arg[1]) as Record<string, string>] : [arg as string, {}];
      return template.replace(/\$\{([^}]+)\}/g, (_, name: string) => (name in variables ? variables[name] : String(resolve(d, name.includes('.') ? { 'Fn::GetAtt': name.split('.') } : { Ref: name }))));
    }
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(d, v)]));
}

/** Properties of the single resource of a type whose logical id starts with `prefix`. */
export function resourceProps(d: Deployment, stack: string, type: string, prefix = ''): Record<string, any> {
  const found = Object.entries(d.templates[stack].Resources).filter(([id, r]) => r.Type === type && id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} starting with ${prefix} in ${stack}, found ${found.length}`);
  return resolve(d, found[0][1].Properties ?? {});
}

/**
 * The parsed definition of the state machine whose logical ID starts with `prefix`. The definition
 * is a Fn::Join of JSON text around the functions' ARNs, which become the text `TOKEN`.
 */
export function stateMachineDefinition(resources: Record<string, any>, prefix: string): any {
  const [, machine] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith(prefix))!;
  const parts = machine.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
}
