import { runApp } from '../../src/cli/run-app';
import { createReferenceApp } from './app';

runApp(() => createReferenceApp().synth());
