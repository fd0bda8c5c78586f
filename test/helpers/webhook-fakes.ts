/**
 * In-memory fakes of the webhook ports, with the DynamoDB adapter's conditional semantics (the
 * adapter test runs the same contract against both), a context-bound KeyWrapper and a scripted sender.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DependencyError, type KeyWrapper } from '../../functions/core/shared/index.ts';
import type { Principal } from '../../functions/core/tenants/index.ts';
import type {
  WebhookDelivery, WebhookEndpoint, WebhookProgress, WebhookRequest, WebhookResult, WebhookSender, WebhookStore, WebhookAdminDeps,
  WebhookUrlPolicy,
} from '../../functions/core/webhooks/index.ts';
import { aClock, aTenant } from './builders.ts';
import { CapturingLogger, InMemoryEventLog } from './fakes.ts';

export class InMemoryWebhookStore implements WebhookStore {
  readonly endpoints = new Map<string, WebhookEndpoint>();
  readonly deliveries: WebhookDelivery[] = [];

  async create(endpoint: WebhookEndpoint) {
    if (this.endpoints.has(endpoint.id)) return false;
    this.endpoints.set(endpoint.id, endpoint);
    return true;
  }
  async listForTenant(tenantId: string) {
    return [...this.endpoints.values()].filter((e) => e.tenantId === tenantId).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
  async get(tenantId: string, id: string) {
    const endpoint = this.endpoints.get(id);
    return endpoint?.tenantId === tenantId ? endpoint : undefined;
  }
  async delete(tenantId: string, id: string) {
    if (this.endpoints.get(id)?.tenantId !== tenantId) return false;
    this.endpoints.delete(id);
    return true;
  }
  async listDue(now: Date, limit: number) {
    return [...this.endpoints.values()]
      .filter((e) => e.nextAttemptAt <= now.toISOString())
      .sort((a, b) => `${a.nextAttemptAt}#${a.id}`.localeCompare(`${b.nextAttemptAt}#${b.id}`))
      .slice(0, limit);
  }
  async claim(id: string, expectedNextAttemptAt: string, leaseToken: string, leaseUntil: Date) {
    const endpoint = this.endpoints.get(id);
    if (!endpoint || endpoint.nextAttemptAt !== expectedNextAttemptAt) return undefined;
    const claimed = { ...endpoint, leaseToken, nextAttemptAt: leaseUntil.toISOString() };
    this.endpoints.set(id, claimed);
    return claimed;
  }
  async saveProgress(id: string, leaseToken: string, progress: WebhookProgress, release?: Date) {
    const endpoint = this.endpoints.get(id);
    if (!endpoint || endpoint.leaseToken !== leaseToken) return false;
    const { failingSince: _f, leaseToken: _l, ...rest } = endpoint;
    this.endpoints.set(id, {
      ...rest,
      position: progress.position,
      attempts: progress.attempts,
      ...(progress.failingSince !== undefined ? { failingSince: progress.failingSince } : {}),
      ...(progress.lastDeliveryAt !== undefined ? { lastDeliveryAt: progress.lastDeliveryAt } : {}),
      ...(release ? { nextAttemptAt: release.toISOString() } : { leaseToken }),
    });
    return true;
  }
  async recordDelivery(delivery: WebhookDelivery) {
    this.deliveries.push(delivery);
  }
  async listDeliveries(tenantId: string, id: string, limit: number) {
    return this.deliveries
      .filter((d) => d.webhookId === id && d.tenantId === tenantId)
      .sort((a, b) => `${b.at}#${b.id}`.localeCompare(`${a.at}#${a.id}`))
      .slice(0, limit);
  }
}

/**
 * AES-256-GCM with the context as associated data: like KMS, a value unwraps only with the context
 * it was wrapped with, and tampering is detected. Counts unwraps so tests can check KMS usage.
 */
export class TestKeyWrapper implements KeyWrapper {
  private readonly key = randomBytes(32);
  unwrapCalls = 0;
  failUnwrap = false;

  async wrap(plaintext: Uint8Array, context: Readonly<Record<string, string>>) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(canonical(context)));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), body]));
  }

  async unwrap(wrapped: Uint8Array, context: Readonly<Record<string, string>>) {
    this.unwrapCalls++;
    if (this.failUnwrap) throw new DependencyError('The key service (KMS) could not unwrap the value right now. Try again shortly.', 'kms');
    const data = Buffer.from(wrapped);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, 12)).setAAD(Buffer.from(canonical(context)));
      decipher.setAuthTag(data.subarray(12, 28));
      return new Uint8Array(Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]));
    } catch (error) {
      throw new DependencyError('The wrapped value does not belong to this object, so it cannot be unwrapped.', 'kms', error);
    }
  }
}

function canonical(context: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b)));
}

/** Records every request and answers from a script (then `fallback`), like a receiver would. */
export class ScriptedWebhookSender implements WebhookSender {
  readonly requests: WebhookRequest[] = [];
  readonly script: Omit<WebhookResult, 'durationMs'>[] = [];
  fallback: Omit<WebhookResult, 'durationMs'> = { ok: true, statusCode: 200 };

  async send(request: WebhookRequest): Promise<WebhookResult> {
    this.requests.push(request);
    return { ...(this.script.shift() ?? this.fallback), durationMs: 5 };
  }

  /** The parsed JSON bodies sent so far. */
  bodies(): { id: string; type: string; [key: string]: unknown }[] {
    return this.requests.map((r) => JSON.parse(r.body) as { id: string; type: string });
  }
}

export function anEndpoint(overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    id: 'wh_AAAAAAAAAAAAAAAA',
    tenantId: 'acme',
    url: 'https://hooks.example.com/sealpost',
    events: ['*'],
    createdAt: '2026-11-29T12:00:00.000Z',
    createdBy: 'key:0123456789abcdef',
    wrappedSecret: new Uint8Array([1, 2, 3]),
    position: '2026-11-29T12:00:00.000Z',
    attempts: 0,
    nextAttemptAt: '2026-11-29T12:00:00.000Z',
    ...overrides,
  };
}

/** An admin principal of `tenantId`, as requireKey would set it. */
export function anAdmin(tenantId = 'acme', keyId = '0123456789abcdef'): Principal {
  return { tenant: aTenant({ id: tenantId }), keyId, scope: 'admin' };
}

/**
 * Everything registration and dispatch need, wired with fakes sharing one clock (the event log
 * records with it too). `sender` defaults to a scripted one; pass a real HttpWebhookSender to talk HTTP.
 */
export function aWebhookWorld<S extends WebhookSender = ScriptedWebhookSender>(
  options: { sender?: S; urlPolicy?: Partial<WebhookUrlPolicy> } = {},
) {
  const clock = aClock();
  const sender = options.sender ?? (new ScriptedWebhookSender() as WebhookSender as S);
  const deps = {
    webhooks: new InMemoryWebhookStore(),
    events: new InMemoryEventLog(clock),
    keys: new TestKeyWrapper(),
    sender,
    clock,
    random: (n: number) => new Uint8Array(randomBytes(n)),
    logger: new CapturingLogger(),
    urlPolicy: { allowInsecureHttp: false, allowLoopback: false, ...options.urlPolicy },
  } satisfies WebhookAdminDeps;
  const advanceSeconds = (seconds: number) => clock.set(new Date(clock().getTime() + seconds * 1000).toISOString());
  return { deps, clock, advanceSeconds };
}
