#!/usr/bin/env node
// The `kiln` command. Registers tsx's ESM loader so that the CLI, and the TypeScript model
// files it imports, run without a build step; then hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/main.ts');
await runCli(process.argv.slice(2));
