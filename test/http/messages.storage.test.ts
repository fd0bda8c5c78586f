/**
 * Where a message sealed by the server is kept: up to TABLE_CIPHERTEXT_MAX_BYTES in the table's
 * chunks, larger in the blob store (as a sealed upload is), head last as the commit point — chosen
 * by cost (docs/storage-costs.md). A failure halfway leaves nothing behind and sends nothing.
 */
import { describe, expect, it } from 'vitest';
import { TABLE_CIPHERTEXT_MAX_BYTES, UPLOAD_PART_BYTES } from '../../functions/core/messages/index.ts';
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { aSendRequest, buildTestApp, parseLink, sendJson } from '../helpers/builders.ts';

const attachment = (bytes: number) => ({ filename: 'scan.bin', contentType: 'application/octet-stream', content: Buffer.alloc(bytes, 7).toString('base64') });
const concat = (chunks: Uint8Array[]) => Buffer.concat(chunks);

async function partsOf(blobs: Awaited<ReturnType<typeof buildTestApp>>['blobs'], id: string, count: number): Promise<Uint8Array> {
  const all: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const read = await blobs.read(id, i);
    if (!read) throw new Error(`part ${i} missing`);
    for await (const chunk of read) all.push(chunk);
  }
  return concat(all);
}

describe('where a sealed message is kept', () => {
  it('keeps a small message in the table: no object, the open answers the ciphertext', async () => {
    const { app, deps, keys, blobs } = await buildTestApp();
    const res = await sendJson(app, keys.acme, aSendRequest({ text: 'short', attachments: [attachment(1024)] }));
    expect(res.status).toBe(201);
    const { id } = await res.json() as { id: string };
    const head = deps.store.heads.get(id);
    expect(head?.blob).toBeUndefined();
    expect(deps.store.chunks.get(id)?.length).toBeLessThanOrEqual(TABLE_CIPHERTEXT_MAX_BYTES);
    expect([...blobs.objects.keys()].filter((k) => k.startsWith(`${id}/`))).toEqual([]);
  });

  it('keeps a larger message in the blob store, committed, and its link opens it from there', async () => {
    const { app, deps, keys, blobs } = await buildTestApp();
    const res = await sendJson(app, keys.acme, aSendRequest({ text: 'see attached', attachments: [attachment(48 * 1024)] }));
    expect(res.status).toBe(201);
    const { id } = await res.json() as { id: string };
    const head = deps.store.heads.get(id);
    expect(head?.blob?.parts).toHaveLength(1);
    expect(head?.blob?.parts[0]).toBeGreaterThan(TABLE_CIPHERTEXT_MAX_BYTES);
    expect(head?.ciphertextBytes).toBe(head?.blob?.parts[0]);
    expect(deps.store.chunks.has(id)).toBe(false);
    expect(blobs.objects.get(`${id}/0`)?.state).toBe('committed');

    // The recipient's open answers a download URL, and the object opens with the link's secret.
    const { secret } = parseLink(deps.notifier.sent[0]?.text ?? '');
    const opened = await app.request(`/m/${id}/open`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) }),
    });
    expect(opened.status).toBe(200);
    const answer = await opened.json() as { parts: { url: string; bytes: number }[] };
    expect(answer.parts).toEqual([{ url: expect.stringMatching(new RegExp(`^/blobs/${id}/0\\?`)), bytes: head?.blob?.parts[0] }]);
    const sealed = await partsOf(blobs, id, 1);
    const mime = new TextDecoder().decode(await deps.sealer.open(sealed, secret));
    expect(mime).toContain('see attached');
    expect(mime).toContain('scan.bin');
  });

  it('splits a message over 4 MiB into 4 MiB parts, in order', async () => {
    const { app, deps, keys, blobs } = await buildTestApp();
    const res = await sendJson(app, keys.acme, aSendRequest({ text: 'big', attachments: [attachment(3_300_000)] }));
    expect(res.status).toBe(201);
    const { id } = await res.json() as { id: string };
    const parts = deps.store.heads.get(id)?.blob?.parts ?? [];
    expect(parts.length).toBe(2);
    expect(parts[0]).toBe(UPLOAD_PART_BYTES);
    const { secret } = parseLink(deps.notifier.sent[0]?.text ?? '');
    expect(new TextDecoder().decode(await deps.sealer.open(await partsOf(blobs, id, 2), secret))).toContain('big');
  });

  it('leaves no part behind and sends nothing when the head cannot be written', async () => {
    const { app, deps, keys, blobs } = await buildTestApp();
    deps.store.failCreate = true;
    const res = await sendJson(app, keys.acme, aSendRequest({ attachments: [attachment(48 * 1024)] }));
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(blobs.objects.size).toBe(0);
    expect(deps.store.heads.size).toBe(0);
    expect(deps.notifier.sent).toEqual([]);
  });

  it.each([1024, 48 * 1024])('notifies when the commit landed but the store could not tell (%i bytes attached)', async (bytes) => {
    const { app, deps, keys, blobs } = await buildTestApp();
    const create = deps.store.create.bind(deps.store);
    deps.store.create = async (...args) => { await create(...args); throw new Error('the answer was lost'); };
    const res = await sendJson(app, keys.acme, aSendRequest({ text: 'landed', attachments: [attachment(bytes)] }));
    expect(res.status).toBe(201);
    const { id } = await res.json() as { id: string };
    expect(deps.notifier.sent.map((n) => parseLink(n.text).id)).toEqual([id]);
    expect(deps.store.heads.get(id)?.recipients.map((r) => r.status)).toEqual(['notified']);
    if (bytes > TABLE_CIPHERTEXT_MAX_BYTES) expect(blobs.objects.get(`${id}/0`)?.state).toBe('committed');
  });

  it('stores and sends nothing when the blob store fails', async () => {
    const { app, deps, keys, blobs } = await buildTestApp();
    blobs.write = async () => { throw Object.assign(new Error('s3 down'), { name: 'ServiceUnavailable' }); };
    const res = await sendJson(app, keys.acme, aSendRequest({ attachments: [attachment(48 * 1024)] }));
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(deps.store.heads.size).toBe(0);
    expect(deps.notifier.sent).toEqual([]);
  });
});
