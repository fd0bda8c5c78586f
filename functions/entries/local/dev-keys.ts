/**
 * The demo tenant's development keys of `npm start`: given by SEALPOST_DEV_API_KEY and
 * SEALPOST_DEV_ADMIN_KEY, or kept in the data dir. `npm run keys` reads them from here without
 * starting anything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_API_KEY_LENGTH } from '../../core/tenants/index.ts';

export type KeySource = 'environment' | 'generated' | 'data dir';

/** Where the demo tenant's keys are kept, and the variables that set them instead. */
export const DEV_KEYS = {
  send: { file: 'dev-api-key', variable: 'SEALPOST_DEV_API_KEY' },
  admin: { file: 'dev-admin-key', variable: 'SEALPOST_DEV_ADMIN_KEY' },
} as const;

/** A development key given by the environment, else the one kept in the data dir; undefined if neither. */
export function existingDevKey(dataDir: string, which: keyof typeof DEV_KEYS, given?: string): { key: string; source: KeySource } | undefined {
  const { file, variable } = DEV_KEYS[which];
  if (given !== undefined) {
    if (given.length < MIN_API_KEY_LENGTH) throw new Error(`${variable} must be at least ${MIN_API_KEY_LENGTH} characters`);
    return { key: given, source: 'environment' };
  }
  const path = join(dataDir, file);
  return existsSync(path) ? { key: readFileSync(path, 'utf8').trim(), source: 'data dir' } : undefined;
}

