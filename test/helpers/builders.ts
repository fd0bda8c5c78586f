import type { OpenAudit } from '../../functions/core/pickup/index.ts';
/** Builders with overrides, and a test app wired with fakes plus the real sealer and MIME composer. */
import { randomBytes } from 'node:crypto';
import {
  apiKeyRecordFor, generateApiKey, hashApiKey, keyIdFromHash, defaultSettings, type Tenant, type TenantSettings,
} from '../../functions/core/tenants/index.ts';
import { createApp, type AppDeps } from '../../functions/http/app.ts';
import { apiGroup } from '../../functions/http/api-routes.ts';
import { inboxGroup, portalGroup } from '../../functions/http/portal-routes.ts';
import type { SendRequest } from '../../functions/http/schemas.ts';
import type { NewMessageHead } from '../../functions/core/messages/index.ts';
import { SubsetSealer } from '../../functions/core/protocol/index.ts';
import type { WebAssets } from '../../functions/core/shared/index.ts';
import {
  CapturingLogger, InMemoryEventLog, InMemoryIdempotencyStore, InMemoryMessageStore, InMemoryTenantDirectory, RecordingNotifier,
} from './fakes.ts';
import { InMemoryWebhookStore, ScriptedWebhookSender, TestKeyWrapper } from './webhook-fakes.ts';
import { InMemoryInboxStore, InMemoryRecoveryStore, NO_PACE } from './inbox-fakes.ts';
import { InMemoryReplyRecorder } from './reply-fakes.ts';
import { authorizeRecipient, issueGrant } from '../../functions/core/pickup/index.ts';
import type { AuthorizeRecipient } from '../../functions/core/replies/index.ts';
import { messageCenterCustody } from '../../functions/core/message-center/index.ts';
import { InMemoryBlobStore, InMemoryUploadStore } from './upload-fakes.ts';

export function aTenant(overrides: Partial<Omit<Tenant, 'settings'>> & { settings?: Partial<TenantSettings> } = {}): Tenant {
  const { settings, ...rest } = overrides;
  return {
    id: 'acme',
    createdAt: '2026-01-01T00:00:00.000Z',
    revision: 1,
    ...rest,
    settings: { ...defaultSettings({ displayName: 'Acme Health', senderAddress: 'notices@acme.example', verification: 'none' }), ...settings },
  };
}

let heads = 0;
/** A new message head (active, one recipient, two weeks) with a fresh 22-character id. */
export function aNewHead(overrides: Partial<NewMessageHead> = {}): NewMessageHead {
  heads++;
  return {
    id: `head${String(heads).padStart(18, '0')}`,
    tenantId: 'acme',
    createdAt: '2026-11-29T12:00:00.000Z',
    expiresAt: '2026-12-13T12:00:00.000Z',
    state: 'active',
    recipients: [{ rid: 'r0', email: 'alice@example.com', kind: 'to', tokenHash: 'h0', status: 'pending', opens: 0 }],
    ...overrides,
  };
}

export function aSendRequest(overrides: Partial<SendRequest> = {}): SendRequest {
  return { to: ['alice@example.com'], subject: 'Lab results', text: 'Your results are ready.', ...overrides };
}

export const base64 = (text: string | Uint8Array) => Buffer.from(text).toString('base64');

/** A controllable clock. */
export function aClock(start = '2026-11-29T12:00:00.000Z') {
  let now = new Date(start);
  const clock = () => new Date(now);
  clock.advanceDays = (days: number) => { now = new Date(now.getTime() + days * 86_400_000); };
  clock.set = (iso: string) => { now = new Date(iso); };
  return clock;
}

export const TEST_WEB = {
  pickupPage: '<!doctype html><title>pickup</title><script type="module" src="/assets/pickup.js"></script>',
  assets: new Map([['pickup.js', { body: new TextEncoder().encode('console.log(1)'), contentType: 'text/javascript; charset=utf-8' }]]),
};

/** The sending pipeline on fakes (real sealing and MIME), sharing one test clock. */
export function aSendingWorld(clock: ReturnType<typeof aClock>, tenants = new InMemoryTenantDirectory()) {
  const store = new InMemoryMessageStore();
  store.tenantSource = tenants;
  const events = new InMemoryEventLog(clock);
  store.eventSink = events;
  return {
    tenants,
    store,
    events,
    idempotency: new InMemoryIdempotencyStore(),
    sealer: new SubsetSealer((n) => new Uint8Array(randomBytes(n))),
    notifier: new RecordingNotifier(),
    clock,
    random: (n: number) => new Uint8Array(randomBytes(n)),
    portalOrigin: 'https://portal.test',
    logger: new CapturingLogger(),
  };
}

/**
 * The whole app on fakes. `ownCustodyRoutes`: leave the inbox and recovery routes unmounted, for a
 * test that mounts them with its own deps.
 */
export async function buildTestApp(options: { tenants?: Tenant[]; ownCustodyRoutes?: boolean; web?: WebAssets } = {}) {
  const tenants = new InMemoryTenantDirectory();
  const keys: Record<string, string> = {};
  /** Each tenant's admin key (scope admin; real key format). */
  const adminKeys: Record<string, string> = {};
  for (const tenant of options.tenants ?? [aTenant(), aTenant({ id: 'other', settings: { displayName: 'Other Org', senderAddress: 'x@other.example' } })]) {
    tenants.tenants.set(tenant.id, tenant);
    const key = `sp_test_${tenant.id}_${'k'.repeat(24)}`;
    const keyHash = await hashApiKey(key);
    tenants.keys.set(keyIdFromHash(keyHash), { keyId: keyIdFromHash(keyHash), tenantId: tenant.id, keyHash, scope: 'send', createdAt: '2026-01-01T00:00:00.000Z' });
    keys[tenant.id] = key;
    const adminKey = generateApiKey((n) => new Uint8Array(randomBytes(n))).key;
    const adminRecord = await apiKeyRecordFor(adminKey, { tenantId: tenant.id, scope: 'admin', createdBy: 'operator' }, new Date('2026-01-01T00:00:00.000Z'));
    tenants.keys.set(adminRecord.keyId, adminRecord);
    adminKeys[tenant.id] = adminKey;
  }
  const clock = aClock();
  const deps = { ...aSendingWorld(clock, tenants), web: options.web ?? TEST_WEB };
  const webhookAdmin = {
    webhooks: new InMemoryWebhookStore(),
    events: deps.events,
    keys: new TestKeyWrapper(),
    sender: new ScriptedWebhookSender(),
    clock,
    random: deps.random,
    logger: deps.logger,
    urlPolicy: { allowInsecureHttp: false, allowLoopback: false },
  };
  // Message Center, inbox, recovery and replies with in-memory stores and a context-checking key wrapper.
  const keys2 = new TestKeyWrapper();
  const inbox = new InMemoryInboxStore();
  deps.store.inboxSink = inbox;
  const recoveries = new InMemoryRecoveryStore(deps.store);
  // keys and inbox stay on the returned deps, so tests can look at (and break) what custody uses.
  const send = { ...deps, keys: keys2, inbox, custody: messageCenterCustody({ keys: keys2, inbox, random: deps.random }) };
  const authorize: AuthorizeRecipient = (messageId, credentials, ctx) => authorizeRecipient(send, messageId, credentials, ctx);
  const blobs = new InMemoryBlobStore();
  const uploads = new InMemoryUploadStore();
  const api = {
    ...send,
    blobs,
    uploads: { uploads, blobs, maxUploadBytes: 40 * 1024 * 1024 },
    webhookAdmin,
    ...(options.ownCustodyRoutes ? {} : {
      recovery: { store: deps.store, recoveries, keys: keys2, events: deps.events, clock, random: deps.random, logger: deps.logger, portalOrigin: deps.portalOrigin },
    }),
    reply: { ...send, replies: new InMemoryReplyRecorder(deps.store), authorize },
  };
  const inboxDeps = {
    inbox, store: deps.store, tenants, keys: keys2, events: deps.events, notifier: deps.notifier, clock, random: deps.random, logger: deps.logger,
    portalOrigin: deps.portalOrigin, issueGrant: (messageId: string, rid: string, now: Date) => issueGrant(send, messageId, rid, now),
    inboxWeb: { inboxPage: '<!doctype html><title>inbox</title>' },
    pace: NO_PACE,
  };
  const app = createApp({ logger: deps.logger, api, portal: { ...deps, downloads: blobs, recoveries }, ...(options.ownCustodyRoutes ? {} : { inbox: inboxDeps }) } satisfies AppDeps, apiGroup, portalGroup, inboxGroup);
  return { app, deps: send, webhookAdmin, inbox, recoveries, keys, adminKeys, clock, blobs, uploads };
}

/** Pulls the message id and secret out of a notification link. */
export function parseLink(text: string): { id: string; secret: string; url: string } {
  const match = /(https?:\/\/[^\s"]+\/m\/([A-Za-z0-9_-]+)#([A-Za-z0-9_-]{43}))/.exec(text);
  if (!match) throw new Error('no pickup link in notification');
  return { url: match[1] as string, id: match[2] as string, secret: match[3] as string };
}

export function sendJson(app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, key: string | undefined, body: unknown, headers: Record<string, string> = {}) {
  return app.request('/v1/messages', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * An open's audit for a store test that looks at the count, not the trail: no event, and a count of
 * 0 expected (the store tries again on the count it finds, as after a concurrent open).
 */
export const AN_UNRECORDED_OPEN: OpenAudit = { expected: { opens: 0 }, event: () => undefined };
