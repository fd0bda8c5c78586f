/**
 * `npm run keys`: the demo tenant's two keys again (from SEALPOST_DEV_API_KEY / SEALPOST_DEV_ADMIN_KEY,
 * else the data dir), and whether npm start answers. Reads only; creates nothing.
 */
import { resolve } from 'node:path';
import { keysText } from './local/banner.ts';
import { existingDevKey } from './local/dev-keys.ts';

const dataDir = resolve(process.env.SEALPOST_DATA_DIR || '.data');
const appUrl = `http://localhost:${process.env.PORT || 3000}`;
const send = existingDevKey(dataDir, 'send', process.env.SEALPOST_DEV_API_KEY || undefined);
const admin = existingDevKey(dataDir, 'admin', process.env.SEALPOST_DEV_ADMIN_KEY || undefined);
const running = await fetch(`${appUrl}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);

console.log(`
  Demo tenant keys (data in ${dataDir})

${keysText({ ...(send ? { send } : {}), ...(admin ? { admin } : {}) })}

  ${running ? `sealpost answers at ${appUrl}: sign in at ${appUrl}/admin` : `Nothing answers at ${appUrl}: start it with npm start.`}
`);
