/**
 * Typed client for the admin API — the console's only way to talk to the server.
 *
 * Every request carries `Authorization: Bearer <admin key>` and nothing else that identifies the
 * user: no cookies (`credentials: 'omit'`), no referrer, no caching. Failures become an ApiError
 * carrying the problem+json body (detail, field errors, request id); status 0 means the request got
 * no answer at all.
 */

import {
  hashApiKey, keyIdOf as serverKeyIdOf, type KeyScope, type VerificationPolicy as Verification, type SettingsView as Settings,
  type KeySummary as ApiKey, type CreatedKey,
} from '../../../functions/core/tenants/index.ts';
import { EVENT_TYPES, type EventType, type PublicEvent as AuditEvent } from '../../../functions/core/audit/index.ts';
import type { SettingsPatchRequest as SettingsPatch } from '../../../functions/http/admin-schemas.ts';
import type { WebhookView as Webhook, CreatedWebhook, DeliveryView as Delivery, PingResult } from '../../../functions/core/webhooks/index.ts';
import type { RecipientStatus, MessageSummary, MessageStatus as MessageDetail } from '../../../functions/core/messages/index.ts';
import type { RecoveryLink } from '../../../functions/core/message-center/index.ts';

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

// The console's view of the wire is the server's own response and request types: type-only
// imports, so nothing of the server's code reaches the bundle, and a change of shape fails tsc.

export type {
  KeyScope, Verification, Settings, SettingsPatch, ApiKey, CreatedKey, Webhook, CreatedWebhook, Delivery, PingResult,
  RecipientStatus, MessageSummary, MessageDetail, AuditEvent, RecoveryLink,
};

/** Every event type a webhook can subscribe to (the server's own list). */
export { EVENT_TYPES };
export type { EventType };

export interface LogoUpload {
  readonly contentType: 'image/png' | 'image/svg+xml';
  /** Standard base64. */
  readonly data: string;
}

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** A failed request: the server's problem details, or status 0 when there was no answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly fieldErrors: readonly FieldError[] = [],
    readonly requestId?: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

const NO_ANSWER = 'The server could not be reached. Check your connection and try again.';

export class AdminApi {
  constructor(
    private readonly key: string,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
  ) {}

  getSettings(): Promise<Settings> {
    return this.call('GET', '/v1/admin/settings');
  }

  /** `revision` is the one the form was filled from: the server refuses (409) if it changed since. */
  updateSettings(patch: SettingsPatch, revision: number): Promise<Settings & { notices: string[] }> {
    return this.call('PATCH', '/v1/admin/settings', patch, { 'If-Match': `"${revision}"` });
  }

  listKeys(): Promise<{ keys: ApiKey[] }> {
    return this.call('GET', '/v1/admin/keys');
  }

  createKey(scope: KeyScope): Promise<CreatedKey> {
    return this.call('POST', '/v1/admin/keys', { scope });
  }

  revokeKey(id: string): Promise<void> {
    return this.call('DELETE', `/v1/admin/keys/${encodeURIComponent(id)}`);
  }

  listWebhooks(): Promise<{ webhooks: Webhook[] }> {
    return this.call('GET', '/v1/admin/webhooks');
  }

  createWebhook(url: string, events: readonly string[]): Promise<CreatedWebhook> {
    return this.call('POST', '/v1/admin/webhooks', { url, events });
  }

  deleteWebhook(id: string): Promise<void> {
    return this.call('DELETE', `/v1/admin/webhooks/${encodeURIComponent(id)}`);
  }

  /** The newest delivery records first (`limit` of them, default the server's). */
  listDeliveries(id: string, limit?: number): Promise<{ deliveries: Delivery[] }> {
    return this.call('GET', `/v1/admin/webhooks/${encodeURIComponent(id)}/deliveries${limit === undefined ? '' : `?limit=${limit}`}`);
  }

  pingWebhook(id: string): Promise<PingResult> {
    return this.call('POST', `/v1/admin/webhooks/${encodeURIComponent(id)}/ping`);
  }

  listMessages(cursor?: string): Promise<{ messages: MessageSummary[]; cursor?: string }> {
    return this.call('GET', `/v1/messages?${query({ limit: '25', cursor })}`);
  }

  getMessage(id: string): Promise<MessageDetail> {
    return this.call('GET', `/v1/messages/${encodeURIComponent(id)}`);
  }

  revokeMessage(id: string): Promise<void> {
    return this.call('DELETE', `/v1/messages/${encodeURIComponent(id)}`);
  }

  /** A new expiry, `days` from now (within the organisation's limit, counted from the message's creation). */
  changeExpiry(id: string, days: number): Promise<MessageDetail> {
    return this.call('PATCH', `/v1/messages/${encodeURIComponent(id)}`, { expiresInDays: days });
  }

  /** A one-time recovery link for a Message Center message: a bearer credential, shown once. */
  recoverMessage(id: string): Promise<RecoveryLink> {
    return this.call('POST', `/v1/admin/messages/${encodeURIComponent(id)}/recover`);
  }

  /** The audit trail, newest first: back to `since` (ISO time), a page at a time from the previous page's cursor. */
  listEvents(from: { since: string; cursor?: string }): Promise<{ events: AuditEvent[]; cursor?: string; hasMore: boolean }> {
    return this.call('GET', `/v1/events?${query({ order: 'newest', limit: '100', since: from.since, cursor: from.cursor })}`);
  }

  private async call<T>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', Authorization: `Bearer ${this.key}`, ...extraHeaders };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch {
      throw new ApiError(0, NO_ANSWER);
    }
    if (response.ok) {
      if (response.status === 204) return undefined as T;
      try {
        return (await response.json()) as T;
      } catch {
        throw new ApiError(0, NO_ANSWER);
      }
    }
    throw await toApiError(response);
  }
}

function query(params: Readonly<Record<string, string | undefined>>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, value);
  return search.toString();
}

async function toApiError(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const detail = typeof problem.detail === 'string' && problem.detail !== '' ? problem.detail : `The server answered ${response.status}. Try again.`;
  const errors = Array.isArray(problem.errors)
    ? problem.errors.filter((e): e is FieldError => typeof e === 'object' && e !== null && typeof e.field === 'string' && typeof e.message === 'string')
    : [];
  const requestId = typeof problem.requestId === 'string' ? problem.requestId : undefined;
  return new ApiError(response.status, detail, errors, requestId);
}

/**
 * The id under which the server lists `key`, computed exactly as the server does (core/tenants/api-keys.ts),
 * so the console recognises the key it is signed in with without sending it anywhere else.
 */
export async function keyIdOf(key: string): Promise<string | undefined> {
  if (!globalThis.crypto?.subtle) return undefined;
  return serverKeyIdOf(key, await hashApiKey(key));
}
