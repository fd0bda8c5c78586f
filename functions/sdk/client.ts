/**
 * The sender API as a typed client: every call of /v1/messages, /v1/uploads and /v1/events (and the
 * settings, with an admin key), with retries and idempotency built in. Runs on Node 20+ and in
 * browsers: fetch and WebCrypto only. test/sdk/client.test.ts holds it against /v1/openapi.json.
 *
 * Retries: a network failure, a 5xx, a 429 or an answer with Retry-After is retried (at most
 * `maxAttempts` in all, waiting Retry-After or 0.5 s, 1 s, 2 s… with jitter). A POST is retried only
 * when it carries an Idempotency-Key, so no retry can send twice: send() and completeUpload() always
 * carry one (yours, or a random one kept across their retries).
 */
import type { EventFeedPage } from '../core/audit/index.ts';
import type { MessageStatus, MessageSummary, OpenedUpload, SendReceipt } from '../core/messages/index.ts';
import { toBase64, toBase64Url, type Address } from '../core/shared/index.ts';
import type { SettingsView } from '../core/tenants/index.ts';
import { DELIVERY_FAILED_PROBLEM, SealpostError, errorOf, type ProblemBody } from './errors.ts';

export interface ClientOptions {
  /** The deployment's origin, e.g. https://secure.example.com (SEALPOST_URL). */
  readonly url: string;
  /** An API key: "send" scope for everything but settings() (SEALPOST_API_KEY). */
  readonly apiKey: string;
  readonly fetch?: typeof fetch;
  /** Attempts per call, the first included (default 4). */
  readonly maxAttempts?: number;
  /** How the client waits between attempts (tests make it instant). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A message as a sender gives it: what POST /v1/messages takes, with attachments as bytes. */
export interface MessageInput {
  readonly to: readonly (string | Address)[];
  readonly cc?: readonly (string | Address)[];
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
  readonly attachments?: readonly { readonly filename: string; readonly contentType: string; readonly content: Uint8Array }[];
  readonly expiresInDays?: number;
  readonly maxViews?: number;
  readonly replyTo?: string;
  readonly verification?: 'none' | 'email-code';
  readonly passcode?: string;
}

export interface MessageList {
  readonly messages: readonly MessageSummary[];
  readonly cursor?: string;
}

export interface PartUploadUrl {
  readonly index: number;
  readonly bytes: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

/** A recipient named when completing an upload (see completeUpload). */
export type CompletionRecipient = Address & { readonly kind?: 'to' | 'cc' } & (
  | { readonly secret: string; readonly key?: string }
  | { readonly tokenHash: string; readonly linkTokenHash: string }
);

export interface UploadCompletionInput {
  readonly recipients: readonly CompletionRecipient[];
  readonly expiresInDays?: number;
  readonly maxViews?: number;
  readonly replyTo?: string;
  readonly verification?: 'none' | 'email-code';
  readonly passcode?: boolean;
  readonly custodyPassword?: string;
}

type Query = Readonly<Record<string, string | number | undefined>>;

const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
const MAX_RETRY_AFTER_S = 30;

export function randomIdempotencyKey(): string {
  return `sdk-${toBase64Url(crypto.getRandomValues(new Uint8Array(18)))}`;
}

export const toAddress = (a: string | Address): Address => (typeof a === 'string' ? { email: a } : a);

export class SealpostClient {
  readonly url: string;
  private readonly apiKey: string;
  private readonly fetchImpl: typeof fetch;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: ClientOptions) {
    let origin: URL | undefined;
    try {
      origin = new URL(options.url);
    } catch {
      origin = undefined;
    }
    // "localhost:3000" parses as a URL of scheme "localhost:", whose origin is "null".
    if (origin === undefined || (origin.protocol !== 'https:' && origin.protocol !== 'http:')) {
      throw new SealpostError('usage', 'The sealpost URL must be an absolute http(s) URL such as https://secure.example.com (SEALPOST_URL).');
    }
    if (!options.apiKey) throw new SealpostError('usage', 'An API key is required (SEALPOST_API_KEY).');
    this.url = origin.origin;
    this.apiKey = options.apiKey;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** POST /v1/messages: sealpost builds, seals and sends the message (≤ 4 MiB of content). */
  send(message: MessageInput, options: { idempotencyKey?: string } = {}): Promise<SendReceipt> {
    const body = {
      ...message,
      to: message.to.map(toAddress),
      cc: (message.cc ?? []).map(toAddress),
      attachments: (message.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, content: toBase64(a.content) })),
    };
    return this.call<SendReceipt>('POST', '/v1/messages', { body, idempotencyKey: options.idempotencyKey ?? randomIdempotencyKey() });
  }

  /** GET /v1/messages/{id}. */
  status(id: string): Promise<MessageStatus> {
    return this.call('GET', `/v1/messages/${encodeURIComponent(id)}`);
  }

  /** GET /v1/messages: newest first, a page at a time (cursor: the previous page's). */
  list(query: { cursor?: string; limit?: number } = {}): Promise<MessageList> {
    return this.call('GET', '/v1/messages', { query });
  }

  /** DELETE /v1/messages/{id}: every link answers "not available" from now on. */
  async revoke(id: string): Promise<void> {
    await this.call('DELETE', `/v1/messages/${encodeURIComponent(id)}`);
  }

  /** PATCH /v1/messages/{id}: a new expiry (exactly one of the two). */
  changeExpiry(id: string, change: { expiresAt: string } | { expiresInDays: number }): Promise<MessageStatus> {
    return this.call('PATCH', `/v1/messages/${encodeURIComponent(id)}`, { body: change });
  }

  /** GET /v1/events: the audit trail as a feed. */
  events(query: { since?: string; type?: string; cursor?: string; limit?: number } = {}): Promise<EventFeedPage> {
    return this.call('GET', '/v1/events', { query });
  }

  /** GET /v1/admin/settings (an admin key). */
  settings(): Promise<SettingsView> {
    return this.call('GET', '/v1/admin/settings');
  }

  /** POST /v1/uploads. Not retried: a retry would open a second upload (an unfinished one expires on its own). */
  openUpload(recipients: number): Promise<OpenedUpload> {
    return this.call('POST', '/v1/uploads', { body: { recipients }, retry: false });
  }

  /** POST /v1/uploads/{id}/parts: URLs for the parts, declaring the sealed size and checksum (the same every time). */
  async partUrls(id: string, declaration: { bytes: number; sha256: string }, parts: readonly { index: number; sha256: string }[]): Promise<PartUploadUrl[]> {
    const answer = await this.call<{ parts: PartUploadUrl[] }>('POST', `/v1/uploads/${encodeURIComponent(id)}/parts`, { body: { ...declaration, parts }, retry: true });
    return answer.parts;
  }

  /**
   * PUT one part to its URL (the blob store, not sealpost), with the headers it was given; retried like
   * any call. A part is written once (its URL carries If-None-Match: *), so a 412 Precondition Failed
   * means the part is there already — a retry whose first answer was lost, or a repeat — and is done:
   * the completion checks every part's checksum anyway. A 409 (a concurrent write of the same part
   * still in progress) is retried.
   */
  async putPart(part: Pick<PartUploadUrl, 'url' | 'headers'>, bytes: Uint8Array): Promise<void> {
    // The body sets Content-Length; browsers refuse to be told it.
    const headers = Object.fromEntries(Object.entries(part.headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
    await this.attempt(async () => {
      const response = await this.fetchImpl(part.url, { method: 'PUT', headers, body: bytes as Uint8Array<ArrayBuffer> });
      if (response.ok || response.status === 412) {
        await response.body?.cancel();
        return { done: true as const, value: undefined };
      }
      const text = await response.text();
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
      const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
      const error = new SealpostError(response.status >= 500 || response.status === 429 || response.status === 409 ? 'transient' : 'refused', `The blob store refused part: ${code ?? response.status}${message ? ` (${message})` : ''}`, response.status);
      return { done: false as const, error, retryAfter: retryAfterOf(response) };
    }, true);
  }

  /**
   * POST /v1/uploads/{id}/complete: sealpost checks the upload and sends it. A 502 delivery-failed
   * (no notification could be sent, so the message was discarded) is not retried: the upload is
   * spent, and a repeat could only answer that it was completed.
   */
  completeUpload(id: string, completion: UploadCompletionInput, options: { idempotencyKey?: string } = {}): Promise<SendReceipt> {
    return this.call('POST', `/v1/uploads/${encodeURIComponent(id)}/complete`, {
      body: completion, idempotencyKey: options.idempotencyKey ?? randomIdempotencyKey(), final: [DELIVERY_FAILED_PROBLEM],
    });
  }

  /** DELETE /v1/uploads/{id}: abandons an open upload and deletes its parts. */
  async abandonUpload(id: string): Promise<void> {
    await this.call('DELETE', `/v1/uploads/${encodeURIComponent(id)}`);
  }

  /**
   * One call of the API: JSON in, JSON (or nothing) out, retried as the header says. `retry`: whether
   * a POST may be retried without an Idempotency-Key (because repeating it changes nothing new).
   * `final`: problem types that no repeat of this call can change, so they are never retried.
   */
  private async call<T>(method: string, path: string, options: { body?: unknown; query?: Query; idempotencyKey?: string; retry?: boolean; final?: readonly string[] } = {}): Promise<T> {
    const url = new URL(path, this.url);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { Authorization: `Bearer ${this.apiKey}`, Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
    const retry = method === 'GET' || method === 'DELETE' || method === 'PATCH' || options.idempotencyKey !== undefined || options.retry === true;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return this.attempt(async () => {
      const response = await this.fetchImpl(url, { method, headers, ...(body !== undefined ? { body } : {}) });
      if (response.ok) {
        const text = await response.text();
        return { done: true as const, value: (text ? JSON.parse(text) : undefined) as T };
      }
      const problem = await response.json().catch(() => undefined) as ProblemBody | undefined;
      const error = errorOf(response.status, problem);
      if (options.final?.includes(String(problem?.type))) throw error;
      return { done: false as const, error, retryAfter: retryAfterOf(response) };
    }, retry);
  }

  private async attempt<T>(once: () => Promise<{ done: true; value: T } | { done: false; error: SealpostError; retryAfter?: number }>, retry: boolean): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let outcome: Awaited<ReturnType<typeof once>>;
      try {
        outcome = await once();
      } catch (error) {
        if (error instanceof SealpostError) throw error;
        outcome = { done: false, error: new SealpostError('transient', `sealpost could not be reached: ${(error as Error).message}`, undefined, undefined, { cause: error }) };
      }
      if (outcome.done) return outcome.value;
      const again = retry && attempt < this.maxAttempts && (outcome.error.kind === 'transient' || outcome.retryAfter !== undefined);
      if (!again) throw outcome.error;
      const base = RETRY_DELAYS_MS[Math.min(attempt - 1, RETRY_DELAYS_MS.length - 1)] as number;
      await this.sleep(outcome.retryAfter !== undefined ? outcome.retryAfter * 1000 : base + Math.floor(Math.random() * base / 2));
    }
  }
}

function retryAfterOf(response: Response): number | undefined {
  const value = Number(response.headers.get('Retry-After'));
  return Number.isFinite(value) && value >= 0 && response.headers.has('Retry-After') ? Math.min(value, MAX_RETRY_AFTER_S) : undefined;
}
