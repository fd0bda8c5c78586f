/**
 * Sealed uploads for the core and HTTP tests: a world of in-memory fakes with the real sealer, and
 * the sender's side of an upload (plan, seal, declare, put) done by hand, so a test can forge any
 * step of it.
 */
import { randomBytes } from 'node:crypto';
import { messageCenterCustody } from '../../functions/core/message-center/index.ts';
import {
  UPLOAD_PART_BYTES, compositeChecksum, planRecipients, sha256Of,
  type CompletionRecipient, type PlannedRecipient, type UploadCompletion, type UploadDeclaration, type UploadDeps,
} from '../../functions/core/messages/index.ts';
import { SubsetSealer } from '../../functions/core/protocol/index.ts';
import { toBase64 } from '../../functions/core/shared/index.ts';
import type { Principal, Tenant } from '../../functions/core/tenants/index.ts';
import { aClock, aSendingWorld, aTenant } from './builders.ts';
import { InMemoryInboxStore } from './inbox-fakes.ts';
import { InMemoryBlobStore, InMemoryUploadStore } from './upload-fakes.ts';
import { TestKeyWrapper } from './webhook-fakes.ts';

export const MiB = 1024 * 1024;
/** The product's sealer (core/protocol/openpgp-seal.ts), as the SDK seals an upload. */
export const sealer = new SubsetSealer((n) => new Uint8Array(randomBytes(n)));

/** The upload pipeline on fakes (real sealer, real Message Center custody over a test key wrapper). */
export function anUploadWorld() {
  const clock = aClock();
  const base = aSendingWorld(clock);
  const keys = new TestKeyWrapper();
  const inbox = new InMemoryInboxStore();
  base.store.inboxSink = inbox;
  const uploads = new InMemoryUploadStore();
  const blobs = new InMemoryBlobStore();
  const deps = {
    ...base, uploads, blobs, maxUploadBytes: 40 * MiB,
    custody: messageCenterCustody({ keys, inbox, random: base.random }),
  } satisfies UploadDeps;
  return { ...deps, keys, inbox };
}
export type UploadWorld = ReturnType<typeof anUploadWorld>;

export const principalOf = (tenant: Tenant = aTenant()): Principal => ({ tenant, keyId: 'key-1', scope: 'send' });

/** The parts of a sealed message as the upload lays them out (4 MiB each, the last shorter). */
export function partsOf(ciphertext: Uint8Array): Uint8Array[] {
  const count = Math.max(1, Math.ceil(ciphertext.length / UPLOAD_PART_BYTES));
  return Array.from({ length: count }, (_, i) => ciphertext.subarray(i * UPLOAD_PART_BYTES, (i + 1) * UPLOAD_PART_BYTES));
}

/** The declaration of a sealed message and each part's SHA-256 (base64), as a sender computes them. */
export async function declarationOf(ciphertext: Uint8Array): Promise<{ declaration: UploadDeclaration; parts: { index: number; sha256: string }[] }> {
  const digests = await Promise.all(partsOf(ciphertext).map((p) => sha256Of(p)));
  return {
    declaration: { bytes: ciphertext.length, sha256: await compositeChecksum(digests) },
    parts: digests.map((d, index) => ({ index, sha256: toBase64(d) })),
  };
}

/** Fresh recipients (to, then cc) with their secrets and keys, exactly as the SDK plans them. */
export function plan(to: readonly string[], cc: readonly string[] = [], passcode?: string): Promise<PlannedRecipient[]> {
  return planRecipients({ to: to.map((email) => ({ email })), cc: cc.map((email) => ({ email })), ...(passcode !== undefined ? { passcode } : {}) }, (n) => new Uint8Array(randomBytes(n)));
}

/** Some plaintext sealed for `passwords` (the content is nothing the server can see, so random bytes do). */
export function sealFor(passwords: readonly string[], bytes = 2048): Promise<Uint8Array> {
  return sealer.seal(new Uint8Array(randomBytes(bytes)), passwords);
}

/** How a sender names its recipients at completion: with each one's secret (and key, with a passcode)… */
export function withSecrets(planned: readonly PlannedRecipient[], options: { passcode?: boolean } = {}): CompletionRecipient[] {
  return planned.map((r) => ({ email: r.email, kind: r.kind, secret: r.secret, ...(options.passcode ? { key: r.key } : {}) }));
}

/** …or only with the hashes, delivering the links itself. */
export function withHashesOnly(planned: readonly PlannedRecipient[]): CompletionRecipient[] {
  return planned.map((r) => ({ email: r.email, kind: r.kind, tokenHash: r.tokenHash, linkTokenHash: r.linkTokenHash }));
}

export function completionFor(planned: readonly PlannedRecipient[], overrides: Partial<UploadCompletion> = {}): UploadCompletion {
  return { recipients: withSecrets(planned), ...overrides };
}

/**
 * The first packet of an OpenPGP message with a definite new-format length (RFC 9580 §4.2.1), and
 * the rest: enough to cut session-key packets out of a message and splice messages together.
 */
export function firstPacket(bytes: Uint8Array): { packet: Uint8Array; rest: Uint8Array } {
  const first = bytes[1] as number;
  let header: number;
  let length: number;
  if (first < 192) [header, length] = [2, first];
  else if (first < 224) [header, length] = [3, ((first - 192) << 8) + (bytes[2] as number) + 192];
  else if (first === 255) [header, length] = [6, Buffer.from(bytes.subarray(2, 6)).readUInt32BE()];
  else throw new Error('firstPacket: a partial length is not a packet this helper cuts');
  return { packet: bytes.subarray(0, header + length), rest: bytes.subarray(header + length) };
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
