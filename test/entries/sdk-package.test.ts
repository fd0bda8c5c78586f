/**
 * The SDK and CLI as the package an organisation installs on its own (npm run build:sdk): built,
 * packed, installed into an empty project (no network: it has no dependencies), then its CLI sends
 * a message sealed on "their" machine to the local stack, its SDK does the same from a script, and a
 * consumer's TypeScript compiles against its declarations.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSdkPackage } from '../../cdk/build-sdk.ts';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { startTestStack } from '../helpers/local-stack.ts';

const run = promisify(execFile);
let stack: LocalStack;
const project = mkdtempSync(join(tmpdir(), 'sealpost-consumer-'));

beforeAll(async () => {
  const packageDir = mkdtempSync(join(tmpdir(), 'sealpost-sdk-package-'));
  const [{ dir }, started] = await Promise.all([buildSdkPackage(join(packageDir, 'sdk-package')), startTestStack({ maintenanceIntervalMs: 0 })]);
  stack = started;
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', packageDir], { cwd: dir });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(packageDir, stdout.trim())], { cwd: project });
}, 180_000);
afterAll(async () => { await stack?.close(); });

describe('the installed sealpost-sdk package', () => {
  it('has a sealpost command that seals here and sends, and says so in JSON', async () => {
    writeFileSync(join(project, 'note.txt'), 'MARKER-ATTACHMENT');
    const env = { ...process.env, SEALPOST_URL: stack.appUrl, SEALPOST_API_KEY: stack.apiKey };

    const { stdout } = await run(join(project, 'node_modules/.bin/sealpost'), ['send', '--to', 'pkg-cli@example.com', '--subject', 'From the package', '--text', 'Hi', '--attach', join(project, 'note.txt'), '--json'], { env });

    const receipt = JSON.parse(stdout) as { id: string; recipients: { email: string; status: string }[] };
    expect(receipt.recipients).toEqual([{ email: 'pkg-cli@example.com', status: 'notified' }]);
    const mail = (await capturedMail(stack.mailboxUrl)).find((m) => m.body.html?.includes(receipt.id));
    expect(mail?.destination.to.join()).toContain('pkg-cli@example.com');
  }, 60_000);

  it('exports the SDK: a script imports it, seals and sends, and gets the links to deliver itself', async () => {
    writeFileSync(join(project, 'send.mjs'), `
      import { Sealpost } from 'sealpost-sdk';
      const client = new Sealpost({ url: process.env.SEALPOST_URL, apiKey: process.env.SEALPOST_API_KEY });
      const result = await client.sendSealed({ to: ['pkg-sdk@example.com'], subject: 'From a script', text: 'Hello' }, { deliverLinksMyself: true });
      console.log(JSON.stringify(result));
    `);

    const { stdout } = await run(process.execPath, [join(project, 'send.mjs')], { env: { ...process.env, SEALPOST_URL: stack.appUrl, SEALPOST_API_KEY: stack.apiKey } });

    const result = JSON.parse(stdout) as { receipt: { id: string; recipients: { status: string }[] }; links: { email: string; link: string }[] };
    expect(result.receipt.recipients).toEqual([{ email: 'pkg-sdk@example.com', status: 'sender' }]);
    expect(result.links[0]?.link).toMatch(new RegExp(`^${stack.appUrl}/m/${result.receipt.id}#[A-Za-z0-9_-]{43}$`));
    expect((await capturedMail(stack.mailboxUrl)).some((m) => m.body.html?.includes(result.receipt.id))).toBe(false);
  }, 60_000);

  it('types: a consumer\'s TypeScript compiles against the declarations, and a wrong call does not', async () => {
    const tsc = join(import.meta.dirname, '../../node_modules/typescript/bin/tsc');
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true, lib: ['es2023', 'dom'] }, files: ['use.ts'] }));
    const good = `import { Sealpost, type SendReceipt } from 'sealpost-sdk';
      const client = new Sealpost({ url: 'https://secure.example.com', apiKey: 'k' });
      export const sent: Promise<SendReceipt> = client.send({ to: ['a@example.com'], subject: 's', text: 't' });
      export const status = client.status('id').then((s) => s.recipients.map((r) => r.opens));\n`;
    writeFileSync(join(project, 'use.ts'), good);
    await run(process.execPath, [tsc, '-p', project], { cwd: project });

    writeFileSync(join(project, 'use.ts'), `${good}export const wrong = client.send({ to: 'a@example.com', subject: 1 });\n`);
    const failed = await run(process.execPath, [tsc, '-p', project], { cwd: project }).then(() => '', (e: { stdout: string }) => e.stdout);

    expect(failed).toMatch(/use\.ts\(\d+,\d+\): error TS2322/);
  }, 60_000);
});
