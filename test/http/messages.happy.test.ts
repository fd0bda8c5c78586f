import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { aSendRequest, base64, buildTestApp, parseLink, sendJson } from '../helpers/builders.ts';
import { SMUGGLED_MARKER, smuggledBytes } from '../helpers/smuggled-message.ts';

describe('POST /v1/messages', () => {
  it('seals, stores and notifies each recipient when the request is valid', async () => {
    const { app, deps, keys } = await buildTestApp();

    const res = await sendJson(app, keys.acme, aSendRequest({ to: ['alice@example.com', { email: 'bob@example.com', name: 'Bob' }], cc: ['carol@example.com'] }));

    expect(res.status).toBe(201);
    const body = await res.json() as { id: string; expiresAt: string; recipients: { email: string; status: string }[] };
    expect(body.recipients).toEqual([
      { email: 'alice@example.com', status: 'notified' },
      { email: 'bob@example.com', status: 'notified' },
      { email: 'carol@example.com', status: 'notified' },
    ]);
    expect(body.expiresAt).toBe('2026-12-13T12:00:00.000Z');
    expect(res.headers.get('Location')).toBe(`/v1/messages/${body.id}`);
    expect(deps.notifier.sent.map((n) => n.to.email)).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
    const head = deps.store.heads.get(body.id);
    expect(head?.recipients.map((r) => r.status)).toEqual(['notified', 'notified', 'notified']);
  });

  it('gives every recipient a distinct secret that opens the same sealed MIME message', async () => {
    const { app, deps, keys } = await buildTestApp();

    const res = await sendJson(app, keys.acme, aSendRequest({
      to: ['alice@example.com', 'bob@example.com'], subject: 'Résultats', text: 'plain body', html: '<p>html body</p>',
      attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', content: base64('%PDF-1.7 fake') }],
    }));
    const { id } = await res.json() as { id: string };

    const links = deps.notifier.sent.map((n) => parseLink(n.text));
    expect(new Set(links.map((l) => l.secret)).size).toBe(2);
    const ciphertext = deps.store.chunks.get(id) as Uint8Array;
    for (const { secret } of links) {
      const mime = new TextDecoder().decode(await deps.sealer.open(ciphertext, secret));
      expect(mime).toMatch(/^Subject: =\?UTF-8\?B\?UsOpc3VsdGF0cw==\?=/m); // "Résultats", RFC 2047
      expect(mime).toContain('plain body');
      expect(mime).toContain('report.pdf');
      expect(mime).toMatch(/^From: Acme Health <notices@acme\.example>/m);
    }
    const stored = deps.store.heads.get(id);
    const expected = await Promise.all(links.map(async (l) => {
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(await deriveAccessToken(l.secret)));
      return Buffer.from(digest).toString('base64url');
    }));
    expect(stored?.recipients.map((r) => r.tokenHash)).toEqual(expected);
  });

  it('accepts an attached message and seals it as an opaque file that never joins the body', async () => {
    const { app, deps, keys } = await buildTestApp();

    const res = await sendJson(app, keys.acme, aSendRequest({
      text: 'Your complaint, as we received it, is attached.',
      attachments: [{ filename: 'complaint.eml', contentType: 'message/rfc822', content: Buffer.from(smuggledBytes()).toString('base64') }],
    }));

    expect(res.status).toBe(201);
    const { id } = await res.json() as { id: string };
    const { secret } = parseLink(deps.notifier.sent[0]?.text ?? '');
    const parsed = await PostalMime.parse(await deps.sealer.open(deps.store.chunks.get(id) as Uint8Array, secret));
    expect(`${parsed.text ?? ''}${parsed.html ?? ''}`).not.toContain(SMUGGLED_MARKER);
    expect(parsed.attachments.map((a) => [a.filename, a.mimeType])).toEqual([['complaint.eml', 'application/octet-stream']]);
  });

  it('puts the secret only after the # of the link and nothing of the content in the notification', async () => {
    const { app, deps, keys } = await buildTestApp();

    await sendJson(app, keys.acme, aSendRequest({ subject: 'TopSecretSubject', text: 'TopSecretBody', attachments: [{ filename: 'TopSecretName.txt', contentType: 'text/plain', content: base64('x') }] }));

    const [notification] = deps.notifier.sent;
    const all = JSON.stringify(notification);
    expect(all).not.toMatch(/TopSecret/);
    const { url, secret } = parseLink(notification?.text ?? '');
    expect(new URL(url).pathname).not.toContain(secret);
    expect(new URL(url).hash).toBe(`#${secret}`);
    expect(notification?.html).toContain(url);
  });

  it('returns the first response and sends nothing twice when the Idempotency-Key repeats', async () => {
    const { app, deps, keys } = await buildTestApp();
    const request = aSendRequest();

    const first = await sendJson(app, keys.acme, request, { 'Idempotency-Key': 'order-42' });
    const second = await sendJson(app, keys.acme, request, { 'Idempotency-Key': 'order-42' });

    expect(second.status).toBe(201);
    expect(await second.json()).toEqual(await first.json());
    expect(deps.notifier.sent).toHaveLength(1);
    expect(deps.store.heads.size).toBe(1);
  });

  it('treats the same Idempotency-Key of two tenants as two keys', async () => {
    const { app, deps, keys } = await buildTestApp();

    await sendJson(app, keys.acme, aSendRequest(), { 'Idempotency-Key': 'same' });
    const other = await sendJson(app, keys.other, aSendRequest(), { 'Idempotency-Key': 'same' });

    expect(other.status).toBe(201);
    expect(deps.notifier.sent).toHaveLength(2);
  });

  it('reports a rejected recipient as failed and the others as notified', async () => {
    const { app, deps, keys } = await buildTestApp();
    deps.notifier.reject.add('bounce@example.com');

    const res = await sendJson(app, keys.acme, aSendRequest({ to: ['alice@example.com', 'bounce@example.com'] }));

    expect(res.status).toBe(201);
    const body = await res.json() as { recipients: { email: string; status: string; reason?: string }[] };
    expect(body.recipients[0]).toEqual({ email: 'alice@example.com', status: 'notified' });
    expect(body.recipients[1]).toMatchObject({ email: 'bounce@example.com', status: 'failed' });
    expect(body.recipients[1]?.reason).toMatch(/rejected/);
  });

  it('sends one notification per address when an address repeats across to and cc', async () => {
    const { app, deps, keys } = await buildTestApp();

    const res = await sendJson(app, keys.acme, aSendRequest({ to: ['alice@example.com'], cc: ['ALICE@example.com', 'bob@example.com'] }));

    expect((await res.json() as { recipients: unknown[] }).recipients).toHaveLength(2);
    expect(deps.notifier.sent).toHaveLength(2);
  });
});

describe('the label and the attachment summary', () => {
  it('keeps the sender\'s label (trimmed) and the attachments\' count and size in the head, shows them in the status, and never in the email', async () => {
    const { app, deps, keys } = await buildTestApp();
    const sent = await sendJson(app, keys.acme, aSendRequest({
      label: '  Lab results, March ', attachments: [
        { filename: 'a.pdf', contentType: 'application/pdf', content: base64('12345') }, { filename: 'b.txt', contentType: 'text/plain', content: base64('abc') },
      ],
    }));
    const { id } = await sent.json() as { id: string };

    const status = await (await app.request(`/v1/messages/${id}`, { headers: { Authorization: `Bearer ${keys.acme}` } })).json() as Record<string, unknown>;

    expect(deps.store.heads.get(id)).toMatchObject({ label: 'Lab results, March', attachments: { count: 2, bytes: 8 } });
    expect(status).toMatchObject({ label: 'Lab results, March', attachments: { count: 2, bytes: 8 } });
    expect(JSON.stringify(deps.notifier.sent)).not.toContain('Lab results');
  });

  it('counts no attachments as zero, and stores no label when none is given', async () => {
    const { app, deps, keys } = await buildTestApp();

    const { id } = await (await sendJson(app, keys.acme, aSendRequest())).json() as { id: string };

    expect(deps.store.heads.get(id)?.attachments).toEqual({ count: 0, bytes: 0 });
    expect(deps.store.heads.get(id)).not.toHaveProperty('label');
  });

  it('refuses an empty, blank, too long, control, formatting or invisible-character label', async () => {
    const { app, deps, keys } = await buildTestApp();

    const answers = await Promise.all(['', '   ', 'x'.repeat(101), 'a\nb', 'x\u202ey', 'x\u061cy', 'x\u200by', '\u3164\u3164', '\u2800', 'x\u00ady'].map((label) => sendJson(app, keys.acme, aSendRequest({ label }))));

    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(422));
    expect((await answers[2]!.json() as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['label']);
    expect(deps.store.heads.size).toBe(0);
  });
});

describe('GET /v1/messages/:id', () => {
  it('returns status, expiry, per-recipient delivery and events without any content', async () => {
    const { app, deps, keys } = await buildTestApp();
    const sent = await sendJson(app, keys.acme, aSendRequest({ subject: 'HiddenSubject', text: 'HiddenBody' }));
    const { id } = await sent.json() as { id: string };
    const { secret } = parseLink(deps.notifier.sent[0]?.text ?? '');
    await app.request(`/m/${id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) }) });

    const res = await app.request(`/v1/messages/${id}`, { headers: { Authorization: `Bearer ${keys.acme}` } });

    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toMatch(/Hidden|tokenHash/);
    const body = JSON.parse(text) as { state: string; sizeBytes: number; recipients: { status: string; opens: number }[]; events: { type: string }[] };
    expect(body.state).toBe('active');
    expect(body.sizeBytes).toBeGreaterThan(200);
    expect(body.sizeBytes).toBe(deps.store.chunks.get(id)?.length);
    expect(body.recipients[0]).toMatchObject({ status: 'notified', opens: 1 });
    expect(body.events.map((e) => e.type)).toEqual(['created', 'notified', 'opened']);
  });

  it('reports an expired message as expired', async () => {
    const { app, clock, keys } = await buildTestApp();
    const { id } = await (await sendJson(app, keys.acme, aSendRequest({ expiresInDays: 1 }))).json() as { id: string };
    clock.advanceDays(2);

    const body = await (await app.request(`/v1/messages/${id}`, { headers: { Authorization: `Bearer ${keys.acme}` } })).json() as { state: string };

    expect(body.state).toBe('expired');
  });
});

describe('DELETE /v1/messages/:id', () => {
  it('records the revocation even when deleting the ciphertext fails, and a retry finishes the cleanup', async () => {
    const { app, deps, keys } = await buildTestApp();
    const { id } = await (await sendJson(app, keys.acme, aSendRequest())).json() as { id: string };
    deps.store.failDeleteChunks = true;

    const failed = await app.request(`/v1/messages/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${keys.acme}` } });
    deps.store.failDeleteChunks = false;
    const retried = await app.request(`/v1/messages/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${keys.acme}` } });

    expect(failed.status).toBe(503);
    expect(retried.status).toBe(204);
    expect(deps.store.heads.get(id)?.state).toBe('revoked');
    expect(deps.store.chunks.has(id)).toBe(false);
    expect(deps.events.events.filter((e) => e.type === 'revoked')).toHaveLength(1);
  });

  it('revokes: deletes the ciphertext and answers 204, also on a repeat', async () => {
    const { app, deps, keys } = await buildTestApp();
    const { id } = await (await sendJson(app, keys.acme, aSendRequest())).json() as { id: string };

    const first = await app.request(`/v1/messages/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${keys.acme}` } });
    const again = await app.request(`/v1/messages/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${keys.acme}` } });

    expect(first.status).toBe(204);
    expect(again.status).toBe(204);
    expect(deps.store.chunks.has(id)).toBe(false);
    expect(deps.store.heads.get(id)?.state).toBe('revoked');
    expect(deps.events.events.filter((e) => e.type === 'revoked')).toHaveLength(1);
  });
});
