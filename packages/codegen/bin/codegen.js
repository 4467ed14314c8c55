#!/usr/bin/env node
// Committed launcher: npm links bins at install time, before dist/ is built.
import '../dist/cli.js';
