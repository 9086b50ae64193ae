// Worker threads start without the TypeScript loader the main thread runs under, so
// register it before loading the real worker module.
import { register } from 'tsx/esm/api';

register();
await import('./forest-worker.ts');
