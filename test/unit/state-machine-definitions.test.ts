import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import type { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { createBackupAccountApp } from '../../apps/backup-account/app';
import { createPostgresServiceApp } from '../../apps/postgres-service/app';
import { createReferenceApp } from '../../apps/reference/app';
import { cdkJsonContext } from '../../packages/retention-kit-cli/src/runtime/cdk-json';
import type { CfnTemplate, Deployment } from '../support/cfn';
import { tempDir } from '../support/apps';
import { stateMachineDefinitions } from '../support/state-machines';

function definitionsOf(app: App): [string, unknown][] {
  const assembly = app.synth();
  // Every template of the app, so imports between its stacks resolve.
  const templates = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, JSON.parse(readFileSync(join(assembly.directory, s.templateFile), 'utf8')) as CfnTemplate]));
  return assembly.stacks.flatMap((stack) => {
    const deployment: Deployment = { account: stack.environment.account, region: stack.environment.region, templates };
    return Object.entries(stateMachineDefinitions(deployment, stack.stackName)).map(([id, definition]) => [`${stack.stackName}/${id}`, definition] as [string, unknown]);
  });
}

describe('every state machine definition of every example app', () => {
  const definitions = [
    ...definitionsOf(createReferenceApp({ context: cdkJsonContext(join(__dirname, '../../apps/reference')), outdir: tempDir('asl-reference') })),
    ...definitionsOf(createPostgresServiceApp({ context: cdkJsonContext(join(__dirname, '../../apps/postgres-service')), outdir: tempDir('asl-postgres') })),
    ...definitionsOf(
      createBackupAccountApp({ context: JSON.parse(readFileSync(join(__dirname, '../../apps/backup-account/cdk.context.example.json'), 'utf8')), outdir: tempDir('asl-backup') }),
    ),
  ];

  it('finds the four state machines of the reference app', () => {
    expect(definitions.map(([name]) => name.split('/')[0])).toEqual(expect.arrayContaining(['Persistent']));
    expect(definitions.length).toBeGreaterThanOrEqual(4);
  });

  it.each(definitions)('%s passes asl-validator, JSONPaths and ARNs included', (_name, definition) => {
    const { isValid, errorsText } = aslValidator(definition as never);
    expect(isValid, errorsText('\n')).toBe(true);
  });
});
