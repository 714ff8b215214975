import { readFileSync } from 'node:fs';

export const TOOL_NAME = 'benchmark-tracer';

/** The version in package.json, read once (dist/src/version.js sits two levels below it). */
export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
