import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { createReferenceApp } from '../../../apps/reference/app';
import { protectionReport } from '../../report/protection-report';
import { cdkJsonContext } from '../cdk-json';
import { renderReport, writeJsonReport } from './report';

const REFERENCE_APP_DIR = resolve(__dirname, '../../../apps/reference');

/** Synthesizes the reference app offline, with the example context in its cdk.json. */
export function synthReferenceApp(outdir: string): string {
  // Path metadata is what `cdk synth` adds by default; the report names resources by it.
  const context = { ...cdkJsonContext(REFERENCE_APP_DIR), 'aws:cdk:enable-path-metadata': true };
  const app = createReferenceApp({ context, outdir });
  return app.synth().directory;
}

export function referenceCommand(): Command {
  return new Command('reference')
    .description('Synthesize the bundled reference app offline (example context, no AWS account or credentials) and print its protection report')
    .option('-o, --outdir <dir>', 'where to write the cloud assembly', 'cdk.out')
    .action((options: { outdir: string }) => {
      const assembly = synthReferenceApp(options.outdir);
      const report = protectionReport(assembly);
      process.stdout.write(`Reference app synthesized to ${assembly}\n\n${renderReport(report, 'table')}\n`);
      const jsonFile = join(options.outdir, 'protection-report.json');
      writeJsonReport(report, jsonFile);
      process.stdout.write(`Report written to ${jsonFile}\n`);
    });
}
