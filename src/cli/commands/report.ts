import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, Option } from 'commander';
import { formatJson, formatMarkdown, formatTable } from '../../report/format';
import { type ProtectionReport, protectionReport } from '../../report/protection-report';

export type ReportFormat = 'table' | 'markdown' | 'json';

export function renderReport(report: ProtectionReport, format: ReportFormat): string {
  if (format === 'json') return formatJson(report);
  if (format === 'markdown') return formatMarkdown(report);
  return formatTable(report);
}

export function writeJsonReport(report: ProtectionReport, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${formatJson(report)}\n`);
}

export function reportCommand(): Command {
  return new Command('report')
    .description('Print the protection report of a synthesized CDK app: every stateful resource, how it is kept or why not')
    .option('-a, --assembly <dir>', 'the cloud assembly (cdk synth output folder)', 'cdk.out')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'markdown', 'json']).default('table'))
    .option('--json-out <file>', 'also write the report as JSON to this file')
    .option('--check', 'exit non-zero when any stateful resource is neither protected nor excluded')
    .action((options: { assembly: string; format: ReportFormat; jsonOut?: string; check?: boolean }) => {
      const report = protectionReport(options.assembly);
      process.stdout.write(`${renderReport(report, options.format)}\n`);
      if (options.jsonOut) writeJsonReport(report, options.jsonOut);
      if (options.check && report.summary.unprotected > 0) {
        const missing = report.rows.filter((r) => r.status === 'unprotected').map((r) => `  - ${r.resourceType} ${r.path}`);
        process.stderr.write(`\n${report.summary.unprotected} stateful resources are neither protected nor excluded:\n${missing.join('\n')}\n`);
        process.exitCode = 1;
      }
    });
}
