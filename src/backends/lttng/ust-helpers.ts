// The names --userspace takes: apart from the UST session (userspace.ts), so
// that parsing the command line does not load the recording code.

import { UserError } from '../../util/errors.js';

/** The LD_PRELOAD helpers of LTTng-UST, by the name --userspace takes. */
export const UST_HELPERS = {
  libc: 'liblttng-ust-libc-wrapper.so.1',
  pthread: 'liblttng-ust-pthread-wrapper.so.1',
  fd: 'liblttng-ust-fd.so.1',
  dl: 'liblttng-ust-dl.so.1',
} as const;

export type UstHelper = keyof typeof UST_HELPERS;
export const DEFAULT_UST_HELPERS: UstHelper[] = ['libc'];

/** Parses --userspace's list ("libc,fd"); an empty value means the default. */
export function parseUstHelpers(list: string): UstHelper[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return [...DEFAULT_UST_HELPERS];
  const known = Object.keys(UST_HELPERS);
  for (const name of names) {
    if (!known.includes(name)) throw new UserError(`--userspace: unknown helper "${name}" (known: ${known.join(', ')})`);
  }
  return [...new Set(names)] as UstHelper[];
}
