/**
 * Sealed uploads in core, on in-memory fakes with the real sealer (core/protocol's, as the SDK seals;
 * openpgp.js for another client's messages and for forgeries): what a sender may
 * upload and what it may not. Every forgery is refused with a 422 that says why, and changes
 * nothing: the upload stays open, no head is written, no email and no event goes out.
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { OpenPgpSealer } from '../../helpers/openpgp-sealer.ts';
import {
  MAX_UPLOAD_RECIPIENTS, UPLOAD_CLAIM_LEASE_MS, UPLOAD_PART_BYTES, abortUpload, completeUpload, openUpload, partUploads,
  type OpenedUpload, type PlannedRecipient, type SendContext, type UploadCompletion,
} from '../../../functions/core/messages/index.ts';
import { unwrapCustodyKey, unwrapSecret } from '../../../functions/core/message-center/index.ts';
import { SealedShapeReader, deriveAccessToken, deriveLinkToken, deriveMessageKey, encodeSecret, hashAccessToken } from '../../../functions/core/protocol/index.ts';
import { ConflictError, DependencyError, NotFoundError, PayloadTooLargeError, ValidationError, type AppError } from '../../../functions/core/shared/index.ts';
import type { Principal } from '../../../functions/core/tenants/index.ts';
import { aTenant, parseLink } from '../../helpers/builders.ts';
import {
  MiB, anUploadWorld, completionFor, concat, declarationOf, firstPacket, partsOf, plan, principalOf, sealFor, sealer, withHashesOnly, withSecrets,
  type UploadWorld,
} from '../../helpers/sealed-uploads.ts';

const ctx = (overrides: Partial<SendContext> = {}): SendContext => ({ requestHash: 'request-hash', ...overrides });
const acme = principalOf();
const messageCenter = principalOf(aTenant({ id: 'mc', settings: { messageCenter: true } }));
const other = principalOf(aTenant({ id: 'other' }));

/** Opens an upload for `planned`, seals `ciphertext` (by default: sealed honestly for them) and declares and puts every part. */
async function anUpload(world: UploadWorld, options: {
  principal?: Principal; planned?: PlannedRecipient[];
  ciphertext?: (planned: PlannedRecipient[], opened: OpenedUpload) => Promise<Uint8Array>;
} = {}) {
  const principal = options.principal ?? acme;
  const planned = options.planned ?? await plan(['alice@example.com'], ['bob@example.com']);
  const opened = await openUpload(world, principal, { recipients: planned.length });
  const ciphertext = options.ciphertext
    ? await options.ciphertext(planned, opened)
    : await sealFor([...planned.map((r) => r.key), ...(opened.custodyPassword ? [opened.custodyPassword] : [])]);
  const { declaration, parts } = await declarationOf(ciphertext);
  await partUploads(world, principal, opened.id, declaration, parts);
  partsOf(ciphertext).forEach((bytes, index) => world.blobs.put(opened.id, index, bytes));
  const complete = (completion: UploadCompletion = completionFor(planned, opened.custodyPassword ? { custodyPassword: opened.custodyPassword } : {}), context = ctx()) =>
    completeUpload(world, principal, opened.id, completion, context);
  return { principal, planned, opened, id: opened.id, ciphertext, complete };
}

/** Runs `attempt`, expects the 422 that says `why`, and that nothing changed. */
async function expectRefused(world: UploadWorld, id: string, attempt: Promise<unknown>, why: RegExp, field?: string): Promise<ValidationError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  const refusal = error as ValidationError;
  expect(`${refusal.detail} ${refusal.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`).toMatch(why);
  if (field !== undefined) expect(refusal.issues.map((i) => i.field)).toContain(field);
  expect(world.uploads.uploads.get(id)?.state).toBe('open');
  expect(world.store.heads.has(id)).toBe(false);
  expect(world.notifier.sent).toEqual([]);
  expect(world.events.events).toEqual([]);
  expect([...world.blobs.objects.entries()].filter(([k]) => k.startsWith(`${id}/`)).every(([, o]) => o.state === 'pending')).toBe(true);
  return refusal;
}

/** The world with a sealer that records every unlock it is asked for (the session-key packets it was given). */
function countingUnlocks(world: UploadWorld): { world: UploadWorld; unlocks: Uint8Array[] } {
  const unlocks: Uint8Array[] = [];
  const real = world.sealer;
  const sealer = Object.assign(Object.create(real) as typeof real, {
    unlock: (packets: Uint8Array, password: string) => {
      unlocks.push(packets);
      return real.unlock(packets, password);
    },
  });
  return { world: { ...world, sealer }, unlocks };
}

async function failure(attempt: Promise<unknown>): Promise<AppError> {
  return attempt.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as AppError);
}

/** The ciphertext as the recipients' browsers get it: every part from the blob store, in order. */
function storedCiphertext(world: UploadWorld, id: string, parts: number): Uint8Array {
  return concat(...Array.from({ length: parts }, (_, i) => world.blobs.objects.get(`${id}/${i}`)?.bytes as Uint8Array));
}

describe('completeUpload', () => {
  describe('sends a message sealed by its sender', () => {
    it('stores the head over the uploaded parts and emails every recipient a link that opens it when it is sealed honestly', async () => {
      const world = anUploadWorld();
      const plaintext = new Uint8Array(randomBytes(5 * MiB));
      const upload = await anUpload(world, { ciphertext: (planned) => sealer.seal(plaintext, planned.map((r) => r.key)) });

      const receipt = await upload.complete();

      expect(receipt.recipients).toEqual([{ email: 'alice@example.com', status: 'notified' }, { email: 'bob@example.com', status: 'notified' }]);
      const head = world.store.heads.get(upload.id);
      expect(head?.blob?.parts).toEqual([UPLOAD_PART_BYTES, upload.ciphertext.length - UPLOAD_PART_BYTES]);
      expect(head?.custody).toBe('link');
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('committed');
      expect([...world.blobs.objects.values()].map((o) => o.state)).toEqual(['committed', 'committed']);
      expect(world.events.events.map((e) => e.type)).toEqual(['created', 'notified', 'notified']);
      for (const [index, notification] of world.notifier.sent.entries()) {
        const { id, secret } = parseLink(notification.html);
        expect(id).toBe(upload.id);
        expect(secret).toBe(upload.planned[index]?.secret);
        expect(head?.recipients[index]?.tokenHash).toBe(await hashAccessToken(await deriveAccessToken(await deriveMessageKey(secret))));
        expect(head?.recipients[index]?.linkTokenHash).toBe(await hashAccessToken(await deriveLinkToken(secret)));
      }
      const opened = await sealer.open(storedCiphertext(world, upload.id, 2), await deriveMessageKey(upload.planned[1]?.secret as string));
      expect(Buffer.from(opened).equals(Buffer.from(plaintext))).toBe(true);
    });

    it('sends a message another client sealed with openpgp.js as sealpost seals (docs/protocol.md §3), and unlocks it as openpgp.js does', async () => {
      const world = anUploadWorld();
      const plaintext = new Uint8Array(randomBytes(300_000));
      const upload = await anUpload(world, { ciphertext: (planned) => new OpenPgpSealer().seal(plaintext, planned.map((r) => r.key)) });

      const receipt = await upload.complete();

      expect(receipt.recipients.map((r) => r.status)).toEqual(['notified', 'notified']);
      const opened = await sealer.open(storedCiphertext(world, upload.id, 1), await deriveMessageKey(upload.planned[0]?.secret as string));
      expect(Buffer.from(opened).equals(Buffer.from(plaintext))).toBe(true);
    });

    it('keeps the keys of a message sealed with a passcode, which opens with the secret and the passcode together', async () => {
      const world = anUploadWorld();
      const planned = await plan(['alice@example.com'], [], 'blue-harbour-42');
      const upload = await anUpload(world, { planned });

      await upload.complete({ recipients: withSecrets(planned, { passcode: true }), passcode: true });

      const head = world.store.heads.get(upload.id);
      expect(head?.passcode).toBe(true);
      const secret = parseLink(world.notifier.sent[0]?.html ?? '').secret;
      const key = await deriveMessageKey(secret, 'blue-harbour-42');
      expect(head?.recipients[0]?.tokenHash).toBe(await hashAccessToken(await deriveAccessToken(key)));
      await expect(sealer.open(upload.ciphertext, key)).resolves.toBeInstanceOf(Uint8Array);
      await expect(sealer.open(upload.ciphertext, await deriveMessageKey(secret))).rejects.toThrow();
    });

    it('keeps a Message Center message\'s secrets and custody key, and the custody key opens it', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { principal: messageCenter });
      expect(upload.opened.custodyPassword).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const receipt = await upload.complete();

      expect(receipt.recipients.map((r) => r.status)).toEqual(['notified', 'notified']);
      const head = world.store.heads.get(upload.id);
      expect(head?.custody).toBe('message-center');
      const custodyKey = encodeSecret(await unwrapCustodyKey(world.keys, head!));
      expect(custodyKey).toBe(upload.opened.custodyPassword);
      await expect(sealer.open(upload.ciphertext, custodyKey)).resolves.toBeInstanceOf(Uint8Array);
      expect(encodeSecret(await unwrapSecret(world.keys, head!, 'r1'))).toBe(upload.planned[1]?.secret);
      expect(world.inbox.entries.size).toBeGreaterThan(0);
    });

    it('emails nobody when the sender delivers the links itself, and the links it holds open the message', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);

      const receipt = await upload.complete({ recipients: withHashesOnly(upload.planned) });

      expect(receipt.recipients).toEqual([{ email: 'alice@example.com', status: 'sender' }, { email: 'bob@example.com', status: 'sender' }]);
      expect(world.notifier.sent).toEqual([]);
      const head = world.store.heads.get(upload.id);
      expect(head?.recipients.map((r) => r.status)).toEqual(['sender', 'sender']);
      expect(world.events.events.map((e) => e.type)).toEqual(['created']);
      const alice = upload.planned[0] as PlannedRecipient;
      expect(head?.recipients[0]?.tokenHash).toBe(await hashAccessToken(await deriveAccessToken(await deriveMessageKey(alice.secret))));
      await expect(sealer.open(upload.ciphertext, alice.key)).resolves.toBeInstanceOf(Uint8Array);
    });
  });

  describe('refuses a forged upload (422) and changes nothing', () => {
    it('refuses a message sealed for one recipient more than it names', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { ciphertext: (planned) => sealFor([...planned.map((r) => r.key), encodeSecret(randomBytes(32))]) });

      await expectRefused(world, upload.id, upload.complete(), /sealed for 3 key\(s\); 2 recipient\(s\) make 2/);
    });

    it('refuses a message sealed for one recipient fewer than it names', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { ciphertext: (planned) => sealFor([planned[0]!.key]) });

      await expectRefused(world, upload.id, upload.complete(), /sealed for 1 key\(s\); 2 recipient\(s\) make 2/);
    });

    it('refuses a Message Center message not sealed for the custody key', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { principal: messageCenter, ciphertext: (planned) => sealFor(planned.map((r) => r.key)) });

      await expectRefused(world, upload.id, upload.complete(), /sealed for 2 key\(s\); 2 recipient\(s\) and the custody key make 3/);
    });

    it('refuses an upload whose last part is short', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { ciphertext: (planned) => sealer.seal(new Uint8Array(randomBytes(5 * MiB)), planned.map((r) => r.key)) });
      const last = world.blobs.objects.get(`${upload.id}/1`)!.bytes;
      world.blobs.put(upload.id, 1, last.subarray(0, last.length - 1));

      await expectRefused(world, upload.id, upload.complete(), new RegExp(`Part 1 has ${last.length - 1} bytes; the layout gives it ${last.length}`), 'parts[1]');
    });

    it('refuses an upload with a part missing', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { ciphertext: (planned) => sealer.seal(new Uint8Array(randomBytes(5 * MiB)), planned.map((r) => r.key)) });
      world.blobs.objects.delete(`${upload.id}/1`);

      await expectRefused(world, upload.id, upload.complete(), /Part 1 was not uploaded/, 'parts[1]');
    });

    it('refuses a message cut short even when its sender declared the shorter size', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { ciphertext: async (planned) => (await sealFor(planned.map((r) => r.key), 4096)).subarray(0, 3000) });

      await expectRefused(world, upload.id, upload.complete(), /not a message sealed the way sealpost seals: the sealed message is cut short/);
    });

    it('refuses random bytes', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { ciphertext: async () => new Uint8Array(randomBytes(3000)) });

      await expectRefused(world, upload.id, upload.complete(), /not a message sealed the way sealpost seals/);
    });

    it('refuses an armored OpenPGP message', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, {
        ciphertext: async (planned) => new TextEncoder().encode(await openpgp.encrypt({
          message: await openpgp.createMessage({ binary: new Uint8Array(100) }), passwords: planned.map((r) => r.key), format: 'armored', config: { aeadProtect: true },
        })),
      });

      await expectRefused(world, upload.id, upload.complete(), /not a message sealed the way sealpost seals: a packet has a legacy or invalid header/);
    });

    it('refuses a message that begins with a literal data packet (plaintext)', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, {
        ciphertext: async () => await (await openpgp.createMessage({ binary: new Uint8Array(randomBytes(2000)), format: 'binary' })).write() as Uint8Array,
      });

      await expectRefused(world, upload.id, upload.complete(), /a packet of type 11 has no place in a sealed message/);
    });

    it('refuses a message that begins with a compressed data packet', async () => {
      const world = anUploadWorld();
      // A compressed data packet (tag 8, new format, ZIP) of a literal packet: readable by anyone.
      const literal = await (await openpgp.createMessage({ binary: new Uint8Array(2000).fill(65), format: 'binary' })).write() as Uint8Array;
      const body = concat(new Uint8Array([1]), deflateRawSync(literal));
      const header = Buffer.from([0xc8, 0xff, 0, 0, 0, 0]);
      header.writeUInt32BE(body.length, 2);
      const compressed = concat(header, body);
      const upload = await anUpload(world, { ciphertext: async () => compressed });

      await expectRefused(world, upload.id, upload.complete(), /a packet of type 8 has no place in a sealed message/);
    });

    it('refuses a SEIPD v1 message (no AEAD), as openpgp.js writes it', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, {
        ciphertext: async (planned) => await openpgp.encrypt({
          message: await openpgp.createMessage({ binary: new Uint8Array(2000) }), passwords: planned.map((r) => r.key), format: 'binary', config: { aeadProtect: false },
        }) as Uint8Array,
      });

      await expectRefused(world, upload.id, upload.complete(), /a session key packet is not SKESK v6/);
    });

    it('refuses a SEIPD v1 packet behind sealpost\'s own session-key packets', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, {
        ciphertext: async (planned) => {
          const honest = await sealFor(planned.map((r) => r.key));
          const reader = new SealedShapeReader();
          reader.push(honest);
          const skesks = reader.finish().sessionKeyPackets;
          const v1 = await openpgp.encrypt({
            message: await openpgp.createMessage({ binary: new Uint8Array(2000) }), passwords: [planned[0]!.key], format: 'binary', config: { aeadProtect: false },
          }) as Uint8Array;
          return concat(skesks, firstPacket(v1).rest);
        },
      });

      await expectRefused(world, upload.id, upload.complete(), /the encrypted data packet is not SEIPD v2/);
    });

    it.each<[string, openpgp.PartialConfig, RegExp]>([
      ['an Argon2 S2K', { s2kType: openpgp.enums.s2k.argon2, s2kArgon2Params: { passes: 1, parallelism: 1, memoryExponent: 10 } }, /string-to-key \(type 4, 20 octets\) is not the one sealpost writes/],
      ['an iterated S2K of a higher count', { s2kIterationCountByte: 96 }, /string-to-key \(type 3, 11 octets\) is not the one sealpost writes: iterated and salted \(type 3\), SHA-256, count byte 0/],
    ])('refuses a message whose session keys use %s (the server would pay for it), before trying any secret', async (_what, config, why) => {
      const counted = countingUnlocks(anUploadWorld());
      const upload = await anUpload(counted.world, {
        ciphertext: async (planned) => await openpgp.encrypt({
          message: await openpgp.createMessage({ binary: new Uint8Array(2000) }), passwords: planned.map((r) => r.key), format: 'binary',
          config: { aeadProtect: true, ...config },
        }) as Uint8Array,
      });

      await expectRefused(counted.world, upload.id, upload.complete(), why);
      expect(counted.unlocks).toEqual([]);
    });

    it('refuses a part swapped in from another upload of the same size (the checksum)', async () => {
      const world = anUploadWorld();
      const planned = await plan(['alice@example.com'], ['bob@example.com']);
      const content = () => sealer.seal(new Uint8Array(randomBytes(5 * MiB)), planned.map((r) => r.key));
      const first = await anUpload(world, { planned, ciphertext: content });
      const second = await anUpload(world, { planned, ciphertext: content });
      expect(second.ciphertext.length).toBe(first.ciphertext.length);
      world.blobs.put(first.id, 1, world.blobs.objects.get(`${second.id}/1`)!.bytes);

      await expectRefused(world, first.id, first.complete(), /do not match the checksum the upload was opened with/);
    });

    it('refuses a secret that opens none of the session keys', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { ciphertext: (planned) => sealFor([planned[0]!.key, encodeSecret(randomBytes(32))]) });

      await expectRefused(world, upload.id, upload.complete(), /The secret of recipient 1 does not open session key packet 1/, 'recipients[1]');
    });

    it('refuses recipients named in another order than the message was sealed for (each secret opens its own place only)', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);
      const [alice, bob] = withSecrets(upload.planned);

      await expectRefused(world, upload.id, upload.complete({ recipients: [{ ...bob!, kind: 'to' }, { ...alice!, kind: 'cc' }] }), /The secret of recipient 0 does not open session key packet 0 \(counted from 0\): a message is sealed for its recipients in the order they are named/, 'recipients[0]');
    });

    it('refuses a Message Center message sealed for the custody key anywhere but last', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, {
        principal: messageCenter,
        ciphertext: (planned, opened) => sealFor([opened.custodyPassword!, ...planned.map((r) => r.key)]),
      });

      await expectRefused(world, upload.id, upload.complete(), /The secret of recipient 0 does not open session key packet 0/, 'recipients[0]');
    });

    it('refuses two recipients given the same secret', async () => {
      const world = anUploadWorld();
      const [alice, bob] = await plan(['alice@example.com'], ['bob@example.com']) as [PlannedRecipient, PlannedRecipient];
      const planned = [alice, { ...bob, secret: alice.secret, key: alice.key }];
      const upload = await anUpload(world, { planned });

      await expectRefused(world, upload.id, upload.complete(), /Two recipients were given the same secret/, 'recipients');
    });

    it('refuses secrets that open different session keys (two messages spliced together)', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, {
        ciphertext: async (planned) => {
          const forAlice = await sealFor([planned[0]!.key]);
          const forBob = await sealFor([planned[1]!.key]);
          const alices = firstPacket(forAlice);
          return concat(alices.packet, firstPacket(forBob).packet, alices.rest);
        },
      });

      await expectRefused(world, upload.id, upload.complete(), /The secrets open different session keys/, 'recipients[1]');
    });

    it('refuses a passcode without each recipient\'s key', async () => {
      const world = anUploadWorld();
      const planned = await plan(['alice@example.com'], [], 'blue-harbour-42');
      const upload = await anUpload(world, { planned });

      await expectRefused(world, upload.id, upload.complete({ recipients: withSecrets(planned), passcode: true }), /is required with a passcode/, 'recipients[0].key');
    });

    it('refuses links delivered by the sender for Message Center, which keeps every secret', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { principal: messageCenter });

      await expectRefused(world, upload.id, upload.complete({ recipients: withHashesOnly(upload.planned), custodyPassword: upload.opened.custodyPassword! }), /needs its secret: Message Center/, 'recipients[0]');
    });

    it('refuses a wrong or missing custody password', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { principal: messageCenter });

      await expectRefused(world, upload.id, upload.complete(completionFor(upload.planned, { custodyPassword: encodeSecret(randomBytes(32)) })), /custodyPassword must be the one this upload was opened with/, 'custodyPassword');
      await expectRefused(world, upload.id, upload.complete(completionFor(upload.planned)), /custodyPassword must be the one/, 'custodyPassword');
    });

    it('refuses recipients who do not fit the upload (another count, no "to", an address twice)', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);
      const [alice, bob] = withSecrets(upload.planned);

      await expectRefused(world, upload.id, upload.complete({ recipients: [alice!] }), /names 1 recipient\(s\); the upload was opened and sealed for 2/);
      await expectRefused(world, upload.id, upload.complete({ recipients: [{ ...alice!, kind: 'cc' }, bob!] }), /needs at least one "to" recipient/);
      await expectRefused(world, upload.id, upload.complete({ recipients: [alice!, { ...bob!, email: 'ALICE@example.com' }] }), /names a recipient twice/, 'recipients[1].email');
    });

    it('refuses to complete before any part was declared', async () => {
      const world = anUploadWorld();
      const planned = await plan(['alice@example.com']);
      const opened = await openUpload(world, acme, { recipients: 1 });

      await expectRefused(world, opened.id, completeUpload(world, acme, opened.id, completionFor(planned), ctx()), /No part was declared/);
    });
  });

  describe('does work in proportion to its recipients, bounded', () => {
    it('tries each key on one session key packet only, the one at its place, and the custody key on the last', async () => {
      const counted = countingUnlocks(anUploadWorld());
      const planned = await plan(['a@example.com', 'b@example.com'], ['c@example.com']);
      const upload = await anUpload(counted.world, { principal: messageCenter, planned });
      const reader = new SealedShapeReader();
      reader.push(upload.ciphertext);
      const skesks = reader.finish().sessionKeyPacketList;

      await upload.complete();

      expect(skesks).toHaveLength(4);
      expect(counted.unlocks.map((p) => Buffer.from(p).toString('hex'))).toEqual(skesks.map((p) => Buffer.from(p).toString('hex')));
    });

    it('refuses to open an upload for more recipients than a message may have, or for none', async () => {
      const world = anUploadWorld();

      const tooMany = await failure(openUpload(world, acme, { recipients: MAX_UPLOAD_RECIPIENTS + 1 }));
      const none = await failure(openUpload(world, acme, { recipients: 0 }));

      expect(tooMany).toBeInstanceOf(ValidationError);
      expect((tooMany as ValidationError).issues).toEqual([{ field: 'recipients', message: `must be a whole number from 1 to ${MAX_UPLOAD_RECIPIENTS}` }]);
      expect(none).toBeInstanceOf(ValidationError);
      expect(world.uploads.uploads.size).toBe(0);
    });

    it('refuses a completion naming more recipients than a message may have, even for an upload recorded for them, before any unlock', async () => {
      const counted = countingUnlocks(anUploadWorld());
      const upload = await anUpload(counted.world);
      const many = Array.from({ length: MAX_UPLOAD_RECIPIENTS + 1 }, (_, i) => ({ ...withHashesOnly(upload.planned)[0]!, email: `r${i}@example.com` }));
      counted.world.uploads.uploads.set(upload.id, { ...counted.world.uploads.uploads.get(upload.id)!, recipients: many.length });

      await expectRefused(counted.world, upload.id, upload.complete({ recipients: many }), new RegExp(`names ${MAX_UPLOAD_RECIPIENTS + 1} recipients; a message has at most ${MAX_UPLOAD_RECIPIENTS}`), 'recipients');
      expect(counted.unlocks).toEqual([]);
    });
  });

  describe('keeps an upload safe to retry', () => {
    it('gives the upload back when the head cannot be stored, so a retry succeeds', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);
      world.store.failCreate = true;

      const error = await failure(upload.complete(completionFor(upload.planned), ctx({ idempotencyKey: 'k-1' })));

      expect(error).toBeInstanceOf(DependencyError);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('open');
      expect(world.notifier.sent).toEqual([]);
      world.store.failCreate = false;
      const receipt = await upload.complete(completionFor(upload.planned), ctx({ idempotencyKey: 'k-1' }));
      expect(receipt.recipients.map((r) => r.status)).toEqual(['notified', 'notified']);
      expect(world.notifier.sent).toHaveLength(2);
    });

    it('puts the committed parts back to pending when the head cannot be stored, so they expire unless the sender retries', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { ciphertext: (planned) => sealer.seal(new Uint8Array(randomBytes(5 * MiB)), planned.map((r) => r.key)) });
      world.store.failCreate = true;

      const error = await failure(upload.complete());

      expect(error).toBeInstanceOf(DependencyError);
      expect(world.store.heads.has(upload.id)).toBe(false);
      expect([...world.blobs.objects.values()].map((o) => o.state)).toEqual(['pending', 'pending']);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('open');
      world.store.failCreate = false;
      await upload.complete();
      expect([...world.blobs.objects.values()].map((o) => o.state)).toEqual(['committed', 'committed']);
    });

    it('puts the parts back to pending when committing them fails halfway, and the upload can be completed again', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world, { ciphertext: (planned) => sealer.seal(new Uint8Array(randomBytes(5 * MiB)), planned.map((r) => r.key)) });
      const commit = world.blobs.commit.bind(world.blobs);
      // The first part is tagged, then the store stops answering.
      world.blobs.commit = async (id: string) => { await commit(id, 1); throw new DependencyError('S3 did not answer', 's3'); };

      const error = await failure(upload.complete());

      expect(error).toBeInstanceOf(DependencyError);
      expect([...world.blobs.objects.values()].map((o) => o.state)).toEqual(['pending', 'pending']);
      expect(world.store.heads.has(upload.id)).toBe(false);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('open');
      world.blobs.commit = commit;
      await upload.complete();
      expect([...world.blobs.objects.values()].map((o) => o.state)).toEqual(['committed', 'committed']);
    });

    it('leaves the parts committed when it cannot tell whether the head was written (a live message\'s parts never expire early)', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);
      world.store.failCreate = true;
      const getHead = world.store.getHead.bind(world.store);
      let reads = 0;
      // The table answers the read after the claim, then nothing more.
      world.store.getHead = async (id) => {
        if (++reads > 1) throw new DependencyError('The table cannot be read right now.', 'fake');
        return getHead(id);
      };

      const error = await failure(upload.complete());

      expect(error).toBeInstanceOf(DependencyError);
      expect([...world.blobs.objects.values()].map((o) => o.state)).toEqual(['committed']);
      expect(world.logger.lines.some((l) => l.includes('"event":"upload_head_unknown"'))).toBe(true);
      expect(world.notifier.sent).toEqual([]);
    });

    it('still answers the head\'s failure when putting the parts back to pending fails too, and logs it', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);
      world.store.failCreate = true;
      world.blobs.uncommit = async () => { throw new DependencyError('The blob store cannot be reached.', 'fake'); };

      const error = await failure(upload.complete());

      expect(error).toBeInstanceOf(DependencyError);
      expect(error.detail).toMatch(/could not be stored, so nothing was sent/);
      expect(world.logger.lines.some((l) => l.includes('"event":"upload_parts_uncommit_failed"'))).toBe(true);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('open');
    });

    it('goes on as committed when the head was written although the answer to its write was lost', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);
      const create = world.store.create.bind(world.store);
      world.store.create = async (head, ciphertext) => {
        await create(head, ciphertext);
        throw new DependencyError('The message could not be stored, so nothing was sent. It is safe to retry.', 'fake');
      };

      const receipt = await upload.complete();

      expect(receipt.recipients.map((r) => r.status)).toEqual(['notified', 'notified']);
      expect([...world.blobs.objects.values()].map((o) => o.state)).toEqual(['committed']);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('committed');
      expect(world.notifier.sent).toHaveLength(2);
    });

    it('answers a retry with the same Idempotency-Key with the same receipt, and emails nobody twice', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);

      const first = await upload.complete(completionFor(upload.planned), ctx({ idempotencyKey: 'k-1' }));
      const again = await upload.complete(completionFor(upload.planned), ctx({ idempotencyKey: 'k-1' }));

      expect(again).toEqual(first);
      expect(world.notifier.sent).toHaveLength(2);
      expect(world.events.events.filter((e) => e.type === 'created')).toHaveLength(1);
    });

    it('answers a completion repeated without a key with 409: the upload is a message now', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);
      await upload.complete();

      const error = await failure(upload.complete());

      expect(error).toBeInstanceOf(ConflictError);
      expect(error.detail).toMatch(/it is a message now/);
      expect(world.notifier.sent).toHaveLength(2);
    });

    it('answers a completion while another request holds the upload with 409 and Retry-After, and takes the upload over once that claim is over 60 s old (its request died)', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);
      // A request claimed the upload and died (the function timed out) without giving it back.
      expect(await world.uploads.claim(acme.tenant.id, upload.id, world.clock())).toBe(true);
      const claimedAt = world.clock().getTime();

      world.clock.set(new Date(claimedAt + UPLOAD_CLAIM_LEASE_MS).toISOString());
      const whileHeld = await failure(upload.complete());
      world.clock.set(new Date(claimedAt + UPLOAD_CLAIM_LEASE_MS + 1000).toISOString());
      const receipt = await upload.complete();

      expect(whileHeld).toBeInstanceOf(ConflictError);
      expect(whileHeld.detail).toMatch(/being completed by another request/);
      expect((whileHeld as ConflictError).retryAfter).toBe(2);
      expect(receipt.recipients.map((r) => r.status)).toEqual(['notified', 'notified']);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('committed');
      expect(world.notifier.sent).toHaveLength(2);
    });

    it('records as committed, and sends nothing again, an upload taken over from a request that died after writing its head', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);
      const finish = world.uploads.finish.bind(world.uploads);
      world.uploads.finish = async () => {}; // the request dies right after its commit point
      await upload.complete();
      world.uploads.finish = finish;
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('completing');
      world.clock.set(new Date(world.clock().getTime() + UPLOAD_CLAIM_LEASE_MS + 1000).toISOString());

      const error = await failure(upload.complete());

      expect(error).toBeInstanceOf(ConflictError);
      expect(error.detail).toMatch(/it is a message now/);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('committed');
      expect(world.notifier.sent).toHaveLength(2);
      expect(world.events.events.filter((e) => e.type === 'created')).toHaveLength(1);
      expect([...world.blobs.objects.values()].map((o) => o.state)).toEqual(['committed']);
    });

    it('does not let an upload whose completion died be abandoned or re-declared: only a completion takes it over', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);
      await world.uploads.claim(acme.tenant.id, upload.id, world.clock());
      world.clock.set(new Date(world.clock().getTime() + UPLOAD_CLAIM_LEASE_MS + 1000).toISOString());
      const { declaration, parts } = await declarationOf(upload.ciphertext);

      const aborting = await failure(abortUpload(world, acme, upload.id));
      const asking = await failure(partUploads(world, acme, upload.id, declaration, parts));

      for (const error of [aborting, asking]) {
        expect(error).toBeInstanceOf(ConflictError);
        expect(error.detail).toMatch(/A completion of this upload stopped unfinished: complete it again/);
      }
      expect(world.blobs.objects.size).toBe(1);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('completing');
    });

    it('lets exactly one of two concurrent completions send the message', async () => {
      const world = anUploadWorld();
      const upload = await anUpload(world);

      const outcomes = await Promise.allSettled([upload.complete(), upload.complete(), upload.complete(completionFor(upload.planned), ctx({ idempotencyKey: 'k-2' }))]);

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(ConflictError);
      expect(world.notifier.sent).toHaveLength(2);
      expect(world.events.events.filter((e) => e.type === 'created')).toHaveLength(1);
      expect(world.uploads.uploads.get(upload.id)?.state).toBe('committed');
    });
  });
});

describe('an upload\'s life', () => {
  it('refuses to complete, or give part URLs for, an upload that expired unfinished', async () => {
    const world = anUploadWorld();
    const upload = await anUpload(world);
    const { declaration, parts } = await declarationOf(upload.ciphertext);
    world.clock.set(upload.opened.expiresAt);

    const completing = await failure(upload.complete());
    const asking = await failure(partUploads(world, acme, upload.id, declaration, parts));

    expect(completing).toBeInstanceOf(NotFoundError);
    expect(completing.detail).toMatch(/expired unfinished/);
    expect(asking).toBeInstanceOf(NotFoundError);
    expect(world.store.heads.size).toBe(0);
    expect(world.notifier.sent).toEqual([]);
  });

  it('answers another tenant\'s upload id exactly as an unknown one (404), and changes nothing', async () => {
    const world = anUploadWorld();
    const upload = await anUpload(world);
    const unknown = 'x'.repeat(upload.id.length);
    const { declaration, parts } = await declarationOf(upload.ciphertext);
    const attempts = (id: string) => [
      partUploads(world, other, id, declaration, parts),
      completeUpload(world, other, id, completionFor(upload.planned), ctx()),
      abortUpload(world, other, id),
    ];

    const theirs = await Promise.all(attempts(upload.id).map(failure));
    const nobodys = await Promise.all(attempts(unknown).map(failure));

    for (const [i, error] of theirs.entries()) {
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.detail.replace(upload.id, '<id>')).toBe(nobodys[i]?.detail.replace(unknown, '<id>'));
    }
    expect(world.uploads.uploads.get(upload.id)?.state).toBe('open');
    expect(world.blobs.objects.size).toBe(1);
  });

  it('answers an id of another shape 404 before reading anything, and never echoes it', async () => {
    const world = anUploadWorld();
    const upload = await anUpload(world);
    const { declaration, parts } = await declarationOf(upload.ciphertext);
    let reads = 0;
    const get = world.uploads.get.bind(world.uploads);
    world.uploads.get = async (id: string) => { reads++; return get(id); };

    for (const id of ['A'.repeat(3000), 'AAAAAAAAAA\u0000AAAAAAAAAAA', '../../AAAAAAAAAAAAAAAAAA', `${upload.id}x`]) {
      const errors = await Promise.all([
        partUploads(world, acme, id, declaration, parts),
        completeUpload(world, acme, id, completionFor(upload.planned), ctx()),
        abortUpload(world, acme, id),
      ].map(failure));
      for (const error of errors) {
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error.detail).toBe('No upload of yours with this id is open.');
      }
    }
    expect(reads).toBe(0);
    expect(world.uploads.uploads.get(upload.id)?.state).toBe('open');
  });

  it('fixes the declaration with the first part URLs: the same one again is fine, another is 409', async () => {
    const world = anUploadWorld();
    const upload = await anUpload(world);
    const same = await declarationOf(upload.ciphertext);
    const otherMessage = await declarationOf(await sealFor(upload.planned.map((r) => r.key), 5000));

    const again = await partUploads(world, acme, upload.id, same.declaration, same.parts);
    const error = await failure(partUploads(world, acme, upload.id, otherMessage.declaration, otherMessage.parts));

    expect(again).toHaveLength(1);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.detail).toMatch(/declared once/);
    expect(world.uploads.uploads.get(upload.id)).toMatchObject(same.declaration);
  });

  it('refuses a part outside the layout (422) and a declared size over the limit (413)', async () => {
    const world = anUploadWorld();
    const upload = await anUpload(world);
    const { declaration, parts } = await declarationOf(upload.ciphertext);

    const outside = await failure(partUploads(world, acme, upload.id, declaration, [{ index: 1, sha256: parts[0]!.sha256 }]));
    const tooLarge = await failure(partUploads(world, acme, upload.id, { ...declaration, bytes: world.maxUploadBytes + 1 }, parts));

    expect(outside).toBeInstanceOf(ValidationError);
    expect((outside as ValidationError).issues).toEqual([{ field: 'parts[0].index', message: 'must be below 1: the upload has 1 part(s)' }]);
    expect(tooLarge).toBeInstanceOf(PayloadTooLargeError);
  });

  it('deletes the parts of an abandoned upload, which can no longer be completed', async () => {
    const world = anUploadWorld();
    const upload = await anUpload(world, { ciphertext: (planned) => sealer.seal(new Uint8Array(randomBytes(5 * MiB)), planned.map((r) => r.key)) });
    expect(world.blobs.objects.size).toBe(2);

    await abortUpload(world, acme, upload.id);

    expect(world.blobs.objects.size).toBe(0);
    expect(world.uploads.uploads.has(upload.id)).toBe(false);
    expect(await failure(upload.complete())).toBeInstanceOf(NotFoundError);
    expect(world.notifier.sent).toEqual([]);
  });
});
