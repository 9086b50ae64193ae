// A serving thread of WORKER_MODE=threads, when the service runs from its TypeScript
// source: threads do not inherit a loader registered in code (as `mlops serve` does),
// so register it before loading the service, which starts the thread's server.
import { register } from 'tsx/esm/api';

register();
await import('../main.ts');
