/**
 * The sealpost CLI, run in-process (runCli) against the real local stack (DynamoDB, S3, KMS and
 * mailbox stand-ins). Every request it makes goes through a recording fetch, which can also fail or
 * repeat one, so a test sees exactly what sealpost and its bucket received: exit codes by kind,
 * outputs, links delivered by the sender that sealpost never saw, and parts put twice or retried.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../functions/entries/cli.ts';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { OpenPgpSealer } from '../helpers/openpgp-sealer.ts';
import { deriveAccessToken, deriveLinkToken, deriveMessageKey } from '../../functions/core/protocol/index.ts';
import { parseLink } from '../helpers/builders.ts';
import { startTestStack } from '../helpers/local-stack.ts';

/** The exit codes the CLI documents (functions/entries/cli.ts), as numbers: scripts depend on them. */
const EXIT = { ok: 0, usage: 2, refused: 3, transient: 4 } as const;

let stack: LocalStack;
const logs: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'sealpost-cli-'));
beforeAll(async () => { stack = await startTestStack({ maintenanceIntervalMs: 0, logWrite: (line) => { logs.push(line); } }); }, 60_000);
afterAll(async () => { await stack?.close(); });

interface Seen { method: string; url: string; body: Buffer; idempotencyKey: string | null; status?: number; answer?: string }
/**
 * What the recording fetch does to a request: nothing, fail it before it leaves, send it twice, or
 * let it reach sealpost and lose the answer.
 */
type Fault = (request: { method: string; url: string }) => 'network' | 'twice' | 'lost' | undefined;

async function cli(args: string[], options: { env?: Record<string, string | undefined>; fault?: Fault } = {}) {
  const seen: Seen[] = [];
  let stdout = '';
  let stderr = '';
  const recording: typeof fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    const body = init?.body === undefined ? Buffer.alloc(0) : typeof init.body === 'string' ? Buffer.from(init.body) : Buffer.from(init.body as Uint8Array);
    const request: Seen = { method, url: String(input), body, idempotencyKey: new Headers(init?.headers).get('Idempotency-Key') };
    seen.push(request);
    const fault = options.fault?.(request);
    if (fault === 'network') throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') });
    if (fault === 'lost') {
      request.status = (await fetch(input, init)).status;
      throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
    }
    if (fault === 'twice') {
      const first: Seen = { ...request };
      seen.splice(seen.indexOf(request), 0, first);
      const answer = await fetch(input, init);
      first.status = answer.status;
      await answer.arrayBuffer();
    }
    const response = await fetch(input, init);
    request.status = response.status;
    request.answer = await response.clone().text();
    return response;
  };
  const code = await runCli(args, {
    env: { SEALPOST_URL: stack.appUrl, SEALPOST_API_KEY: stack.apiKey, ...options.env },
    stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, isTty: false, fetch: recording,
    // The client's backoff between retries is the SDK's business (test/sdk): here it costs no time.
    sleep: async () => undefined,
  });
  return { code, stdout, stderr, seen };
}

function aFile(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/**
 * What a recipient's page does with a link, for any message: open part 0; a message in the blob store
 * answers with the URLs of its parts, any other with its ciphertext part by part; then decrypt (with
 * openpgp.js, an implementation independent of the SDK's sealer) and read the MIME.
 */
async function pickUp(id: string, secret: string, passcode?: string) {
  const key = await deriveMessageKey(secret, passcode);
  const credentials = { link: await deriveLinkToken(secret), token: await deriveAccessToken(key) };
  const open = (part: number) => fetch(`${stack.appUrl}/m/${id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...credentials, ...(part > 0 ? { part } : {}) }) });
  const first = await open(0);
  expect(first.status).toBe(200);
  const pieces: Buffer[] = [];
  if (first.headers.get('Content-Type')?.startsWith('application/json')) {
    const { parts } = await first.json() as { parts: { url: string; bytes: number }[] };
    for (const part of parts) {
      const got = await fetch(new URL(part.url, stack.appUrl));
      expect(got.status).toBe(200);
      pieces.push(Buffer.from(await got.arrayBuffer()));
      expect(pieces.at(-1)?.length).toBe(part.bytes);
    }
  } else {
    pieces.push(Buffer.from(await first.arrayBuffer()));
    for (let part = 1; part < Number(first.headers.get('Sealpost-Parts')); part++) pieces.push(Buffer.from(await (await open(part)).arrayBuffer()));
  }
  return PostalMime.parse(await new OpenPgpSealer().open(new Uint8Array(Buffer.concat(pieces)), key));
}

/** The pickup link emailed to `to` for message `id`. */
async function emailedLink(id: string, to: string): Promise<string> {
  const mail = (await capturedMail(stack.mailboxUrl)).find((m) => m.destination.to.some((t) => t.includes(to)) && m.body.html?.includes(id));
  return parseLink(mail?.body.html ?? '').secret;
}

/** Every string and byte string of every item in the table. */
async function tableContents(): Promise<{ strings: string[]; bytes: Buffer[] }> {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoDbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const strings: string[] = [];
  const bytes: Buffer[] = [];
  const walk = (value: AttributeValue): void => {
    if (value.S !== undefined) strings.push(value.S);
    if (value.B !== undefined) bytes.push(Buffer.from(value.B));
    value.SS?.forEach((s) => strings.push(s));
    value.BS?.forEach((b) => bytes.push(Buffer.from(b)));
    value.L?.forEach(walk);
    Object.values(value.M ?? {}).forEach(walk);
  };
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: stack.tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
    for (const item of page.Items ?? []) Object.values(item).forEach(walk);
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return { strings, bytes };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const partIndexOf = (url: string) => Number(new URL(url).pathname.split('/').pop());
const puts = (seen: readonly Seen[]) => seen.filter((r) => r.method === 'PUT');

describe('sealpost send: usage errors exit 2, say why, and send nothing', () => {
  it.each([
    ['no --to', ['send', '--subject', 'Hi', '--text', 'x'], {}, /Give at least one recipient with --to\./],
    ['an attachment that does not exist', ['send', '--to', 'a@example.com', '--subject', 'Hi', '--text', 'x', '--attach', '/no/such/file.pdf'], {}, /The attachment \/no\/such\/file\.pdf cannot be read: ENOENT\./],
    ['--server-seal with --deliver-links-myself', ['send', '--to', 'a@example.com', '--subject', 'Hi', '--text', 'x', '--server-seal', '--deliver-links-myself'], {}, /--deliver-links-myself needs local sealing: drop --server-seal\./],
    ['no SEALPOST_URL', ['send', '--to', 'a@example.com', '--subject', 'Hi', '--text', 'x'], { SEALPOST_URL: undefined }, /Set SEALPOST_URL .* and SEALPOST_API_KEY/],
    ['no SEALPOST_API_KEY', ['status', 'abc'], { SEALPOST_API_KEY: undefined }, /Set SEALPOST_URL .* and SEALPOST_API_KEY/],
    ['a SEALPOST_URL without its scheme', ['status', 'abc'], { SEALPOST_URL: 'localhost:3000' }, /The sealpost URL must be an absolute http\(s\) URL/],
    ['a SEALPOST_URL that is not http(s)', ['status', 'abc'], { SEALPOST_URL: 'ftp://sealpost.example.com' }, /The sealpost URL must be an absolute http\(s\) URL/],
    ['--expires-in-days 0', ['send', '--to', 'a@example.com', '--subject', 'Hi', '--text', 'x', '--expires-in-days', '0'], {}, /--expires-in-days must be a whole number of at least 1\./],
    ['--expires-in-days 91, before anything is sealed or uploaded', ['send', '--to', 'a@example.com', '--subject', 'Hi', '--text', 'x', '--expires-in-days', '91'], {}, /the expiry must be a whole number of days from 1 to 90/],
    ['--max-views 1001', ['send', '--to', 'a@example.com', '--subject', 'Hi', '--text', 'x', '--max-views', '1001'], {}, /the views allowed must be a whole number from 1 to 1000/],
    ['no body', ['send', '--to', 'a@example.com', '--subject', 'Hi'], {}, /give a text body, an HTML body or both/],
    ['no body, for sealpost to seal', ['send', '--server-seal', '--to', 'a@example.com', '--subject', 'Hi'], {}, /give a text body, an HTML body or both/],
    ['an unknown option', ['send', '--to', 'a@example.com', '--bcc', 'b@example.com'], {}, /unknown option '--bcc'/],
  ])('when given %s', async (_case, args, env, why) => {
    const mailBefore = (await capturedMail(stack.mailboxUrl)).length;

    const run = await cli(args, { env });

    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(why);
    expect(run.stdout).toBe('');
    expect(run.seen).toEqual([]);
    expect((await capturedMail(stack.mailboxUrl)).length).toBe(mailBefore);
  });
});

describe('sealpost send: failures exit by kind', () => {
  it('exits 3 when sealpost refuses the message, abandoning its upload and emailing nobody', async () => {
    // A reply-to address only sealpost checks (the CLI passes it on as given).
    const run = await cli(['send', '--to', 'refused@example.com', '--subject', 'Hi', '--text', 'x', '--reply-to', 'desk@localhost']);

    expect(run.code).toBe(EXIT.refused);
    expect(run.stderr).toMatch(/^sealpost: .*replyTo: is not a valid email address/);
    const complete = run.seen.find((r) => r.url.endsWith('/complete'));
    expect(complete?.status).toBe(422);
    const id = /\/v1\/uploads\/([^/]+)\/complete$/.exec(complete?.url ?? '')?.[1];
    expect(run.seen.at(-1)).toMatchObject({ method: 'DELETE', url: `${stack.appUrl}/v1/uploads/${id}`, status: 204 });
    expect((await capturedMail(stack.mailboxUrl)).some((m) => m.destination.to.some((t) => t.includes('refused@example.com')))).toBe(false);
  });

  it('exits 3 when sealpost refuses a server-sealed message', async () => {
    const run = await cli(['send', '--server-seal', '--to', 'refused@example.com', '--subject', 'Hi', '--text', 'x', '--reply-to', 'desk@localhost']);

    expect(run.code).toBe(EXIT.refused);
    expect(run.seen.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 422']);
  });

  it('exits 4 when sealpost cannot be reached, and says the command is safe to run again', async () => {
    const run = await cli(['send', '--to', 'a@example.com', '--subject', 'Hi', '--text', 'x'], { env: { SEALPOST_URL: `http://127.0.0.1:${await closedPort()}` } });

    expect(run.code).toBe(EXIT.transient);
    expect(run.stderr).toMatch(/^sealpost: sealpost could not be reached: fetch failed\nIt is safe to run the same command again\.\n$/);
  });
});

describe('sealpost send', () => {
  it('with --server-seal --json prints exactly the receipt the API answered', async () => {
    const run = await cli(['send', '--server-seal', '--to', 'dora@example.com', '--subject', 'Server sealed', '--text', 'Hello Dora', '--json']);

    expect(run.code).toBe(EXIT.ok);
    const posted = run.seen.filter((r) => r.method === 'POST');
    expect(posted.map((r) => new URL(r.url).pathname)).toEqual(['/v1/messages']);
    expect(posted[0]?.status).toBe(201);
    expect(run.stdout).toBe(`${JSON.stringify(JSON.parse(posted[0]?.answer ?? ''), null, 2)}\n`);
    const receipt = JSON.parse(run.stdout) as { id: string };
    const mime = await pickUp(receipt.id, await emailedLink(receipt.id, 'dora@example.com'));
    expect(mime.text?.trim()).toBe('Hello Dora');
  });

  it('with --deliver-links-myself prints links that open the message, while sealpost emails nobody and never sees a secret', async () => {
    const logsBefore = logs.length;
    const run = await cli(['send', '--to', 'erin@example.com', '--cc', 'finn@example.com', '--subject', 'Delivered by hand', '--text', 'Only for you', '--deliver-links-myself']);

    expect(run.code).toBe(EXIT.ok);
    const id = /^Sent (\S+) \(expires /.exec(run.stdout)?.[1] as string;
    const links = [...run.stdout.matchAll(/^ {2}(\S+@example\.com) +deliver this link yourself: (\S+)$/gm)].map((m) => ({ email: m[1], link: m[2] as string }));
    expect(links.map((l) => l.email)).toEqual(['erin@example.com', 'finn@example.com']);
    const secrets = links.map((l) => {
      expect(l.link.startsWith(`${stack.appUrl}/m/${id}#`)).toBe(true);
      return l.link.split('#')[1] as string;
    });
    for (const secret of secrets) expect((await pickUp(id, secret)).text?.trim()).toBe('Only for you');
    expect((await capturedMail(stack.mailboxUrl)).filter((m) => m.body.html?.includes(id) || m.body.text?.includes(id))).toEqual([]);

    const table = await tableContents();
    const lines = logs.slice(logsBefore);
    for (const secret of secrets) {
      const raw = Buffer.from(secret, 'base64url');
      const key = await deriveMessageKey(secret);
      for (const request of run.seen) {
        expect(request.url.includes(secret)).toBe(false);
        expect(request.body.includes(secret) || request.body.includes(key) || request.body.includes(raw), request.url).toBe(false);
      }
      expect(table.strings.some((s) => s.includes(secret) || s.includes(key))).toBe(false);
      expect(table.bytes.some((b) => b.includes(raw))).toBe(false);
      expect(lines.some((l) => l.includes(secret))).toBe(false);
    }
  });

  it('with --deliver-links-myself and a passcode prints links that need the passcode too (the secret, never the key)', async () => {
    const run = await cli(['send', '--to', 'lou@example.com', '--subject', 'Hi', '--text', 'With a passcode', '--passcode', 'harbour 7', '--deliver-links-myself', '--json']);

    expect(run.code).toBe(EXIT.ok);
    const { id, links } = JSON.parse(run.stdout) as { id: string; links: { link: string }[] };
    const secret = links[0]?.link.split('#')[1] as string;
    expect((await pickUp(id, secret, 'harbour 7')).text?.trim()).toBe('With a passcode');
    const key = await deriveMessageKey(secret, 'harbour 7');
    const withoutPasscode = await fetch(`${stack.appUrl}/m/${id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) }) });
    expect(withoutPasscode.status).toBe(403);
    for (const request of run.seen) expect(request.body.includes(secret) || request.body.includes(key) || request.body.includes('harbour 7'), request.url).toBe(false);
  });

  it('takes the passcode from SEALPOST_PASSCODE, out of the command line, and refuses it given twice', async () => {
    const run = await cli(['send', '--to', 'lou@example.com', '--subject', 'Hi', '--text', 'With a quiet passcode', '--deliver-links-myself', '--json'], { env: { SEALPOST_PASSCODE: 'harbour 8' } });
    const twice = await cli(['send', '--to', 'lou@example.com', '--subject', 'Hi', '--text', 'x', '--passcode', 'harbour 8'], { env: { SEALPOST_PASSCODE: 'harbour 8' } });

    expect(run.code).toBe(EXIT.ok);
    const { id, links } = JSON.parse(run.stdout) as { id: string; links: { link: string }[] };
    const secret = links[0]?.link.split('#')[1] as string;
    expect((await pickUp(id, secret, 'harbour 8')).text?.trim()).toBe('With a quiet passcode');
    expect(twice.code).toBe(EXIT.usage);
    expect(twice.stderr).toMatch(/--passcode or SEALPOST_PASSCODE, not both/);
    expect(twice.seen).toEqual([]);
  });

  it('with --deliver-links-myself --json prints the receipt the API answered, plus the links', async () => {
    const run = await cli(['send', '--to', 'gwen@example.com', '--subject', 'Hi', '--text', 'x', '--deliver-links-myself', '--json']);

    expect(run.code).toBe(EXIT.ok);
    const completed = run.seen.find((r) => r.url.endsWith('/complete'));
    const printed = JSON.parse(run.stdout) as { id: string; links: { email: string; link: string }[] };
    const { links, ...receipt } = printed;
    expect(receipt).toEqual(JSON.parse(completed?.answer ?? ''));
    expect(links).toEqual([{ email: 'gwen@example.com', link: expect.stringMatching(new RegExp(`^${stack.appUrl}/m/${printed.id}#[A-Za-z0-9_-]{43}$`)) }]);
  });

  it('retries a part whose upload was interrupted, and the message opens', async () => {
    const attachment = new Uint8Array(randomBytes(3_500_000));
    let failed = false;
    const fault: Fault = (r) => {
      if (r.method !== 'PUT' || partIndexOf(r.url) !== 1 || failed) return undefined;
      failed = true;
      return 'network';
    };

    const run = await cli(['send', '--to', 'hana@example.com', '--subject', 'Interrupted', '--text', 'x', '--attach', aFile('interrupted.bin', attachment), '--json'], { fault });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(puts(run.seen).map((r) => partIndexOf(r.url)).sort()).toEqual([0, 1, 1]);
    expect(puts(run.seen).map((r) => r.status)).toContain(undefined);
    const { id } = JSON.parse(run.stdout) as { id: string };
    const mime = await pickUp(id, await emailedLink(id, 'hana@example.com'));
    expect(Buffer.from(mime.attachments[0]?.content as ArrayBuffer).equals(Buffer.from(attachment))).toBe(true);
  });

  it('takes a part put twice as harmless, and the message opens', async () => {
    const attachment = new Uint8Array(randomBytes(3_500_000));
    const fault: Fault = (r) => (r.method === 'PUT' && partIndexOf(r.url) === 0 ? 'twice' : undefined);

    const run = await cli(['send', '--to', 'ivan@example.com', '--subject', 'Twice', '--text', 'x', '--attach', aFile('twice.bin', attachment), '--json'], { fault });

    expect(run.code).toBe(EXIT.ok);
    expect(puts(run.seen).map((r) => partIndexOf(r.url)).sort()).toEqual([0, 0, 1]);
    // A part is written once: the repeat is refused (412) without touching it, and the CLI takes that as done.
    expect(puts(run.seen).filter((r) => partIndexOf(r.url) === 0).map((r) => r.status)).toEqual([200, 412]);
    const { id } = JSON.parse(run.stdout) as { id: string };
    const mime = await pickUp(id, await emailedLink(id, 'ivan@example.com'));
    expect(Buffer.from(mime.attachments[0]?.content as ArrayBuffer).equals(Buffer.from(attachment))).toBe(true);
  });

  it('seals on this machine or has sealpost seal, and both messages open the same way to the same content', async () => {
    const args = ['--to', 'jo@example.com', '--subject', 'Same either way', '--text', 'Identical text', '--attach', aFile('report.pdf', '%PDF-1.7 report')];

    const sealedHere = await cli(['send', ...args, '--json']);
    const sealedThere = await cli(['send', '--server-seal', ...args, '--json']);

    expect([sealedHere.code, sealedThere.code]).toEqual([EXIT.ok, EXIT.ok]);
    expect(puts(sealedHere.seen)).toHaveLength(1);
    expect(puts(sealedThere.seen)).toHaveLength(0);
    const opened = await Promise.all([sealedHere, sealedThere].map(async (run) => {
      const { id } = JSON.parse(run.stdout) as { id: string };
      return pickUp(id, await emailedLink(id, 'jo@example.com'));
    }));
    for (const mime of opened) {
      expect(mime.subject).toBe('Same either way');
      expect(mime.from?.address).toBe('notices@demo-clinic.example');
      expect(mime.text?.trim()).toBe('Identical text');
      expect(mime.attachments.map((a) => [a.filename, a.mimeType, new TextDecoder().decode(a.content as ArrayBuffer)])).toEqual([['report.pdf', 'application/pdf', '%PDF-1.7 report']]);
    }
  });
});

describe('sealpost send: a send whose every answer is lost', () => {
  const mailTo = async (email: string) => (await capturedMail(stack.mailboxUrl)).filter((m) => m.destination.to.some((t) => t.includes(email)));

  it('sealed by sealpost: exits 4 and names the Idempotency-Key to run again with, which sends it once', async () => {
    const fault: Fault = (r) => (r.method === 'POST' && r.url.endsWith('/v1/messages') ? 'lost' : undefined);
    const args = ['send', '--server-seal', '--to', 'mo@example.com', '--subject', 'Lost answers', '--text', 'x', '--json'];

    const first = await cli(args, { fault });
    const key = first.seen[0]?.idempotencyKey as string;
    const again = await cli([...args, '--idempotency-key', key]);

    expect(first.code).toBe(EXIT.transient);
    expect(first.seen.map((r) => [r.idempotencyKey, r.status])).toEqual(Array(4).fill([key, 201]));
    expect(first.stderr).toBe(`sealpost: sealpost could not be reached: fetch failed\nIt may have been sent all the same. Run the same command again with --idempotency-key ${key}: it is then sent at most once.\n`);
    expect(again.code).toBe(EXIT.ok);
    const { id } = JSON.parse(again.stdout) as { id: string };
    expect((await mailTo('mo@example.com')).map((m) => m.body.html?.includes(id))).toEqual([true]);
  });

  it('sealed here: exits 4 and says how to look the message up, which was sent once', async () => {
    const fault: Fault = (r) => (r.method === 'POST' && r.url.endsWith('/complete') ? 'lost' : undefined);

    const run = await cli(['send', '--to', 'nia@example.com', '--subject', 'Lost answers', '--text', 'x'], { fault });

    expect(run.code).toBe(EXIT.transient);
    const id = /\/v1\/uploads\/([^/]+)\/complete$/.exec(run.seen.find((r) => r.url.endsWith('/complete'))?.url ?? '')?.[1] as string;
    expect(run.stderr).toContain(`The message may have been sent all the same, as ${id}.\nCheck with \`sealpost status ${id}\` before sending it again`);
    expect(run.stderr).not.toContain('safe to run');
    expect(run.seen.at(-1)).toMatchObject({ method: 'DELETE', status: 409 });
    expect((await mailTo('nia@example.com')).map((m) => m.body.html?.includes(id))).toEqual([true]);
    expect((await cli(['status', id])).stdout).toMatch(new RegExp(`^${id} {2}active `));
  });

  it('sealed here with links delivered by the sender: says to revoke a message nobody could open', async () => {
    const fault: Fault = (r) => (r.method === 'POST' && r.url.endsWith('/complete') ? 'lost' : undefined);

    const run = await cli(['send', '--to', 'ola@example.com', '--subject', 'Lost answers', '--text', 'x', '--deliver-links-myself'], { fault });

    expect(run.code).toBe(EXIT.transient);
    const id = /\/v1\/uploads\/([^/]+)\/complete$/.exec(run.seen.find((r) => r.url.endsWith('/complete'))?.url ?? '')?.[1] as string;
    expect(run.stderr).toContain(`if it was sent, nobody can open it (its links were never printed), so revoke it (\`sealpost revoke ${id}\`) before sending it again.`);
    expect(run.stdout).toBe('');
  });

  it('sealed here: says it is safe to run again when the completion never reached sealpost, and the upload is abandoned', async () => {
    const fault: Fault = (r) => (r.method === 'POST' && r.url.endsWith('/complete') ? 'network' : undefined);

    const run = await cli(['send', '--to', 'pia@example.com', '--subject', 'Never arrived', '--text', 'x'], { fault });

    expect(run.code).toBe(EXIT.transient);
    expect(run.stderr).toBe('sealpost: sealpost could not be reached: fetch failed\nIt is safe to run the same command again.\n');
    expect(run.seen.at(-1)).toMatchObject({ method: 'DELETE', status: 204 });
    expect(await mailTo('pia@example.com')).toEqual([]);
  });
});

describe('sealpost status, revoke and events', () => {
  it('show a message, revoke it, and list its events', async () => {
    const sent = await cli(['send', '--server-seal', '--to', 'kim@example.com', '--subject', 'Follow me', '--text', 'x', '--json']);
    const { id } = JSON.parse(sent.stdout) as { id: string };

    const status = await cli(['status', id]);
    const statusJson = await cli(['status', id, '--json']);
    const events = await cli(['events', '--type', 'created,notified']);
    const eventsJson = await cli(['events', '--type', 'created', '--json', '--limit', '100']);
    const revoked = await cli(['revoke', id]);
    const again = await cli(['revoke', id]);
    const after = await cli(['status', id]);

    expect([status, statusJson, events, eventsJson, revoked, again, after].map((r) => r.code)).toEqual(Array(7).fill(EXIT.ok));
    expect(status.stdout).toMatch(new RegExp(`^${id} {2}active {2}created \\S+ {2}expires \\S+ {2}\\(standard mode\\)\\n {2}to {2}kim@example\\.com {2}notified {2}opens 0\\n`));
    expect(status.stdout).toMatch(/ {2}\S+ {2}created\n/);
    expect(JSON.parse(statusJson.stdout)).toEqual(JSON.parse(statusJson.seen[0]?.answer ?? ''));
    expect(events.stdout).toMatch(new RegExp(`created +${id} +key:`));
    expect(events.stdout).toMatch(new RegExp(`notified +${id} +kim@example\\.com +system`));
    const page = JSON.parse(eventsJson.stdout) as { events: { type: string; messageId?: string }[] };
    expect(page).toEqual(JSON.parse(eventsJson.seen[0]?.answer ?? ''));
    expect(page.events.every((e) => e.type === 'created')).toBe(true);
    expect(page.events.some((e) => e.messageId === id)).toBe(true);
    expect(revoked.stdout).toBe(`Revoked ${id}\n`);
    expect(after.stdout).toMatch(new RegExp(`^${id} {2}revoked `));
  });

  it('exits 3 for a message sealpost does not know', async () => {
    const run = await cli(['status', 'nosuchmessage000000000']);

    expect(run.code).toBe(EXIT.refused);
    expect(run.stderr).toMatch(/^sealpost: /);
    expect(run.seen.map((r) => r.status)).toEqual([404]);
  });

  it('takes an id that begins with "-" (one in 64 do) for an id, not for options', async () => {
    const status = await cli(['status', '-nosuchmessage00000000']);
    const revoke = await cli(['revoke', '--json', '-nosuchmessage00000000']);

    expect([status.code, revoke.code]).toEqual([EXIT.refused, EXIT.refused]);
    expect(status.seen.map((r) => [r.url.replace(/^.*\/v1/, '/v1'), r.status])).toEqual([['/v1/messages/-nosuchmessage00000000', 404]]);
    expect(revoke.seen.map((r) => [r.method, r.status])).toEqual([['DELETE', 404]]);
  });
});
