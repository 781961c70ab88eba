#!/usr/bin/env node
import { Command } from 'commander';
import { breakGlassCommand } from './commands/break-glass';
import { doctorCommand } from './commands/doctor';
import { referenceCommand } from './commands/reference';
import { reportCommand } from './commands/report';
import { reviewCommand } from './commands/review';
import { statusCommand } from './commands/status';
import { runApp } from './run-app';

export function buildProgram(): Command {
  return new Command('retention')
    .description('Data-retention and disaster-recovery toolkit for AWS applications')
    .showHelpAfterError()
    .addCommand(reportCommand())
    .addCommand(referenceCommand())
    .addCommand(breakGlassCommand())
    .addCommand(doctorCommand())
    .addCommand(statusCommand())
    .addCommand(reviewCommand());
}

if (require.main === module) runApp(() => buildProgram().parseAsync());
