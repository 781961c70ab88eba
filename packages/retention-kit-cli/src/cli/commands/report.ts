import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, Option } from 'commander';
import { checkAssembly } from '../../report/check';
import { formatJson, formatMarkdown, formatTable } from '../../report/format';
import { type ProtectionReport, protectionReport } from '../../report/protection-report';
import { EXIT_CODES, exitWith } from '../exit-codes';

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
    .option('--json', 'the same as --format json')
    .option('--json-out <file>', 'also write the report as JSON to this file')
    .option('--check', 'exit non-zero, listing each gap, when a stateful resource is unprotected, excluded without a reason, scheduled less often than its RPO, kept shorter than its category, or lacks a cross-account copy its category requires')
    .action((options: { assembly: string; format: ReportFormat; json?: boolean; jsonOut?: string; check?: boolean }) => {
      const report = protectionReport(options.assembly);
      process.stdout.write(`${renderReport(report, options.json ? 'json' : options.format)}\n`);
      if (options.jsonOut) writeJsonReport(report, options.jsonOut);
      if (options.check) {
        const problems = checkAssembly(options.assembly, report);
        if (problems.length > 0) {
          process.stderr.write(`\n${problems.length} protection gap${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p.path}: ${p.problem}`).join('\n')}\n`);
          exitWith(EXIT_CODES.problem);
        } else {
          process.stderr.write('\nNo protection gaps.\n');
        }
      }
    });
}
