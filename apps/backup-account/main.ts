import { runApp } from 'retention-kit-cli';
import { createBackupAccountApp } from './app';

runApp(() => createBackupAccountApp().synth());
