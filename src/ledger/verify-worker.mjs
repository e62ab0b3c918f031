// A worker thread's entry: Node 20 loads no TypeScript by itself, and workers do not inherit
// the parent's loader in every runner (vitest's, for one), so the thread registers tsx itself.
import { register } from 'tsx/esm/api';

register();
await import('./verify-worker.ts');
