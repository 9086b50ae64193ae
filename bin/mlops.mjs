#!/usr/bin/env node
// The `mlops` command. The project runs its TypeScript directly through tsx, so there
// is no build step between `npm install` and `npx mlops`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
