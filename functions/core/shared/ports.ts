/**
 * Ports every concern uses: time, randomness, logging, envelope encryption and the built web client.
 * Each has a real adapter in functions/adapters/ and an in-memory fake in test/helpers/.
 */

export type Clock = () => Date;
/** Cryptographically secure random bytes. */
export type RandomBytes = (length: number) => Uint8Array;

/** How much a logger writes: everything, warnings and errors, errors, or nothing. */
export const LOG_LEVELS = ['info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** True when a line of `level` passes a logger set to `minimum` (LOG_LEVELS are in rising order). */
export function passesLevel(level: LogLevel, minimum: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(minimum);
}

/** Structured logger. Callers pass only non-secret fields. */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export interface WebAsset {
  readonly body: Uint8Array;
  readonly contentType: string;
}

/** The built web client (dist/web): the pickup page and its static assets by file name. */
export interface WebAssets {
  readonly pickupPage: string;
  /** The admin console page (/admin), when built. */
  readonly adminPage?: string;
  readonly assets: ReadonlyMap<string, WebAsset>;
}

/**
 * Envelope encryption of small secrets with a managed key (KMS): `context` is bound to the result,
 * so a wrapped value moved to another object (another tenant, message or purpose) fails to unwrap.
 */
export interface KeyWrapper {
  wrap(plaintext: Uint8Array, context: Readonly<Record<string, string>>): Promise<Uint8Array>;
  /** Throws DependencyError when KMS fails, and for a wrong context or tampered value. */
  unwrap(wrapped: Uint8Array, context: Readonly<Record<string, string>>): Promise<Uint8Array>;
}

