/** Sender controls: list, view limits, reply-to, changing expiry; and the tenant's events feed. */
import { describe, expect, it } from 'vitest';
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { aSendRequest, buildTestApp, parseLink, sendJson } from '../helpers/builders.ts';

type Setup = Awaited<ReturnType<typeof buildTestApp>>;

function get(app: Setup["app"], key: string | undefined, path: string) {
  return app.request(path, { headers: { Authorization: `Bearer ${key}` } });
}

function patch(app: Setup["app"], key: string | undefined, id: string, body: unknown) {
  return app.request(`/v1/messages/${id}`, { method: 'PATCH', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

async function open(app: Setup['app'], id: string, secret: string, part?: number) {
  return app.request(`/m/${id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ link: await deriveLinkToken(secret), token: await deriveAccessToken(secret), ...(part !== undefined ? { part } : {}) }) });
}

describe('GET /v1/messages', () => {
  it('lists the tenant\'s own messages newest first, page by page', async () => {
    const { app, keys, clock } = await buildTestApp();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await (await sendJson(app, keys.acme, aSendRequest())).json() as { id: string }).id);
      clock.advanceDays(0.01);
    }
    await sendJson(app, keys.other, aSendRequest());

    const first = await (await get(app, keys.acme, '/v1/messages?limit=2')).json() as { messages: { id: string; state: string }[]; cursor: string };
    const second = await (await get(app, keys.acme, `/v1/messages?limit=2&cursor=${encodeURIComponent(first.cursor)}`)).json() as { messages: { id: string }[]; cursor?: string };

    expect(first.messages.map((m) => m.id)).toEqual([ids[2], ids[1]]);
    expect(first.messages[0]).toMatchObject({ state: 'active', recipients: [{ email: 'alice@example.com', status: 'notified', opens: 0 }] });
    expect(second.messages.map((m) => m.id)).toEqual([ids[0]]);
    expect(second.cursor).toBeUndefined();
  });

  it('refuses a limit out of range and a cursor it did not issue', async () => {
    const { app, keys } = await buildTestApp();

    expect((await get(app, keys.acme, '/v1/messages?limit=0')).status).toBe(422);
    expect((await get(app, keys.acme, '/v1/messages?limit=101')).status).toBe(422);
    expect((await get(app, keys.acme, '/v1/messages?cursor=MSGS%23other')).status).toBe(422);
  });
});

describe('maxViews', () => {
  it('lets each recipient open a maxViews: 1 message exactly once, even from 20 parallel requests', async () => {
    const { app, keys, deps } = await buildTestApp();
    await sendJson(app, keys.acme, aSendRequest({ maxViews: 1 }));
    const { id, secret } = parseLink(deps.notifier.sent[0]?.text ?? '');

    const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await open(app, id, secret)).status));

    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 404)).toHaveLength(19);
    expect((await open(app, id, secret)).status).toBe(404);
    const status = await (await get(app, keys.acme, `/v1/messages/${id}`)).json() as { maxViews: number; recipients: { opens: number }[]; events: { type: string; detail?: string }[] };
    expect(status).toMatchObject({ maxViews: 1, recipients: [{ opens: 1 }] });
    expect(status.events.filter((e) => e.type === 'opened')).toEqual([expect.objectContaining({ detail: 'view 1 of 1' })]);
  });

  it('records the first view as "opened" and every later counted view as "revealed" under a limit', async () => {
    const { app, keys, deps } = await buildTestApp();
    await sendJson(app, keys.acme, aSendRequest({ maxViews: 3 }));
    const { id, secret } = parseLink(deps.notifier.sent[0]?.text ?? '');

    for (let i = 0; i < 4; i++) await open(app, id, secret);

    expect(deps.events.events.filter((e) => e.messageId === id && ['opened', 'revealed'].includes(e.type)).map((e) => `${e.type}:${e.detail}`))
      .toEqual(['opened:view 1 of 3', 'revealed:view 2 of 3', 'revealed:view 3 of 3']);
  });

  it('serves the later parts of a view-limited message only shortly after its counted view', async () => {
    const { app, keys, deps, clock } = await buildTestApp();
    deps.store.partBytes = 1000;
    await sendJson(app, keys.acme, aSendRequest({ maxViews: 1, attachments: [{ filename: 'a.bin', contentType: 'application/octet-stream', content: Buffer.alloc(3000, 7).toString('base64') }] }));
    const { id, secret } = parseLink(deps.notifier.sent[0]?.text ?? '');

    expect((await open(app, id, secret, 1)).status).toBe(404);
    expect((await open(app, id, secret, 0)).status).toBe(200);
    expect((await open(app, id, secret, 1)).status).toBe(200);
    clock.advanceDays(1 / 24);
    expect((await open(app, id, secret, 1)).status).toBe(404);
  });

  it('applies one availability rule to every recipient action: once the views are spent, no reply and no code after the part window', async () => {
    const { app, keys, deps, clock } = await buildTestApp();
    await sendJson(app, keys.acme, aSendRequest({ maxViews: 1, verification: 'email-code' }));
    const { id, secret } = parseLink(deps.notifier.sent[0]?.text ?? '');
    const credentials = { link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) };
    const post = (path: string, body: unknown) => app.request(`/m/${id}/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    await post('open', credentials);
    const code = /\b(\d{6})\b/.exec(deps.notifier.sent.at(-1)?.text ?? '')?.[1];
    const opened = await post('open', { ...credentials, code });
    const grant = opened.headers.get('Sealpost-Grant') ?? '';
    const reply = (text: string) => post('reply', { ...credentials, grant, subject: 'Re: results', text });

    const within = await reply('Thank you, read it.');
    clock.advanceDays(1 / 24);
    const sentBefore = deps.notifier.sent.length;
    const afterReply = await reply('Five more replies after the last view?');
    const afterCode = await post('code', credentials);
    const afterOpen = await post('open', { ...credentials, grant });

    expect(opened.status).toBe(200);
    expect(within.status).toBe(201);
    expect([afterReply.status, afterCode.status, afterOpen.status]).toEqual([404, 404, 404]);
    expect(deps.notifier.sent.length).toBe(sentBefore);
  });

  it('refuses a maxViews that is not a positive whole number', async () => {
    const { app, keys } = await buildTestApp();

    for (const maxViews of [0, -1, 1.5, 1001, '2']) {
      expect((await sendJson(app, keys.acme, aSendRequest({ maxViews } as never))).status).toBe(422);
    }
  });
});

describe('replyTo', () => {
  it('puts the sender\'s reply-to (or else the tenant\'s) into the sealed mail and the message record', async () => {
    const { app, keys, deps } = await buildTestApp();
    await deps.tenants.updateSettings('acme', 1, { ...deps.tenants.tenants.get('acme')!.settings, replyTo: 'care@acme.example' });

    const own = await (await sendJson(app, keys.acme, aSendRequest({ replyTo: 'dr.who@acme.example' }))).json() as { id: string };
    const fallback = await (await sendJson(app, keys.acme, aSendRequest())).json() as { id: string };

    expect((await deps.store.getHead(own.id))?.replyTo).toBe('dr.who@acme.example');
    expect((await deps.store.getHead(fallback.id))?.replyTo).toBe('care@acme.example');
    expect((await sendJson(app, keys.acme, aSendRequest({ replyTo: 'not an address' }))).status).toBe(422);
  });
});

describe('PATCH /v1/messages/{id}', () => {
  it('extends an active message within the tenant\'s limit and records the change', async () => {
    const { app, keys, deps } = await buildTestApp();
    const { id } = await (await sendJson(app, keys.acme, aSendRequest())).json() as { id: string };

    const response = await patch(app, keys.acme, id, { expiresInDays: 30 });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id, state: 'active', expiresAt: '2026-12-29T12:00:00.000Z' });
    expect(deps.events.events.find((e) => e.type === 'expiry_changed')).toMatchObject({
      before: { expiresAt: '2026-12-13T12:00:00.000Z' }, after: { expiresAt: '2026-12-29T12:00:00.000Z' }, actor: expect.stringMatching(/^key:/),
    });
  });

  it('refuses beyond the tenant\'s maximum, too soon, both or neither field, and an inactive message', async () => {
    const { app, keys, deps } = await buildTestApp();
    await deps.tenants.updateSettings('acme', 1, { ...deps.tenants.tenants.get('acme')!.settings, maxExpiryDays: 20 });
    const { id } = await (await sendJson(app, keys.acme, aSendRequest())).json() as { id: string };

    const tooLate = await patch(app, keys.acme, id, { expiresAt: '2026-12-19T12:00:01Z' });
    expect(tooLate.status).toBe(422);
    expect((await tooLate.json() as { detail: string }).detail).toMatch(/at most 20 days after the message was created/);
    expect((await patch(app, keys.acme, id, { expiresAt: '2026-11-29T12:05:00Z' })).status).toBe(422);
    expect((await patch(app, keys.acme, id, { expiresAt: '2026-12-20T12:00:00Z', expiresInDays: 3 })).status).toBe(422);
    expect((await patch(app, keys.acme, id, {})).status).toBe(422);
    expect((await patch(app, keys.acme, id, { expiresAt: '2026-12-19T12:00:00Z' })).status).toBe(200);
    await app.request(`/v1/messages/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${keys.acme}` } });
    expect((await patch(app, keys.acme, id, { expiresInDays: 5 })).status).toBe(409);
  });

  it('refuses an expiresInDays above the tenant\'s maximum when sending', async () => {
    const { app, keys, deps } = await buildTestApp();
    await deps.tenants.updateSettings('acme', 1, { ...deps.tenants.tenants.get('acme')!.settings, maxExpiryDays: 10, defaultExpiryDays: 7 });

    expect((await sendJson(app, keys.acme, aSendRequest({ expiresInDays: 11 }))).status).toBe(422);
    expect(await (await sendJson(app, keys.acme, aSendRequest())).json()).toMatchObject({ expiresAt: '2026-12-06T12:00:00.000Z' });
  });
});

describe('GET /v1/events', () => {
  it('pages through the tenant\'s audit trail oldest first, filters by type and since, and shows no other tenant\'s events', async () => {
    const { app, keys, adminKeys, clock } = await buildTestApp();
    await sendJson(app, keys.acme, aSendRequest());
    clock.advanceDays(1);
    await app.request('/v1/admin/settings', { method: 'PATCH', headers: { Authorization: `Bearer ${adminKeys.acme}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ displayName: 'Acme 2' }) });
    await sendJson(app, keys.other, aSendRequest());

    const all = await (await get(app, keys.acme, '/v1/events')).json() as { events: { type: string; id: string; messageId?: string }[]; cursor: string; hasMore: boolean };
    const page = await (await get(app, keys.acme, '/v1/events?limit=1')).json() as { events: { type: string }[]; cursor: string; hasMore: boolean };
    const next = await (await get(app, keys.acme, `/v1/events?limit=1&cursor=${encodeURIComponent(page.cursor)}`)).json() as { events: { type: string }[] };
    const settings = await (await get(app, keys.acme, '/v1/events?type=settings_changed')).json() as { events: { type: string; before: unknown }[] };
    const since = await (await get(app, keys.acme, '/v1/events?since=2026-11-30T00:00:00Z')).json() as { events: { type: string }[] };
    clock.advanceDays(1);
    const later = await (await get(app, keys.acme, `/v1/events?cursor=${encodeURIComponent(all.cursor)}`)).json() as { events: { type: string }[]; hasMore: boolean; cursor: string };
    const quiet = await (await get(app, keys.acme, `/v1/events?cursor=${encodeURIComponent(later.cursor)}`)).json() as { events: unknown[] };

    expect(all.events.map((e) => e.type)).toEqual(['created', 'notified', 'settings_changed']);
    expect(all.hasMore).toBe(false);
    expect(page).toMatchObject({ events: [{ type: 'created' }], hasMore: true });
    expect(next.events.map((e) => e.type)).toEqual(['notified']);
    expect(settings.events).toEqual([expect.objectContaining({ type: 'settings_changed', before: { displayName: 'Acme Health' } })]);
    expect(since.events.map((e) => e.type)).toEqual(['settings_changed']);
    // The last event was recorded less than 10 s before the first poll: the cursor stops short of it,
    // so the next poll returns it again rather than risk skipping an event still settling.
    expect(all.cursor).toBe('2026-11-30T11:59:50.000Z');
    expect(later.events.map((e) => e.type)).toEqual(['settings_changed']);
    expect(quiet.events).toEqual([]);
  });

  it('pages newest first with order=newest, back to since', async () => {
    const { app, keys, adminKeys, clock } = await buildTestApp();
    await sendJson(app, keys.acme, aSendRequest());
    clock.advanceDays(1);
    await app.request('/v1/admin/settings', { method: 'PATCH', headers: { Authorization: `Bearer ${adminKeys.acme}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ displayName: 'Acme 2' }) });

    const first = await (await get(app, keys.acme, '/v1/events?order=newest&limit=2')).json() as { events: { type: string }[]; cursor: string; hasMore: boolean };
    const rest = await (await get(app, keys.acme, `/v1/events?order=newest&cursor=${encodeURIComponent(first.cursor)}`)).json() as { events: { type: string }[]; hasMore: boolean };
    const recent = await (await get(app, keys.acme, '/v1/events?order=newest&since=2026-11-30T00:00:00Z')).json() as { events: { type: string }[] };

    expect(first).toMatchObject({ events: [{ type: 'settings_changed' }, { type: 'notified' }], hasMore: true });
    expect(rest).toMatchObject({ events: [{ type: 'created' }], hasMore: false });
    expect(recent.events.map((e) => e.type)).toEqual(['settings_changed']);
    expect((await get(app, keys.acme, '/v1/events?order=sideways')).status).toBe(422);
  });

  it('refuses an unknown type, a malformed since or cursor, and a missing key', async () => {
    const { app, keys } = await buildTestApp();

    expect((await get(app, keys.acme, '/v1/events?type=opened,hacked')).status).toBe(422);
    expect((await get(app, keys.acme, '/v1/events?since=yesterday')).status).toBe(422);
    expect((await get(app, keys.acme, '/v1/events?cursor=EVENTS%23other')).status).toBe(422);
    expect((await app.request('/v1/events')).status).toBe(401);
  });
});
