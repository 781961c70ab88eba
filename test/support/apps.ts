import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { createDocumentArchiveApp } from '../../apps/document-archive/app';
import { createReferenceApp } from '../../apps/reference/app';
import { cdkJsonContext } from '../../packages/retention-kit-cli/src/runtime/cdk-json';
import type { CfnTemplate, Deployment } from './cfn';

export const REFERENCE_CONTEXT = cdkJsonContext(join(__dirname, '../../apps/reference'));
export const ENVIRONMENT_ACCOUNT = REFERENCE_CONTEXT.environment_account_id as string;
export const ENVIRONMENT_REGION = REFERENCE_CONTEXT.environment_region as string;

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `${prefix}-`));

/** The reference app with its example context (plus overrides), writing to a fresh folder. */
export function referenceApp(context: Record<string, unknown> = {}): App {
  return createReferenceApp({
    context: { ...REFERENCE_CONTEXT, 'aws:cdk:enable-path-metadata': true, ...context },
    outdir: tempDir('reference'),
  });
}

/** Synthesizes an app and returns its templates, ready for intrinsic resolution. */
export function synthesize(app: App): Deployment & { directory: string } {
  const assembly = app.synth();
  const templates: Record<string, CfnTemplate> = {};
  for (const stack of assembly.stacks) {
    templates[stack.stackName] = JSON.parse(readFileSync(join(assembly.directory, stack.templateFile), 'utf8')) as CfnTemplate;
  }
  return { account: ENVIRONMENT_ACCOUNT, region: ENVIRONMENT_REGION, templates, directory: assembly.directory };
}

/** The error message synth fails with, or an error when it does not fail. */
export function synthError(app: App): string {
  try {
    app.synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected synth to fail');
}

export const DOCUMENT_ARCHIVE_CONTEXT = cdkJsonContext(join(__dirname, '../../apps/document-archive'));

/** The document archive example app (AWS Backup's newer protections) with its context (plus overrides). */
export function documentArchiveApp(context: Record<string, unknown> = {}): App {
  return createDocumentArchiveApp({
    context: { ...DOCUMENT_ARCHIVE_CONTEXT, 'aws:cdk:enable-path-metadata': true, ...context },
    outdir: tempDir('archive'),
  });
}
