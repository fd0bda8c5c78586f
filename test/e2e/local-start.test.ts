/**
 * `npm start` as a person runs it: the real entry as a child process on free ports. The banner's
 * key sends; nothing more is printed unless something goes wrong (or --verbose); Ctrl-C (SIGINT)
 * stops everything cleanly; a second start reuses the data, the keys and the mailbox; `npm run keys`
 * prints the keys again.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../functions/stand-ins/stand-ins.ts';

interface Started { readonly child: ChildProcess; readonly banner: string; readonly output: () => string }

function start(env: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/entries/local.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${output}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ctrl-C stops everything.')) {
        clearTimeout(timer);
        resolve({ child, banner: output, output: () => output });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code} before the banner:\n${output}`)); });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

const ports = async () => {
  const [port, dynamoPort, mailboxPort] = [await freePort(), await freePort(), await freePort()];
  return { port, dynamoPort, mailboxPort, env: { PORT: String(port), DYNAMODB_PORT: String(dynamoPort), MAILBOX_PORT: String(mailboxPort), SEALPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'sealpost-start-')), SEALPOST_DEV_API_KEY: '', SEALPOST_DEV_ADMIN_KEY: '', SEALPOST_LOG_LEVEL: '' } };
};

describe('npm start (functions/entries/local.ts)', () => {
  it('prints working send and admin keys, stops cleanly on Ctrl-C, and a second start reuses the data, the keys and the mail', async () => {
    const { port, dynamoPort, mailboxPort, env } = await ports();

    const first = await start(env);
    const key = /Send key\s+(\S+)\s+\(generated\)/.exec(first.banner)?.[1] ?? '';
    const adminKey = /Admin key\s+(\S+)\s+\(generated\)/.exec(first.banner)?.[1] ?? '';
    const settings = await fetch(`http://localhost:${port}/v1/admin/settings`, { headers: { Authorization: `Bearer ${adminKey}` } });
    expect(settings.status).toBe(200);
    expect(await settings.json()).toMatchObject({ tenantId: 'demo', verification: 'none' });
    expect(first.banner).toContain(`http://localhost:${port}`);
    expect(first.banner).toContain(`http://127.0.0.1:${mailboxPort}`);
    expect(first.banner).toContain(`SEALPOST_URL=http://localhost:${port} SEALPOST_API_KEY=${key} \\\n      npx sealpost send --to `);
    const sent = await fetch(`http://localhost:${port}/v1/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: ['alice@example.com'], subject: 'Persisted', text: 'x' }),
    });
    expect(sent.status).toBe(201);
    const { id } = await sent.json() as { id: string };
    const mail = await (await fetch(`http://127.0.0.1:${mailboxPort}/store`)).json() as { emails: { subject: string }[] };
    // Quiet by default: the send, the settings read and the idle maintenance runs printed nothing.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(first.output()).toBe(first.banner);
    expect(await stop(first.child)).toBe(0);
    // Everything it started is gone: the ports are free again.
    for (const p of [port, dynamoPort, mailboxPort]) await expect(fetch(`http://127.0.0.1:${p}/`)).rejects.toThrow();

    const second = await start(env);
    expect(second.banner).toContain(`Send key   ${key}   (data dir)`);
    expect(second.banner).toContain(`Admin key  ${adminKey}   (data dir)`);
    const kept = await (await fetch(`http://127.0.0.1:${mailboxPort}/store`)).json() as { emails: { subject: string }[] };
    expect(kept.emails.map((e) => e.subject)).toEqual(mail.emails.map((e) => e.subject));
    expect(kept.emails).toHaveLength(1);
    const page = await (await fetch(`http://127.0.0.1:${mailboxPort}/`)).text();
    // The notification's HTML view is open in the mailbox page, not collapsed behind "Toggle HTML view".
    expect(page).toContain('id="${e.messageId}-html"><iframe');
    const keys = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'functions/entries/local-keys.ts'], { env: { ...process.env, ...env } });
    expect(keys.stdout).toContain(`Send key   ${key}   (data dir)`);
    expect(keys.stdout).toContain(`Admin key  ${adminKey}   (data dir)`);
    expect(keys.stdout).toContain(`sealpost answers at http://localhost:${port}`);
    const status = await fetch(`http://localhost:${port}/v1/messages/${id}`, { headers: { Authorization: `Bearer ${key}` } });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ id, state: 'active' });
    expect(await stop(second.child)).toBe(0);
  }, 90_000);

  it('logs each request as a line for a person with --verbose', async () => {
    const { port, env } = await ports();
    const started = await start(env, ['--verbose']);
    try {
      await fetch(`http://localhost:${port}/healthz`);

      await expect.poll(() => started.output()).toMatch(/\n\d\d:\d\d:\d\d {2}GET \/healthz → 200 {2}\d+ ms\n/);
      expect(started.banner).toContain('Logging every request (--verbose).');
      expect(started.output().slice(started.banner.length)).not.toContain('{"');
    } finally {
      expect(await stop(started.child)).toBe(0);
    }
  }, 90_000);
});
