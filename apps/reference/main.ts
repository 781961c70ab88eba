import { runApp } from 'retention-kit-cli';
import { createReferenceApp } from './app';

runApp(() => createReferenceApp().synth());
