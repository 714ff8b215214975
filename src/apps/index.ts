// The application profiles, by name. A new application is a new module here.

import type { AppProfile } from './profile.js';
import { redisProfile } from './redis.js';

export const PROFILES: Record<string, AppProfile> = {
  [redisProfile.name]: redisProfile,
};

/** Seconds of benchmark when --duration is not given. */
export const DEFAULT_APP_DURATION_SECONDS = 10;
