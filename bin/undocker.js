#!/usr/bin/env -S node --max-semi-space-size=4
// A 4 MB young generation keeps peak memory flat (under 150 MB) at no measurable speed cost:
// flattening makes many short-lived objects and V8's default semi-spaces grow to 16 MB each.
import '../dist/src/cli/main.js';
