// Worker entry: connectors are TypeScript, loaded through tsx in every worker, as bin/uns-gateway.js does
// for the main thread.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
