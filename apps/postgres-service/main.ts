import { runApp } from '../../src/cli/run-app';
import { createPostgresServiceApp } from './app';

runApp(() => createPostgresServiceApp().synth());
