/** Toggling Message Center through the API: what it changes for new messages, and what it leaves alone. */
import { describe, expect, it } from 'vitest';
import { unwrapSecret } from '../../functions/core/message-center/index.ts';
import { deriveAccessToken, deriveLinkToken, unwrapRecoveredSecret } from '../../functions/core/protocol/index.ts';
import { OpenPgpSealer } from '../helpers/openpgp-sealer.ts';
import { dispatchWebhooks } from '../../functions/core/webhooks/index.ts';
import type { ScriptedWebhookSender } from '../helpers/webhook-fakes.ts';
import { aSendRequest, buildTestApp, parseLink, sendJson } from '../helpers/builders.ts';

type Setup = Awaited<ReturnType<typeof buildTestApp>>;

function patchSettings(t: Setup, body: unknown) {
  return t.app.request('/v1/admin/settings', { method: 'PATCH', headers: { Authorization: `Bearer ${t.adminKeys.acme}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

async function send(t: Setup, to: string[]) {
  const response = await sendJson(t.app, t.keys.acme, aSendRequest({ to }));
  expect(response.status).toBe(201);
  return (await response.json() as { id: string }).id;
}

describe('Message Center toggle', () => {
  it('keeps nothing while off, wraps only messages sent while on (their link secrets, one wrap per message), and leaves them in the inbox after it is turned off', async () => {
    const t = await buildTestApp();
    const before = await send(t, ['alice@example.com']);

    expect((await patchSettings(t, { messageCenter: true })).status).toBe(200);
    const during = await send(t, ['alice@example.com', 'bob@example.com']);
    expect((await patchSettings(t, { messageCenter: false })).status).toBe(200);
    const after = await send(t, ['alice@example.com']);

    const heads = [before, during, after].map((id) => t.deps.store.heads.get(id));
    expect(heads.map((h) => h?.custody)).toEqual(['link', 'message-center', 'link']);
    expect(heads.map((h) => h?.wrappedSecrets === undefined)).toEqual([true, false, true]);
    expect((await t.inbox.listEntries('acme', 'alice@example.com', 50)).map((e) => e.messageId)).toEqual([during]);
    // The wrapped secret is bob's own link secret, and only for this message.
    const bobLink = parseLink(t.deps.notifier.sent.find((n) => n.to.email === 'bob@example.com')?.text ?? '');
    const duringHead = heads[1]!;
    expect(Buffer.from(await unwrapSecret(t.deps.keys!, duringHead, 'r1')).toString('base64url')).toBe(bobLink.secret);
    await expect(unwrapSecret(t.deps.keys!, { ...duringHead, id: before }, 'r1')).rejects.toThrow();
  });

  it('says so in the notification: the inbox link for a Message Center message, "the only key" otherwise', async () => {
    const t = await buildTestApp();
    await send(t, ['alice@example.com']);
    await patchSettings(t, { messageCenter: true });
    await send(t, ['alice@example.com']);

    const [standard, kept] = t.deps.notifier.sent.map((n) => n.text);
    expect(standard).toContain('the link is the only key to the message');
    expect(standard).not.toContain('/inbox/');
    expect(kept).toContain("Acme Health's Message Center");
    expect(kept).toContain('https://portal.test/inbox/acme');
  });

  it('stores and sends nothing when the key service fails at send time', async () => {
    const t = await buildTestApp();
    await patchSettings(t, { messageCenter: true });
    t.deps.keys!.wrap = async () => { throw new Error('KMS is down'); };

    const response = await sendJson(t.app, t.keys.acme, aSendRequest());

    expect(response.status).toBe(503);
    expect((await response.json() as { detail: string }).detail).toMatch(/nothing was stored or sent/);
    expect(t.deps.store.heads.size).toBe(0);
    expect(t.deps.notifier.sent).toHaveLength(0);
  });

  it('answers recovery of a message sent before Message Center was on with 409 and the reason', async () => {
    const t = await buildTestApp();
    const id = await send(t, ['alice@example.com']);
    await patchSettings(t, { messageCenter: true });

    const response = await t.app.request(`/v1/admin/messages/${id}/recover`, { method: 'POST', headers: { Authorization: `Bearer ${t.adminKeys.acme}` } });

    expect(response.status).toBe(409);
    expect((await response.json() as { detail: string }).detail).toMatch(/key was never stored/);
  });

  it('issues a one-time recovery link for a Message Center message, records it, and sends the event to webhooks', async () => {
    const t = await buildTestApp();
    await patchSettings(t, { messageCenter: true });
    const hook = await t.app.request('/v1/admin/webhooks', {
      method: 'POST', headers: { Authorization: `Bearer ${t.adminKeys.acme}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: 'https://hooks.acme.example/in', events: ['recovered'] }),
    });
    expect(hook.status).toBe(201);
    const id = await send(t, ['alice@example.com']);

    const response = await t.app.request(`/v1/admin/messages/${id}/recover`, { method: 'POST', headers: { Authorization: `Bearer ${t.adminKeys.acme}` } });
    t.clock.set(new Date(t.clock().getTime() + 60_000).toISOString());
    await dispatchWebhooks(t.webhookAdmin, t.clock());

    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ url: expect.stringMatching(new RegExp(`^https://portal\\.test/m/${id}#recover:[A-Za-z0-9_-]{43}$`)) });
    expect(t.deps.events.events.filter((e) => e.type === 'recovered')).toHaveLength(1);
    expect((t.webhookAdmin.sender as ScriptedWebhookSender).bodies()).toEqual([expect.objectContaining({ type: 'recovered', data: expect.objectContaining({ messageId: id }) })]);
  });
});

describe('emergency recovery (a recovery link holder is nobody\'s recipient)', () => {
  it('reads the message through its custody key, but opens, counts views and replies as no recipient, and the trail names the recovery', async () => {
    const t = await buildTestApp();
    await patchSettings(t, { messageCenter: true });
    const sent = await sendJson(t.app, t.keys.acme, aSendRequest({ to: ['alice@example.com'], subject: 'Scan results', maxViews: 1 }));
    const { id } = await sent.json() as { id: string };
    const alice = parseLink(t.deps.notifier.sent.at(-1)?.text ?? '');
    const recovery = await (await t.app.request(`/v1/admin/messages/${id}/recover`, { method: 'POST', headers: { Authorization: `Bearer ${t.adminKeys.acme}` } })).json() as { url: string };
    const r = recovery.url.split('#recover:')[1] ?? '';
    const post = (path: string, body: unknown) => t.app.request(`/m/${id}/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const as = async (secret: string) => ({ link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) });

    const opened = await post('open', await as(r));
    const unlocked = await unwrapRecoveredSecret(r, opened.headers.get('Sealpost-Wrapped-Secret') ?? '');
    const plaintext = new TextDecoder().decode(await new OpenPgpSealer().open(new Uint8Array(await opened.arrayBuffer()), unlocked));
    const openAsRecipient = await post('open', await as(unlocked));
    const replyAsRecipient = await post('reply', { ...(await as(unlocked)), subject: 'Re: Scan results', text: 'Sent by whoever holds the recovery link' });
    const head = t.deps.store.heads.get(id);
    const aliceOpens = await post('open', await as(alice.secret));

    expect(opened.status).toBe(200);
    expect(opened.headers.get('Sealpost-Recovered-Key')).toBe('custody');
    expect(plaintext).toContain('Subject: Scan results');
    expect(unlocked).not.toBe(alice.secret);
    expect([openAsRecipient.status, replyAsRecipient.status]).toEqual([404, 404]);
    expect(head?.recipients[0]?.opens).toBe(0);
    expect(aliceOpens.status).toBe(200);
    expect(t.deps.events.events.filter((e) => e.messageId === id && ['opened', 'revealed', 'recovered', 'replied'].includes(e.type)).map((e) => `${e.type}:${e.actor}`))
      .toEqual([expect.stringMatching(/^recovered:key:/), 'recovered:recovery:0', 'opened:recipient:r0']);
  });

  it('reads the tenant a recovery link\'s page names with the message, and trusts it only as the message\'s own', async () => {
    const t = await buildTestApp();
    await patchSettings(t, { messageCenter: true });
    const read = t.deps.tenants.getTenant.bind(t.deps.tenants);
    const reads: string[] = [];
    t.deps.tenants.getTenant = async (tenantId) => { reads.push(tenantId); return read(tenantId); };
    const recover = async () => {
      const { id } = await (await sendJson(t.app, t.keys.acme, aSendRequest({ to: ['alice@example.com'] }))).json() as { id: string };
      const answer = await t.app.request(`/v1/admin/messages/${id}/recover`, { method: 'POST', headers: { Authorization: `Bearer ${t.adminKeys.acme}` } });
      const r = ((await answer.json() as { url: string }).url.split('#recover:')[1]) ?? '';
      return { id, body: { link: await deriveLinkToken(r), token: await deriveAccessToken(r) } };
    };
    const open = (id: string, body: unknown) => t.app.request(`/m/${id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const [first, second, third] = [await recover(), await recover(), await recover()];
    reads.length = 0;

    // Its own tenant: read in the open's one read, with the message, and not again.
    const opened = await open(first.id, { ...first.body, tenant: 'acme' });
    expect(opened.status).toBe(200);
    expect(opened.headers.get('Sealpost-Recovered-Key')).toBe('custody');
    expect(t.deps.store.tenantsReadWithHead).toEqual(['acme']);
    expect(reads).toEqual([]);
    // Another tenant named: that read is set aside, and the message's own tenant read as ever.
    expect(t.deps.tenants.tenants.get('other')?.disabled).toBeFalsy();
    expect((await open(second.id, { ...second.body, tenant: 'other' })).status).toBe(200);
    expect(t.deps.store.tenantsReadWithHead).toEqual(['acme', 'other']);
    expect(reads).toEqual(['acme']);
    // Its own tenant, disabled: closed whether the page names it or another, enabled tenant; the link not spent.
    await t.deps.tenants.setDisabled('acme', true);
    expect((await open(third.id, { ...third.body, tenant: 'acme' })).status).toBe(404);
    expect((await open(third.id, { ...third.body, tenant: 'other' })).status).toBe(404);
    await t.deps.tenants.setDisabled('acme', false);
    expect((await open(third.id, { ...third.body, tenant: 'acme' })).status).toBe(200);
  });
});
