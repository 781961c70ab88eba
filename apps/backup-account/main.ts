import { runApp } from '../../src/cli/run-app';
import { createBackupAccountApp } from './app';

runApp(() => createBackupAccountApp().synth());
