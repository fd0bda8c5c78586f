/**
 * Sealed uploads end to end on the real local stack (DynamoDB, S3 and KMS stand-ins, the mailbox):
 * the CLI seals on "this machine" and uploads; sealpost checks and sends; the recipient's link opens
 * the ciphertext, which only the recipient's secret decrypts. What sealpost saw of it is recorded
 * request by request (the CLI's every request body, the table, the bucket) and holds no plaintext.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenPgpSealer } from '../helpers/openpgp-sealer.ts';
import { deriveAccessToken, deriveLinkToken, deriveMessageKey } from '../../functions/core/protocol/index.ts';
import { runCli } from '../../functions/entries/cli.ts';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseLink } from '../helpers/builders.ts';
import { declarationOf, plan, withSecrets } from '../helpers/sealed-uploads.ts';
import { startTestStack } from '../helpers/local-stack.ts';

let stack: LocalStack;
const dir = mkdtempSync(join(tmpdir(), 'sealpost-sealed-'));
beforeAll(async () => { stack = await startTestStack({ maintenanceIntervalMs: 0 }); }, 60_000);
afterAll(async () => { await stack?.close(); });

interface Seen { method: string; url: string; body: Buffer }

/** Runs the CLI in-process against the stack, recording every request it makes (and so everything sealpost and its bucket receive from it). */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  let stdout = '';
  let stderr = '';
  const recording: typeof fetch = async (input, init) => {
    const body = init?.body === undefined ? Buffer.alloc(0) : typeof init.body === 'string' ? Buffer.from(init.body) : Buffer.from(init.body as Uint8Array);
    seen.push({ method: init?.method ?? 'GET', url: String(input), body });
    return fetch(input, init);
  };
  const code = await runCli(args, {
    env: { SEALPOST_URL: stack.appUrl, SEALPOST_API_KEY: stack.apiKey, ...env },
    stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, isTty: false, fetch: recording,
  });
  return { code, stdout, stderr, seen };
}

async function openAs(id: string, secret: string, passcode?: string): Promise<Uint8Array> {
  const key = await deriveMessageKey(secret, passcode);
  const opened = await fetch(`${stack.appUrl}/m/${id}/open`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ link: await deriveLinkToken(secret), token: await deriveAccessToken(key) }),
  });
  expect(opened.status).toBe(200);
  expect(opened.headers.get('content-type')).toContain('application/json');
  const { parts } = await opened.json() as { parts: { url: string; bytes: number }[] };
  const bytes: Buffer[] = [];
  for (const part of parts) {
    expect(part.url).toMatch(/^\/blobs\//);
    const got = await fetch(`${stack.appUrl}${part.url}`);
    expect(got.status).toBe(200);
    const body = Buffer.from(await got.arrayBuffer());
    expect(body.length).toBe(part.bytes);
    bytes.push(body);
  }
  return new OpenPgpSealer().open(Buffer.concat(bytes), key);
}

describe('a message sealed by the CLI', () => {
  it('is sent with a 9 MiB attachment, opens with the emailed link, and sealpost saw no plaintext', async () => {
    const attachment = randomBytes(9 * 1024 * 1024);
    const path = join(dir, 'scan.pdf');
    writeFileSync(path, attachment);

    const run = await cli(['send', '--to', 'alice@example.com', '--cc', 'bob@example.com', '--subject', 'Your scan', '--text', 'See attached MARKER-TEXT', '--attach', path, '--json']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const receipt = JSON.parse(run.stdout) as { id: string; recipients: { email: string; status: string }[] };
    expect(receipt.recipients).toEqual([{ email: 'alice@example.com', status: 'notified' }, { email: 'bob@example.com', status: 'notified' }]);
    const mail = (await capturedMail(stack.mailboxUrl)).find((m) => m.destination.to.some((t) => t.includes('alice@example.com')) && m.body.html?.includes(receipt.id));
    const link = parseLink(mail?.body.html ?? '');
    const mime = await PostalMime.parse(await openAs(receipt.id, link.secret));
    expect(mime.subject).toBe('Your scan');
    expect(mime.from?.address).toBe('notices@demo-clinic.example');
    expect(mime.text?.trim()).toBe('See attached MARKER-TEXT');
    const got = Buffer.from(mime.attachments[0]?.content as ArrayBuffer);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(attachment).digest('hex'));

    // Every byte the CLI sent anywhere: no plaintext (the text, a window of the attachment, or its base64).
    const window = attachment.subarray(5_000_000, 5_000_048);
    const base64Line = attachment.subarray(3 * 1_000_002, 3 * 1_000_002 + 57).toString('base64');
    for (const request of run.seen) {
      expect(request.body.includes('MARKER-TEXT'), request.url).toBe(false);
      expect(request.body.includes(window), request.url).toBe(false);
      expect(request.body.includes(base64Line), request.url).toBe(false);
    }
    // 9 MiB is about 12.2 MiB of MIME once base64-encoded: four parts of at most 4 MiB, each put straight into the bucket.
    expect(run.seen.filter((r) => r.method === 'PUT').map((r) => new URL(r.url).origin)).toEqual(Array(4).fill(stack.s3Endpoint));
  }, 120_000);
});

describe('a sealed upload\'s parts on the portal origin', () => {
  const api = (path: string, body: unknown) => fetch(`${stack.appUrl}${path}`, {
    method: 'POST', headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });

  it('are never a page: a part PUT as text/html is refused, and a part stored as text/html is served as opaque bytes in a sandbox', async () => {
    const { id } = await (await api('/v1/uploads', { recipients: 1 })).json() as { id: string };
    const [alice] = await plan(['carol@example.com']);
    const ciphertext = await new OpenPgpSealer().seal(new Uint8Array(randomBytes(3000)), [alice!.key]);
    const declared = await declarationOf(ciphertext);
    const { parts: [url] } = await (await api(`/v1/uploads/${id}/parts`, { ...declared.declaration, parts: declared.parts })).json() as { parts: { url: string; headers: Record<string, string> }[] };
    const { 'content-length': _length, ...headers } = url!.headers;

    // The Content-Type is signed: S3 would keep and serve back whatever the PUT said.
    const asPage = await fetch(url!.url, { method: 'PUT', headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' }, body: ciphertext as Uint8Array<ArrayBuffer> });
    expect(asPage.status).toBe(403);
    expect((await fetch(url!.url, { method: 'PUT', headers, body: ciphertext as Uint8Array<ArrayBuffer> })).status).toBe(200);
    expect((await api(`/v1/uploads/${id}/complete`, { recipients: withSecrets([alice!]) })).status).toBe(201);
    // A part that is stored as a page anyway (written with the bucket's own credentials, as an object
    // from before the Content-Type was signed would be): what the portal serves is still bytes.
    const s3 = new S3Client({ region: 'us-east-1', endpoint: stack.s3Endpoint, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      await s3.send(new PutObjectCommand({ Bucket: stack.blobBucket, Key: `blobs/${id}/0`, Body: '<!doctype html><script>alert(document.cookie)</script>', ContentType: 'text/html' }));
    } finally {
      s3.destroy();
    }

    const opened = await fetch(`${stack.appUrl}/m/${id}/open`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ link: await deriveLinkToken(alice!.secret), token: await deriveAccessToken(alice!.key) }),
    });
    const { parts } = await opened.json() as { parts: { url: string }[] };
    const part = await fetch(`${stack.appUrl}${parts[0]!.url}`);

    expect(part.status).toBe(200);
    expect(part.headers.get('content-type')).toBe('application/octet-stream');
    expect(part.headers.get('content-disposition')).toBe('attachment');
    expect(part.headers.get('x-content-type-options')).toBe('nosniff');
    expect(part.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(part.headers.get('cache-control')).toBe('no-store');
    expect(await part.text()).toContain('<script>');
  }, 60_000);

  it('cannot be replaced once sent: a part URL still valid after the completion is refused (412), and recipients get what was checked', async () => {
    const { id } = await (await api('/v1/uploads', { recipients: 1 })).json() as { id: string };
    const [dan] = await plan(['dan@example.com']);
    const plaintext = new Uint8Array(randomBytes(3000));
    const ciphertext = await new OpenPgpSealer().seal(plaintext, [dan!.key]);
    const declared = await declarationOf(ciphertext);
    const other = new Uint8Array(randomBytes(ciphertext.length));
    const urlFor = async (sha256: string) => ((await (await api(`/v1/uploads/${id}/parts`, { ...declared.declaration, parts: [{ index: 0, sha256 }] })).json()) as { parts: { url: string; headers: Record<string, string> }[] }).parts[0]!;
    const good = await urlFor(declared.parts[0]!.sha256);
    const spare = await urlFor(createHash('sha256').update(other).digest('base64'));
    const put = (u: { url: string; headers: Record<string, string> }, body: Uint8Array) => {
      const { 'content-length': _length, ...headers } = u.headers;
      return fetch(u.url, { method: 'PUT', headers, body: body as Uint8Array<ArrayBuffer> });
    };
    expect((await put(good, ciphertext)).status).toBe(200);
    expect((await api(`/v1/uploads/${id}/complete`, { recipients: withSecrets([dan!]) })).status).toBe(201);

    const overwrite = await put(spare, other);

    expect(overwrite.status).toBe(412);
    expect(Buffer.from(await openAs(id, dan!.secret)).equals(Buffer.from(plaintext))).toBe(true);
  }, 60_000);

  it('are served only through a presigned URL: the bare /blobs path is 403 at the portal, and the bucket refuses an unsigned PUT', async () => {
    const run = await cli(['send', '--to', 'erin@example.com', '--subject', 'Signed only', '--text', 'x', '--json']);
    const { id } = JSON.parse(run.stdout) as { id: string };
    const put = run.seen.find((r) => r.method === 'PUT')!;

    const bare = await fetch(`${stack.appUrl}/blobs/${id}/0`);
    const forged = await fetch(`${stack.appUrl}/blobs/${id}/0?X-Amz-Signature=00`);
    const unsigned = await fetch(put.url.split('?')[0]!, { method: 'PUT', body: 'overwritten' });

    expect(bare.status).toBe(403);
    expect(bare.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    // The proxy answers it itself, empty: the bucket's own 403 (an XML error) never comes into it.
    expect(await bare.arrayBuffer()).toHaveProperty('byteLength', 0);
    expect(forged.status).toBe(403);
    expect(unsigned.status).toBe(403);
    const mail = (await capturedMail(stack.mailboxUrl)).find((m) => m.destination.to.some((t) => t.includes('erin@example.com')) && m.body.html?.includes(id));
    const mime = await PostalMime.parse(await openAs(id, parseLink(mail?.body.html ?? '').secret));
    expect(mime.subject).toBe('Signed only');
  }, 60_000);
});
