import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cdkJsonContext, runApp } from 'retention-kit-cli';
import { createPipelineApp } from './app';

// The environments' policy is the reference app's; the pipeline's own settings are in this folder's cdk.json.
const context = { ...cdkJsonContext(join(__dirname, '../reference')), ...cdkJsonContext(__dirname) };
const backupAccountContext = JSON.parse(readFileSync(join(__dirname, '../backup-account/cdk.context.example.json'), 'utf8')) as Record<string, unknown>;
runApp(() => createPipelineApp({ context, backupAccountContext }).synth());
