/**
 * The sealed-upload routes (/v1/uploads) and the portal's open of a message in the blob store,
 * through the whole app on fakes (real sealer): who may call them, how they refuse, what they
 * answer and with which headers.
 */
import { describe, expect, it } from 'vitest';
import { deriveAccessToken, deriveLinkToken, deriveMessageKey } from '../../functions/core/protocol/index.ts';
import { MAX_PROBLEM_BYTES } from '../../functions/http/problem.ts';
import { openedUploadSchema, partDownloadsSchema, partUploadsSchema, problemSchema, sendReceiptSchema } from '../../functions/http/response-schemas.ts';
import type { PlannedRecipient } from '../../functions/core/messages/index.ts';
import { buildTestApp, parseLink } from '../helpers/builders.ts';
import { declarationOf, partsOf, plan, sealFor, withSecrets } from '../helpers/sealed-uploads.ts';

type World = Awaited<ReturnType<typeof buildTestApp>>;
type Problem = { type: string; status: number; detail: string; requestId: string; errors?: { field: string; message: string }[]; moreErrors?: number };

function call(world: World, method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  return world.app.request(path, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(key ? { Authorization: `Bearer ${key}` } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

async function problemOf(res: Response, status: number): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const text = await res.text();
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_PROBLEM_BYTES);
  const problem = problemSchema.parse(JSON.parse(text)) as Problem;
  expect(problem.status).toBe(status);
  expect(problem.requestId).toBe(res.headers.get('X-Request-Id'));
  return problem;
}

/** A sender's whole upload over HTTP (the parts put into the fake blob store as a PUT to their URL would). */
async function anUploadedMessage(world: World, key = world.keys.acme, recipients?: PlannedRecipient[]) {
  const planned = recipients ?? await plan(['alice@example.com'], ['bob@example.com']);
  const opened = openedUploadSchema.parse(await (await call(world, 'POST', '/v1/uploads', key, { recipients: 2 })).json());
  const ciphertext = await sealFor(planned.map((r) => r.key), 6000);
  const { declaration, parts } = await declarationOf(ciphertext);
  const urls = await call(world, 'POST', `/v1/uploads/${opened.id}/parts`, key, { ...declaration, parts });
  expect(urls.status).toBe(200);
  partsOf(ciphertext).forEach((bytes, index) => world.blobs.put(opened.id, index, bytes));
  return { id: opened.id, planned, ciphertext, declaration, parts, complete: (headers: Record<string, string> = {}) => call(world, 'POST', `/v1/uploads/${opened.id}/complete`, key, { recipients: withSecrets(planned) }, headers) };
}

describe('/v1/uploads', () => {
  describe('authentication', () => {
    it.each([
      ['POST', '/v1/uploads', { recipients: 1 }],
      ['POST', '/v1/uploads/abc/parts', { bytes: 1, sha256: `${'a'.repeat(43)}=`, parts: [{ index: 0, sha256: `${'a'.repeat(43)}=` }] }],
      ['POST', '/v1/uploads/abc/complete', { recipients: [] }],
      ['DELETE', '/v1/uploads/abc', undefined],
    ])('answers %s %s without a key, or with an unknown one, with 401', async (method, path, body) => {
      const world = await buildTestApp();

      const none = await call(world, method, path, undefined, body);
      const unknown = await call(world, method, path, 'sp_test_nobody_kkkkkkkkkkkkkkkkkkkkkkkk', body);

      for (const res of [none, unknown]) {
        await problemOf(res, 401);
        expect(res.headers.get('WWW-Authenticate')).toBe('Bearer realm="sealpost"');
      }
      expect(world.uploads.uploads.size).toBe(0);
    });

    it('lets a send key and an admin key of the tenant open uploads', async () => {
      const world = await buildTestApp();

      const withSend = await call(world, 'POST', '/v1/uploads', world.keys.acme, { recipients: 1 });
      const withAdmin = await call(world, 'POST', '/v1/uploads', world.adminKeys.acme, { recipients: 1 });

      expect([withSend.status, withAdmin.status]).toEqual([201, 201]);
      expect([...world.uploads.uploads.values()].map((u) => u.tenantId)).toEqual(['acme', 'acme']);
    });
  });

  describe('answers', () => {
    it('opens an upload with its id, layout and sealing headers, never to be cached', async () => {
      const world = await buildTestApp();

      const res = await call(world, 'POST', '/v1/uploads', world.keys.acme, { recipients: 3 });

      expect(res.status).toBe(201);
      const opened = openedUploadSchema.parse(await res.json());
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      expect(res.headers.get('Location')).toBe(`/v1/uploads/${opened.id}`);
      expect(opened).toMatchObject({ partBytes: 4 * 1024 * 1024, maxBytes: 40 * 1024 * 1024, link: `https://portal.test/m/${opened.id}`, mime: { from: { email: 'notices@acme.example', name: 'Acme Health' }, messageId: `<${opened.id}@sealpost>` } });
      expect(opened).not.toHaveProperty('custodyPassword');
      expect(world.uploads.uploads.get(opened.id)).toMatchObject({ tenantId: 'acme', recipients: 3, state: 'open' });
    });

    it('gives part URLs, never to be cached', async () => {
      const world = await buildTestApp();
      const opened = await (await call(world, 'POST', '/v1/uploads', world.keys.acme, { recipients: 1 })).json() as { id: string };
      const { declaration, parts } = await declarationOf(await sealFor([await (await plan(['a@example.com']))[0]!.key]));

      const res = await call(world, 'POST', `/v1/uploads/${opened.id}/parts`, world.keys.acme, { ...declaration, parts });

      expect(res.status).toBe(200);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      const body = partUploadsSchema.parse(await res.json());
      expect(body.parts).toEqual([{ index: 0, bytes: declaration.bytes, url: `memory://blobs/${opened.id}/0`, headers: { 'x-amz-checksum-sha256': parts[0]!.sha256 }, expiresAt: expect.any(String) }]);
    });

    it('completes an upload into a message, once per Idempotency-Key', async () => {
      const world = await buildTestApp();
      const upload = await anUploadedMessage(world);

      const first = await upload.complete({ 'Idempotency-Key': 'complete-1' });
      const again = await upload.complete({ 'Idempotency-Key': 'complete-1' });

      expect(first.status).toBe(201);
      expect(first.headers.get('Location')).toBe(`/v1/messages/${upload.id}`);
      const receipt = sendReceiptSchema.parse(await first.json());
      expect(receipt.recipients.map((r) => r.status)).toEqual(['notified', 'notified']);
      expect(again.status).toBe(201);
      expect(await again.json()).toEqual(receipt);
      expect(world.deps.notifier.sent).toHaveLength(2);
      expect((await call(world, 'GET', `/v1/messages/${upload.id}`, world.keys.acme)).status).toBe(200);
    });

    it('refuses an Idempotency-Key reused to complete another upload with the very same body (422)', async () => {
      const world = await buildTestApp();
      const first = await anUploadedMessage(world);
      const second = await anUploadedMessage(world, world.keys.acme, first.planned);
      expect((await first.complete({ 'Idempotency-Key': 'complete-1' })).status).toBe(201);

      const problem = await problemOf(await second.complete({ 'Idempotency-Key': 'complete-1' }), 422);

      expect(problem.type).toBe('urn:sealpost:problem:idempotency-mismatch');
      expect(world.deps.store.heads.has(second.id)).toBe(false);
      expect(world.deps.notifier.sent).toHaveLength(2);
    });

    it('abandons an upload with 204 and deletes its parts', async () => {
      const world = await buildTestApp();
      const upload = await anUploadedMessage(world);

      const res = await call(world, 'DELETE', `/v1/uploads/${upload.id}`, world.keys.acme);

      expect(res.status).toBe(204);
      expect(world.blobs.objects.size).toBe(0);
      await problemOf(await upload.complete(), 404);
    });
  });

  describe('refusals', () => {
    it.each([
      ['no recipients', { recipients: 0 }, 'recipients'],
      ['more than 100 recipients', { recipients: 101 }, 'recipients'],
      ['a recipient count that is not a number', { recipients: 'two' }, 'recipients'],
      ['an unknown field', { recipients: 1, secret: 'x' }, undefined],
    ])('refuses to open an upload with %s (422)', async (_name, body, field) => {
      const world = await buildTestApp();

      const problem = await problemOf(await call(world, 'POST', '/v1/uploads', world.keys.acme, body), 422);

      if (field) expect(problem.errors?.map((e) => e.field)).toContain(field);
      expect(world.uploads.uploads.size).toBe(0);
    });

    it('answers malformed JSON with 400 and a body of another type with 415', async () => {
      const world = await buildTestApp();

      await problemOf(await call(world, 'POST', '/v1/uploads', world.keys.acme, '{"recipients":'), 400);
      await problemOf(await world.app.request('/v1/uploads', { method: 'POST', headers: { Authorization: `Bearer ${world.keys.acme}`, 'Content-Type': 'text/plain' }, body: '{"recipients":1}' }), 415);
      expect(world.uploads.uploads.size).toBe(0);
    });

    it('keeps the problem of a request that breaks every rule bounded', async () => {
      const world = await buildTestApp();
      const upload = await anUploadedMessage(world);
      const badParts = Array.from({ length: 100 }, (_, index) => ({ index, sha256: 'not a digest '.repeat(40) }));
      const badRecipients = Array.from({ length: 100 }, (_, i) => ({ email: `${'x'.repeat(300)}${i}`, secret: 'short', name: 'A\nB'.repeat(100) }));

      const parts = await problemOf(await call(world, 'POST', `/v1/uploads/${upload.id}/parts`, world.keys.acme, { ...upload.declaration, parts: badParts }), 422);
      const complete = await problemOf(await call(world, 'POST', `/v1/uploads/${upload.id}/complete`, world.keys.acme, { recipients: badRecipients }), 422);

      for (const problem of [parts, complete]) {
        expect(problem.errors).toHaveLength(20);
        expect(problem.moreErrors).toBeGreaterThan(0);
        for (const issue of problem.errors ?? []) expect(issue.field.length + issue.message.length).toBeLessThan(500);
      }
      expect(world.deps.notifier.sent).toEqual([]);
    });

    it('answers a forged upload with a 422 that says why, and sends nothing', async () => {
      const world = await buildTestApp();
      const upload = await anUploadedMessage(world);
      world.blobs.put(upload.id, 0, upload.ciphertext.map((b) => b ^ 1));

      const problem = await problemOf(await upload.complete(), 422);

      expect(problem.detail).toMatch(/^The upload is not a message sealed the way sealpost seals: a packet of type 2 has no place in a sealed message\./);
      expect(problem.errors?.length).toBeGreaterThan(0);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('open');
      expect(world.deps.notifier.sent).toEqual([]);
    });

    it('answers an upload whose session keys use another S2K than sealpost\'s with a bounded 422 that names it', async () => {
      const world = await buildTestApp();
      const upload = await anUploadedMessage(world);
      const forged = Uint8Array.from(upload.ciphertext);
      forged[2 + 15] = 255; // the first SKESK's S2K count byte: the largest count there is
      world.blobs.put(upload.id, 0, forged);

      const problem = await problemOf(await upload.complete(), 422);

      expect(problem.detail).toBe('The upload is not a message sealed the way sealpost seals: a session key packet\'s string-to-key (type 3, 11 octets) is not the one sealpost writes: iterated and salted (type 3), SHA-256, count byte 0. Nothing was stored or sent; the upload stays open until it expires.');
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('open');
      expect(world.deps.notifier.sent).toEqual([]);
    });

    it('answers a completion of an upload another request holds with 409 and Retry-After, and completes it once that claim is over 60 s old', async () => {
      const world = await buildTestApp();
      const upload = await anUploadedMessage(world);
      await world.uploads.claim('acme', upload.id, world.clock());
      const claimedAt = world.clock().getTime();

      const held = await upload.complete();
      await problemOf(held, 409);
      world.clock.set(new Date(claimedAt + 61_000).toISOString());
      const taken = await upload.complete();

      expect(held.headers.get('Retry-After')).toBe('2');
      expect(taken.status).toBe(201);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('committed');
    });

    it('answers another tenant\'s upload exactly as one that does not exist (404)', async () => {
      const world = await buildTestApp();
      const upload = await anUploadedMessage(world);
      const unknown = 'z'.repeat(upload.id.length);
      const attempts = (id: string) => [
        call(world, 'POST', `/v1/uploads/${id}/parts`, world.keys.other, { ...upload.declaration, parts: upload.parts }),
        call(world, 'POST', `/v1/uploads/${id}/complete`, world.keys.other, { recipients: withSecrets(upload.planned) }),
        call(world, 'DELETE', `/v1/uploads/${id}`, world.keys.other),
      ];
      const comparable = async (res: Response, id: string) => {
        const { requestId: _r, ...problem } = await problemOf(res, 404);
        return JSON.stringify(problem).replaceAll(id, '<id>');
      };

      const theirs = await Promise.all(attempts(upload.id));
      const nobodys = await Promise.all(attempts(unknown));

      for (const [i, res] of theirs.entries()) expect(await comparable(res, upload.id)).toBe(await comparable(nobodys[i]!, unknown));
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('open');
      expect(world.blobs.objects.size).toBe(1);
    });

    it.each([
      ['GET', '/v1/uploads', 'POST'],
      ['PUT', '/v1/uploads/abc', 'DELETE'],
      ['GET', '/v1/uploads/abc/parts', 'POST'],
      ['GET', '/v1/uploads/abc/complete', 'POST'],
    ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
      const world = await buildTestApp();

      const res = await call(world, method, path, world.keys.acme);

      await problemOf(res, 405);
      expect(res.headers.get('Allow')).toBe(allow);
    });
  });
});

describe('POST /m/:id/open of a message in the blob store', () => {
  async function openAs(world: World, id: string, secret: string, part?: number) {
    return world.app.request(`/m/${id}/open`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ link: await deriveLinkToken(secret), token: await deriveAccessToken(await deriveMessageKey(secret)), ...(part !== undefined ? { part } : {}) }),
    });
  }

  it('answers JSON with a download URL and the size of every part, never to be cached, and counts the view', async () => {
    const world = await buildTestApp();
    const upload = await anUploadedMessage(world);
    expect((await upload.complete()).status).toBe(201);
    const { secret } = parseLink(world.deps.notifier.sent[0]?.html ?? '');

    const res = await openAs(world, upload.id, secret);

    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('Sealpost-Parts')).toBe('1');
    expect(partDownloadsSchema.parse(await res.json())).toEqual({ parts: [{ url: `/blobs/${upload.id}/0?X-Amz-Expires=900&X-Amz-Signature=test`, bytes: upload.ciphertext.length }] });
    expect(world.deps.store.heads.get(upload.id)?.recipients[0]?.opens).toBe(1);
  });

  it('signs its URLs for 15 minutes at most, and never past the message\'s expiry', async () => {
    const world = await buildTestApp();
    const upload = await anUploadedMessage(world);
    expect((await upload.complete()).status).toBe(201);
    const { secret } = parseLink(world.deps.notifier.sent[0]?.html ?? '');
    const expiresAt = Date.parse(world.deps.store.heads.get(upload.id)?.expiresAt ?? '');
    world.clock.set(new Date(expiresAt - 100_000).toISOString());

    const res = await openAs(world, upload.id, secret);

    expect(res.status).toBe(200);
    expect(partDownloadsSchema.parse(await res.json()).parts.map((p) => new URL(p.url, 'http://x').searchParams.get('X-Amz-Expires'))).toEqual(['100']);
  });

  it('answers part 1 and beyond with 404: every part\'s URL came with part 0', async () => {
    const world = await buildTestApp();
    const upload = await anUploadedMessage(world);
    await upload.complete();
    const { secret } = parseLink(world.deps.notifier.sent[0]?.html ?? '');

    await problemOf(await openAs(world, upload.id, secret, 1), 404);
    expect(world.deps.store.heads.get(upload.id)?.recipients[0]?.opens).toBe(0);
  });
});
