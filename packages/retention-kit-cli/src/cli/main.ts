#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { breakGlassCommand } from './commands/break-glass';
import { cognitoCommand } from './commands/cognito';
import { costCommand } from './commands/cost';
import { doctorCommand } from './commands/doctor';
import { hydrateCommand } from './commands/hydrate';
import { recoverCommand } from './commands/recover';
import { replayCommand } from './commands/replay';
import { reportCommand } from './commands/report';
import { restoreCommand } from './commands/restore';
import { reviewCommand } from './commands/review';
import { searchCommand } from './commands/search';
import { smokeCommand } from './commands/smoke';
import { statusCommand } from './commands/status';
import { runApp } from './run-app';

// The package's own manifest, two folders up from both src/cli and lib/cli.
const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

export function buildProgram(): Command {
  return new Command('retention')
    .description('Data-retention and disaster-recovery toolkit for AWS applications')
    .version(version)
    .showHelpAfterError()
    .addCommand(reportCommand())
    .addCommand(breakGlassCommand())
    .addCommand(doctorCommand())
    .addCommand(statusCommand())
    .addCommand(smokeCommand())
    .addCommand(costCommand())
    .addCommand(reviewCommand())
    .addCommand(restoreCommand())
    .addCommand(searchCommand())
    .addCommand(replayCommand())
    .addCommand(cognitoCommand())
    .addCommand(hydrateCommand())
    .addCommand(recoverCommand());
}

/** Runs the command line with the process's arguments. */
export function main(): void {
  runApp(() => buildProgram().parseAsync());
}

if (require.main === module) main();
