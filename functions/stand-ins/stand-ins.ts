/**
 * The embedded AWS stand-ins for `npm start` and the tests: dynalite for DynamoDB (with the
 * transactions it lacks added in front, dynamodb-transactions.ts) and
 * aws-ses-v2-local as the mailbox. Both bind to 127.0.0.1 only. The app reaches them through the
 * standard AWS_ENDPOINT_URL_* variables, exactly as it would reach AWS.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import dynalite from 'dynalite';
import { addTransactions } from './dynamodb-transactions.ts';
import sesLocalModule from 'aws-ses-v2-local';
import { getStoreReadonly, type Email } from 'aws-ses-v2-local/dist/store.js';

export interface StandIn {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** dynalite on 127.0.0.1; persisted under `path` when given, in memory otherwise. Port 0 picks a free port. */
export async function startDynamoDb(options: { port?: number; path?: string } = {}): Promise<StandIn> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  addTransactions(server);
  const port = await listen(server, options.port ?? 0);
  return { endpoint: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
}

// aws-ses-v2-local is CommonJS; from ESM its server factory is the module's `.default`.
type SesLocalFactory = (config?: { host?: string; port?: number }) => Promise<Server>;
const startSesLocal: SesLocalFactory =
  (sesLocalModule as unknown as { default?: SesLocalFactory }).default ?? (sesLocalModule as unknown as SesLocalFactory);

/**
 * The mailbox's web page, with each email's HTML view open: the notification is the first thing a
 * newcomer looks for there, and the package shows it collapsed behind "Toggle HTML view".
 */
function mailboxPage(): string | undefined {
  const path = createRequire(import.meta.url).resolve('aws-ses-v2-local/static/index.html');
  const page = readFileSync(path, 'utf8');
  const opened = page.replace('id="${e.messageId}-html" style="display: none"', 'id="${e.messageId}-html"');
  // Another version of the package: serve its page as it is (the mailbox test notices).
  return opened === page ? undefined : opened;
}

/**
 * aws-ses-v2-local: an SES endpoint whose web page (/) shows captured mail and whose GET /store lists
 * it. With `path`, the mail is kept in that file across restarts: a standard-mode message can only be
 * opened from its notification, so losing the mailbox on a restart would lose every message in it.
 */
export async function startMailbox(options: { port?: number; path?: string } = {}): Promise<StandIn> {
  const store = getStoreReadonly();
  if (options.path && existsSync(options.path)) {
    const kept = (JSON.parse(readFileSync(options.path, 'utf8')) as { emails?: Email[] }).emails ?? [];
    const known = new Set(store.emails.map((e) => e.messageId));
    store.emails.push(...kept.filter((e) => !known.has(e.messageId)));
  }
  const server = await startSesLocal({ host: '127.0.0.1', port: options.port ?? 0 });
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  // In front of the package's own handler: our page at /, and after every change (a sent email, a
  // cleared store) the whole store written to `path`, replacing the file in one rename.
  const page = mailboxPage();
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (page && req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    if (options.path && req.method === 'POST') res.once('finish', () => keepMail(options.path as string));
    for (const handle of handlers) handle(req, res);
  });
  const port = (server.address() as AddressInfo).port;
  return { endpoint: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
}

function keepMail(path: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ emails: getStoreReadonly().emails }), { mode: 0o600 });
  renameSync(temporary, path);
}

export interface CapturedMail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/** Mail captured by the mailbox stand-in. */
export async function capturedMail(mailboxEndpoint: string): Promise<CapturedMail[]> {
  const response = await fetch(`${mailboxEndpoint}/store`);
  if (!response.ok) throw new Error(`mailbox answered ${response.status}`);
  return ((await response.json()) as { emails: CapturedMail[] }).emails;
}

/** A port that was free on 127.0.0.1 a moment ago (for stacks that must know their port up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
