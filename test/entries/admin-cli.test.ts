/** The operator CLI as a real subprocess against the real local stack (the same one npm start runs). */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocal, type LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';

const run = promisify(execFile);
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocal({ port: 0, dynamoDbPort: 0, mailboxPort: 0, inMemory: true, dataDir: mkdtempSync(join(tmpdir(), 'sealpost-cli-')), webDir: 'dist/web', logWrite: () => undefined });
});
afterAll(() => stack?.close());

async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DYNAMODB_PORT: new URL(stack.dynamoDbEndpoint).port, AWS_ENDPOINT_URL_DYNAMODB: '', SEALPOST_TABLE: '' };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'functions/entries/admin-cli.ts', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function send(key: string) {
  return fetch(`${stack.appUrl}/v1/messages`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ to: ['patient@example.com'], subject: 'Hello', text: 'x' }),
  });
}

describe('npm run admin -- tenant …', () => {
  it('creates a tenant whose admin key sends at once, lists and shows it, and disabling it stops the key until it is enabled', async () => {
    const created = await admin('tenant', 'create', '--name', 'Acme Health', '--sender', 'notices@acme.example');
    expect(created.code).toBe(0);
    const { tenantId, adminKey } = JSON.parse(created.stdout) as { tenantId: string; adminKey: string };
    expect(tenantId).toMatch(/^t_[A-Za-z0-9_-]{12}$/);
    expect(adminKey).toMatch(/^sp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);

    expect((await send(adminKey)).status).toBe(201);
    const mail = (await capturedMail(stack.mailboxUrl)).at(-1);
    expect(mail?.from).toBe('"Acme Health" <notices@acme.example>');

    const listed = JSON.parse((await admin('tenant', 'list')).stdout) as { tenantId: string; displayName: string }[];
    expect(listed.map((t) => t.tenantId)).toEqual(expect.arrayContaining([tenantId, 'demo']));
    const shown = JSON.parse((await admin('tenant', 'show', tenantId)).stdout) as { displayName: string; disabled: boolean };
    expect(shown).toMatchObject({ displayName: 'Acme Health', disabled: false });

    expect((await admin('tenant', 'disable', tenantId)).code).toBe(0);
    expect((await send(adminKey)).status).toBe(401);
    expect((await admin('tenant', 'enable', tenantId)).code).toBe(0);
    expect((await send(adminKey)).status).toBe(201);
  });

  it('starts a new tenant with email-code verification, and can issue and revoke a replacement admin key', async () => {
    const { tenantId } = JSON.parse((await admin('tenant', 'create', '--name', 'Beta Care', '--sender', 'n@beta.example')).stdout) as { tenantId: string };
    const shown = JSON.parse((await admin('tenant', 'show', tenantId)).stdout) as { settings: { verification: string; messageCenter: boolean } };
    expect(shown.settings).toMatchObject({ verification: 'email-code', messageCenter: false });

    const issued = await admin('key', 'create', '--tenant', tenantId, '--scope', 'admin');
    expect(issued.code).toBe(0);
    const { id, key } = JSON.parse(issued.stdout) as { id: string; key: string };
    const settings = await fetch(`${stack.appUrl}/v1/admin/settings`, { headers: { Authorization: `Bearer ${key}` } });
    expect(await settings.json()).toMatchObject({ tenantId, displayName: 'Beta Care' });

    expect((await admin('key', 'revoke', id, '--tenant', tenantId)).code).toBe(0);
    expect((await fetch(`${stack.appUrl}/v1/admin/settings`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(401);
    const events = await (await fetch(`${stack.appUrl}/v1/events?type=key_created,key_revoked`, { headers: { Authorization: `Bearer ${JSON.parse((await admin('key', 'create', '--tenant', tenantId)).stdout).key}` } })).json() as { events: { type: string; actor: string }[] };
    expect(events.events.map((e) => `${e.type}/${e.actor}`)).toEqual(expect.arrayContaining(['key_created/operator', 'key_revoked/operator']));
  });

  it('refuses invalid input and unknown tenants with a clear message and exit code 1', async () => {
    const bad = await admin('tenant', 'create', '--name', 'Acme', '--sender', 'not-an-address');
    const missing = await admin('tenant', 'show', 't_doesnotexist');

    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/sender must be an email address/);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no tenant t_doesnotexist/);
  });
});

describe('npm run admin -- hostname …', () => {
  it('lists a hostname a tenant asked for as pending, approves it so it serves that tenant\'s pages, and removes it again', async () => {
    const { tenantId, adminKey } = JSON.parse((await admin('tenant', 'create', '--name', 'Harbour Clinic', '--sender', 'desk@harbour.example')).stdout) as { tenantId: string; adminKey: string };
    const asked = await fetch(`${stack.appUrl}/v1/admin/settings`, {
      method: 'PATCH', headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ portalHostnames: ['secure.harbour.example'] }),
    });

    const pending = JSON.parse((await admin('hostname', 'list', '--pending')).stdout) as { hostname: string; tenantId: string; status: string }[];
    const refused = await admin('hostname', 'approve', 'secure.harbour.example', '--tenant', 'demo');
    const approved = await admin('hostname', 'approve', 'secure.harbour.example', '--tenant', tenantId);
    const listed = JSON.parse((await admin('hostname', 'list')).stdout) as { hostname: string; tenantId: string; status: string }[];
    const removed = await admin('hostname', 'remove', 'secure.harbour.example', '--tenant', tenantId);
    const settings = await (await fetch(`${stack.appUrl}/v1/admin/settings`, { headers: { Authorization: `Bearer ${adminKey}` } })).json() as { portalHostnames: string[]; pendingHostnames: string[] };

    expect(asked.status).toBe(200);
    expect(pending).toContainEqual(expect.objectContaining({ hostname: 'secure.harbour.example', tenantId, status: 'pending' }));
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('has not asked for secure.harbour.example') });
    expect(JSON.parse(approved.stdout)).toEqual({ tenantId, portalHostnames: ['secure.harbour.example'], pendingHostnames: [] });
    expect(listed).toContainEqual({ hostname: 'secure.harbour.example', tenantId, displayName: 'Harbour Clinic', status: 'approved' });
    expect(removed.code).toBe(0);
    expect(settings).toMatchObject({ portalHostnames: [], pendingHostnames: [] });
  });
});
