import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { createBackupAccountApp } from '../../apps/backup-account/app';
import { createDocumentArchiveApp } from '../../apps/document-archive/app';
import { createPipelineApp } from '../../apps/pipeline/app';
import { createPostgresServiceApp } from '../../apps/postgres-service/app';
import { createReferenceApp } from '../../apps/reference/app';
import { cdkJsonContext } from '../../packages/retention-kit-cli/src/runtime/cdk-json';
import { tempDir } from './apps';
import type { CfnTemplate, Deployment } from './cfn';

/** One synthesized stack of an example app, where it deploys, and its neighbours for resolving intrinsics. */
export interface ExampleStack {
  readonly app: string;
  /** The stack's name; a pipeline stage's stacks carry the stage's name. */
  readonly stack: string;
  readonly account: string;
  readonly region: string;
  readonly template: CfnTemplate;
  readonly templateFile: string;
  /** The stacks of the same app, account and Region, for Ref, Fn::GetAtt and Fn::ImportValue. */
  readonly deployment: Deployment;
}

const APPS = join(__dirname, '../../apps');
const context = (app: string) => cdkJsonContext(join(APPS, app));
const backupAccountContext = () => JSON.parse(readFileSync(join(APPS, 'backup-account/cdk.context.example.json'), 'utf8')) as Record<string, unknown>;

/** Every stack of an assembly, its nested assemblies (a pipeline's stages) included. */
function stacksOf(assembly: CloudAssembly): { stackName: string; account: string; region: string; file: string }[] {
  return [
    ...assembly.stacks.map((s) => ({ stackName: s.stackName, account: s.environment.account, region: s.environment.region, file: join(assembly.directory, s.templateFile) })),
    ...assembly.nestedAssemblies.flatMap((n) => stacksOf(n.nestedAssembly)),
  ];
}

/** The example apps, each with the example context of its folder, as `npm start` and the pipeline synthesize them. */
export function exampleApps(): Record<string, App> {
  return {
    reference: createReferenceApp({ context: context('reference'), outdir: tempDir('every-reference') }),
    'postgres-service': createPostgresServiceApp({ context: context('postgres-service'), outdir: tempDir('every-postgres') }),
    'document-archive': createDocumentArchiveApp({ context: context('document-archive'), outdir: tempDir('every-archive') }),
    'backup-account': createBackupAccountApp({ context: { ...context('backup-account'), ...backupAccountContext() }, outdir: tempDir('every-backup') }),
    pipeline: createPipelineApp({ context: { ...context('reference'), ...context('pipeline') }, backupAccountContext: backupAccountContext(), outdir: tempDir('every-pipeline') }),
  };
}

/** An account in the organizational units the example organization backup policy reaches, for the StackSets' templates. */
export const MEMBER_ACCOUNT = '666666666666';

/**
 * The templates a stack's service-managed StackSets deploy into member accounts, each written to a
 * file of its own, as a stack of that account in the StackSet's first Region.
 */
function stackSetTemplatesOf(s: { stackName: string; region: string; template: CfnTemplate }): { stackName: string; account: string; region: string; file: string; template: CfnTemplate }[] {
  return Object.entries(s.template.Resources)
    .filter(([, r]) => r.Type === 'AWS::CloudFormation::StackSet' && typeof r.Properties?.TemplateBody === 'string')
    .map(([id, r]) => {
      const file = join(tempDir('stackset'), `${s.stackName}-${id}.template.json`);
      writeFileSync(file, r.Properties!.TemplateBody as string);
      const regions = (r.Properties!.StackInstancesGroup as { Regions: string[] }[])[0].Regions;
      return { stackName: `${s.stackName}/${id}`, account: MEMBER_ACCOUNT, region: regions[0], file, template: JSON.parse(r.Properties!.TemplateBody as string) as CfnTemplate };
    });
}

/** Every stack of every example app, synthesized, and every template their StackSets deploy. */
export function exampleStacks(apps: Record<string, App> = exampleApps()): ExampleStack[] {
  const synthesized = Object.entries(apps).flatMap(([app, a]) => stacksOf(a.synth()).map((s) => ({ app, ...s, template: JSON.parse(readFileSync(s.file, 'utf8')) as CfnTemplate })));
  const stacks = [...synthesized, ...synthesized.flatMap((s) => stackSetTemplatesOf(s).map((t) => ({ app: s.app, ...t })))];
  return stacks.map((s) => {
    const neighbours = stacks.filter((o) => o.app === s.app && o.account === s.account && o.region === s.region);
    return {
      app: s.app,
      stack: s.stackName,
      account: s.account,
      region: s.region,
      template: s.template,
      templateFile: s.file,
      deployment: { account: s.account, region: s.region, templates: Object.fromEntries(neighbours.map((o) => [o.stackName, o.template])) },
    };
  });
}
