import { runApp } from 'retention-kit-cli';
import { createDocumentArchiveApp } from './app';

runApp(() => createDocumentArchiveApp().synth());
