/**
 * `npm start`: the whole product on this machine — dynalite, the local mailbox (aws-ses-v2-local),
 * the table, the demo tenant, and the API + portal — as one process tree. Ctrl-C stops it all.
 *
 * Quiet by default: warnings and errors only, as lines for a person. `--verbose` (or
 * SEALPOST_LOG_LEVEL=info) adds a line per request and per piece of work done.
 */
import { ConsoleLogger } from '../adapters/log/console-logger.ts';
import { LOG_LEVELS, type LogLevel } from '../core/shared/index.ts';
import { bannerText } from './local/banner.ts';
import { startLocal } from './local/start-local.ts';

function intEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name} must be a port number`);
    process.exit(2);
  }
  return n;
}

function logLevel(): LogLevel {
  if (process.argv.includes('--verbose') || process.argv.includes('-v')) return 'info';
  const given = process.env.SEALPOST_LOG_LEVEL;
  if (given === undefined || given === '') return 'warn';
  if ((LOG_LEVELS as readonly string[]).includes(given)) return given as LogLevel;
  console.error(`SEALPOST_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  process.exit(2);
}

const level = logLevel();
const stack = await startLocal({
  port: intEnv('PORT', 3000),
  dynamoDbPort: intEnv('DYNAMODB_PORT', 8000),
  mailboxPort: intEnv('MAILBOX_PORT', 8005),
  dataDir: process.env.SEALPOST_DATA_DIR || '.data',
  logger: new ConsoleLogger(level),
  ...(process.env.SEALPOST_DEV_API_KEY ? { devApiKey: process.env.SEALPOST_DEV_API_KEY } : {}),
  ...(process.env.SEALPOST_DEV_ADMIN_KEY ? { devAdminKey: process.env.SEALPOST_DEV_ADMIN_KEY } : {}),
}).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  console.error(code === 'EADDRINUSE'
    ? `sealpost: a port is already in use (${String((error as Error).message)}). Is npm start already running? Otherwise set PORT, DYNAMODB_PORT or MAILBOX_PORT.`
    : `sealpost: could not start: ${String(error instanceof Error ? error.message : error)}`);
  process.exit(1);
});

console.log(bannerText({
  appUrl: stack.appUrl, mailboxUrl: stack.mailboxUrl, dataDir: stack.dataDir, verbose: level === 'info',
  send: { key: stack.apiKey, source: stack.apiKeySource }, admin: { key: stack.adminKey, source: stack.adminKeySource },
}));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\n  stopping sealpost…');
    stack.close().then(() => process.exit(0), () => process.exit(1));
  });
}
