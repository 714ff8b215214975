// --custom "CMD": any command line is a server; --workload is its client.

import type { AppInstance } from './profile.js';

export interface CustomOptions {
  command: string;
  workload: string | null;
  readyCommand: string | null;
  readyTimeoutSeconds: number;
}

export function customInstance(options: CustomOptions): AppInstance {
  return {
    application: 'custom',
    description: `custom command: ${options.command}`,
    version: null,
    config: {},
    access: null,
    setupCommands: [],
    server: { command: options.command, output: 'inherit' },
    readyCommand: options.readyCommand,
    readyTimeoutSeconds: options.readyTimeoutSeconds,
    smoke: [],
    benchmark: options.workload
      ? { label: 'workload', command: options.workload, repeatUntilDeadline: false, parse: () => ({}) }
      : null,
    stopCommand: null,
    cleanup: () => {},
  };
}
