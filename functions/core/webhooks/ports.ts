/**
 * Webhook types and ports. Each port has a real adapter (DynamoDbWebhookStore, HttpWebhookSender)
 * and an in-memory fake in test/helpers/webhook-fakes.ts.
 */
import type { EventType } from '../audit/index.ts';

/** An endpoint's event filter: some event types, or ["*"] for all of them. */
export type WebhookEventFilter = readonly EventType[] | readonly ['*'];

/** The delivery state of an endpoint, written by the dispatcher under its lease. */
export interface WebhookProgress {
  /**
   * Where the endpoint stands in its tenant's event feed: a feed position (see eventPosition in
   * audit/trail.ts) passed as `after` to EventLog.listForTenant. A new endpoint starts at its creation
   * time (an ISO time sorts before every position recorded at or after it).
   */
  readonly position: string;
  /** Failed attempts at the event after `position` (0 when the last attempt succeeded). */
  readonly attempts: number;
  /** When the current run of failures began (absent while deliveries succeed). */
  readonly failingSince?: string;
  readonly lastDeliveryAt?: string;
}

/** A registered endpoint as stored. Its secret exists only wrapped by the KeyWrapper. */
export interface WebhookEndpoint extends WebhookProgress {
  /** "wh_" + 16 base64url characters. */
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  readonly events: WebhookEventFilter;
  readonly createdAt: string;
  /** "key:<keyId>" of the admin key that registered it. */
  readonly createdBy: string;
  /** The 32 secret bytes, wrapped with context {tenantId, webhookId, purpose: "webhook-signing"}. */
  readonly wrappedSecret: Uint8Array;
  /** When the dispatcher should next look at this endpoint (while leased: when the lease runs out). */
  readonly nextAttemptAt: string;
  /** The holder of the current lease, if any (see WebhookStore.claim). */
  readonly leaseToken?: string;
}

export type WebhookDeliveryStatus = 'delivered' | 'failed' | 'gave_up';

/**
 * Why a delivery failed: a closed set of classes, never an error message. These are logged and
 * shown in delivery records, so nothing of a URL, a response or the secret can ride along.
 */
export type WebhookFailure =
  | 'timeout' | 'connection' | 'dns' | 'tls' | 'blocked-address' | 'insecure-url' | 'invalid-url' | 'unknown' | `http-${number}`;

/** One attempt to deliver one event (or a ping) to one endpoint, kept 30 days. */
export interface WebhookDelivery {
  /** "dlv_…": also sent as the Sealpost-Delivery header. */
  readonly id: string;
  readonly webhookId: string;
  readonly tenantId: string;
  readonly at: string;
  readonly eventId: string;
  readonly eventType: EventType | 'ping';
  /** 1 for the first attempt at this event. */
  readonly attempt: number;
  readonly status: WebhookDeliveryStatus;
  readonly statusCode?: number;
  /** What went wrong, as a class (see WebhookFailure). */
  readonly error?: WebhookFailure;
  readonly durationMs: number;
  /** For a failed attempt: when the next one is due. */
  readonly nextAttemptAt?: string;
}

/**
 * Webhook endpoints and their delivery records. Every state change is one conditional write;
 * dispatcher writes are conditional on its lease token, so a dispatcher that lost its lease (it ran
 * too long, or the endpoint was deleted) cannot overwrite newer state.
 */
export interface WebhookStore {
  /** Stores a new endpoint; false if the id is taken. */
  create(endpoint: WebhookEndpoint): Promise<boolean>;
  /** The tenant's endpoints, oldest first. */
  listForTenant(tenantId: string): Promise<WebhookEndpoint[]>;
  /** The endpoint if it exists and belongs to `tenantId` (another tenant's id gives undefined). */
  get(tenantId: string, webhookId: string): Promise<WebhookEndpoint | undefined>;
  /** Deletes the tenant's endpoint; false when it has none with this id. Delivery records expire on their own. */
  delete(tenantId: string, webhookId: string): Promise<boolean>;
  /** Endpoints whose nextAttemptAt is at or before `now`, most overdue first (may be slightly stale). */
  listDue(now: Date, limit: number): Promise<WebhookEndpoint[]>;
  /**
   * Takes a lease: only if nextAttemptAt is still `expectedNextAttemptAt` (nobody claimed it since
   * it was listed), sets the lease token and moves nextAttemptAt to `leaseUntil`, so the endpoint
   * comes due again by itself if the holder dies. Returns the endpoint as claimed, or undefined.
   */
  claim(webhookId: string, expectedNextAttemptAt: string, leaseToken: string, leaseUntil: Date): Promise<WebhookEndpoint | undefined>;
  /**
   * Saves progress if `leaseToken` still holds the lease (failingSince is removed when absent).
   * With `release`, also ends the lease and sets nextAttemptAt to it. False when the lease is lost.
   */
  saveProgress(webhookId: string, leaseToken: string, progress: WebhookProgress, release?: Date): Promise<boolean>;
  recordDelivery(delivery: WebhookDelivery): Promise<void>;
  /** The endpoint's delivery records, newest first. */
  listDeliveries(tenantId: string, webhookId: string, limit: number): Promise<WebhookDelivery[]>;
}

export interface WebhookRequest {
  readonly url: string;
  /** Every header, the signature included (built by core). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WebhookResult {
  /** True for a 2xx answer. */
  readonly ok: boolean;
  readonly statusCode?: number;
  /** Set when not ok. */
  readonly error?: WebhookFailure;
  readonly durationMs: number;
}

/** POSTs one delivery. Never throws: every failure is a result, so the dispatcher can record it. */
export interface WebhookSender {
  send(request: WebhookRequest): Promise<WebhookResult>;
}
