/**
 * `npm start` as a person runs it: the real entry as a child process on free ports. The banner's
 * key sends; Ctrl-C (SIGINT) stops everything cleanly; a second start reuses the data and the key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../functions/stand-ins/stand-ins.ts';

interface Started { readonly child: ChildProcess; readonly banner: string }

function start(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/entries/local.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${output}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ctrl-C stops everything.')) {
        clearTimeout(timer);
        resolve({ child, banner: output });
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

describe('npm start (functions/entries/local.ts)', () => {
  it('prints working send and admin keys, stops cleanly on Ctrl-C, and a second start reuses the data and the key', async () => {
    const [port, dynamoPort, mailboxPort] = [await freePort(), await freePort(), await freePort()];
    const env = { PORT: String(port), DYNAMODB_PORT: String(dynamoPort), MAILBOX_PORT: String(mailboxPort), SEALPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'sealpost-start-')), SEALPOST_DEV_API_KEY: '', SEALPOST_DEV_ADMIN_KEY: '' };

    const first = await start(env);
    const key = /Demo tenant API key, scope send \(generated\):\s+(\S+)/.exec(first.banner)?.[1] ?? '';
    const adminKey = /Demo tenant admin key \(generated\)[^\n]*:\s+(\S+)/.exec(first.banner)?.[1] ?? '';
    const settings = await fetch(`http://localhost:${port}/v1/admin/settings`, { headers: { Authorization: `Bearer ${adminKey}` } });
    expect(settings.status).toBe(200);
    expect(await settings.json()).toMatchObject({ tenantId: 'demo', verification: 'none' });
    expect(first.banner).toContain(`http://localhost:${port}`);
    expect(first.banner).toContain(`http://127.0.0.1:${mailboxPort}`);
    const sent = await fetch(`http://localhost:${port}/v1/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: ['alice@example.com'], subject: 'Persisted', text: 'x' }),
    });
    expect(sent.status).toBe(201);
    const { id } = await sent.json() as { id: string };
    expect(await stop(first.child)).toBe(0);
    // Everything it started is gone: the ports are free again.
    for (const p of [port, dynamoPort, mailboxPort]) await expect(fetch(`http://127.0.0.1:${p}/`)).rejects.toThrow();

    const second = await start(env);
    expect(second.banner).toMatch(new RegExp(`Demo tenant API key, scope send \\(data dir\\):\\s+${key}`));
    expect(second.banner).toMatch(new RegExp(`Demo tenant admin key \\(data dir\\)[^\\n]*:\\s+${adminKey}`));
    const status = await fetch(`http://localhost:${port}/v1/messages/${id}`, { headers: { Authorization: `Bearer ${key}` } });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ id, state: 'active' });
    expect(await stop(second.child)).toBe(0);
  }, 90_000);
});
