// The application profiles, by name. A new application is a new module here.

import type { AppProfile } from './profile.js';
import { redisProfile } from './redis.js';
import { mysqlProfile } from './mysql.js';
import { postgresqlProfile } from './postgresql.js';
import { apacheProfile } from './apache.js';
import { nginxProfile } from './nginx.js';
import { dockerProfile } from './docker.js';

export const PROFILES: Record<string, AppProfile> = {
  [redisProfile.name]: redisProfile,
  [mysqlProfile.name]: mysqlProfile,
  [postgresqlProfile.name]: postgresqlProfile,
  [apacheProfile.name]: apacheProfile,
  [nginxProfile.name]: nginxProfile,
  [dockerProfile.name]: dockerProfile,
};

/** Seconds of benchmark when --duration is not given. */
export const DEFAULT_APP_DURATION_SECONDS = 10;
