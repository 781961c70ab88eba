import { runApp } from 'retention-kit-cli';
import { createPostgresServiceApp } from './app';

runApp(() => createPostgresServiceApp().synth());
