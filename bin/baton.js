#!/usr/bin/env node
// Package bin: runs the TypeScript CLI through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/main.ts');
runCli();
