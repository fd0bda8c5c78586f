/**
 * WebhookSender on node:http / node:https. SSRF defence lives here, at connection time: the host
 * name is resolved by our own `lookup`, every address it resolves to is checked, and the socket
 * connects to exactly the address that was checked — no second DNS query, so no rebinding window.
 * IP-literal hosts (which Node connects to without a lookup) are checked before the request.
 * Redirects are not followed (a 3xx is a failed attempt), so a receiver cannot bounce us inward.
 */
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  isAllowedAddress, type AddressPolicy, type WebhookFailure, type WebhookRequest, type WebhookResult, type WebhookSender,
} from '../../core/webhooks/index.ts';

export const WEBHOOK_TIMEOUT_MS = 10_000;
/** A receiver's answer is read up to this size and thrown away: only the status code matters. */
const MAX_RESPONSE_BYTES = 4 * 1024;

export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface HttpWebhookSenderOptions {
  /** Local mode only: allow 127.0.0.0/8 and ::1. */
  readonly allowLoopback?: boolean;
  /** Local mode only: allow http:// URLs. */
  readonly allowInsecureHttp?: boolean;
  /** The whole attempt, connection to response (default 10 s). */
  readonly timeoutMs?: number;
  /** DNS resolution (default: the system resolver, every address). */
  readonly resolve?: Resolver;
}

const systemResolve: Resolver = (hostname) => new Promise((resolve, reject) => {
  dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
});

class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
}

class AttemptTimeoutError extends Error {
  readonly code = 'EATTEMPTTIMEOUT';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** Sorts a network error into the few classes a delivery record shows (never its message). */
export function classifyNetworkError(error: unknown): WebhookFailure {
  const inner = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const code = String((inner as { code?: unknown } | null)?.code ?? '');
  if (code === 'EBLOCKEDADDRESS') return 'blocked-address';
  if (code === 'EATTEMPTTIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return 'dns';
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_CERT)/.test(code)) return 'tls';
  return 'connection';
}

export class HttpWebhookSender implements WebhookSender {
  private readonly policy: AddressPolicy;
  private readonly allowInsecureHttp: boolean;
  private readonly timeoutMs: number;
  private readonly resolve: Resolver;

  constructor(options: HttpWebhookSenderOptions = {}) {
    this.policy = { allowLoopback: options.allowLoopback ?? false };
    this.allowInsecureHttp = options.allowInsecureHttp ?? false;
    this.timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
    this.resolve = options.resolve ?? systemResolve;
  }

  async send(request: WebhookRequest): Promise<WebhookResult> {
    const started = performance.now();
    const done = (result: Omit<WebhookResult, 'durationMs'>): WebhookResult => ({ ...result, durationMs: Math.round(performance.now() - started) });
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return done({ ok: false, error: 'invalid-url' });
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.allowInsecureHttp)) return done({ ok: false, error: 'insecure-url' });
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !isAllowedAddress(host, this.policy)) return done({ ok: false, error: 'blocked-address' });
    try {
      const statusCode = await this.post(url, request);
      const ok = statusCode >= 200 && statusCode < 300;
      return done({ ok, statusCode, ...(ok ? {} : { error: `http-${statusCode}` }) });
    } catch (error) {
      return done({ ok: false, error: classifyNetworkError(error) });
    }
  }

  /** Resolves, refuses the whole host if any of its addresses is not allowed, and hands Node the checked ones. */
  private readonly lookup: LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    this.resolve(hostname).then((all) => {
      const addresses = all.filter((a) => !options.family || a.family === options.family);
      // A host with one inward address among public ones is refused outright: which one Node would
      // try first is not ours to predict.
      if (all.some((a) => !isAllowedAddress(a.address, this.policy))) {
        callback(new BlockedAddressError('The webhook host resolves to an address that is not allowed.'), '', 0);
      } else if (addresses.length === 0) {
        callback(Object.assign(new Error('The webhook host has no usable address.'), { code: 'ENOTFOUND' }), '', 0);
      } else if (options.all) {
        callback(null, addresses.map((a) => ({ address: a.address, family: a.family })));
      } else {
        const first = addresses[0] as LookupAddress;
        callback(null, first.address, first.family);
      }
    }, (error: NodeJS.ErrnoException) => callback(error, '', 0));
  };

  private post(url: URL, request: WebhookRequest): Promise<number> {
    return new Promise((resolve, reject) => {
      let statusCode: number | undefined;
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // Once the status line is in, the attempt's outcome is known; a slow or endless body changes nothing.
        if (statusCode !== undefined) resolve(statusCode);
        else reject(error);
        req.destroy();
      };
      const body = Buffer.from(request.body, 'utf8');
      const client = url.protocol === 'https:' ? https : http;
      const req = client.request(url, {
        method: 'POST',
        headers: { ...request.headers, 'Content-Length': String(body.length) },
        lookup: this.lookup,
        // A fresh connection per attempt: a pooled socket would skip the address check.
        agent: false,
      }, (res) => {
        statusCode = res.statusCode ?? 0;
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) settle();
        });
        res.on('end', () => settle());
        res.on('error', (error) => settle(error));
        res.on('close', () => settle());
      });
      const timer = setTimeout(() => settle(new AttemptTimeoutError('The webhook did not answer in time.')), this.timeoutMs);
      req.on('error', (error) => settle(error));
      req.end(body);
    });
  }
}
