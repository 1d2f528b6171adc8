#!/usr/bin/env node
// The gateway runs its TypeScript sources through tsx, in the main thread and in every worker.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
