/**
 * What completing a sealed upload checks of its bytes (docs/protocol.md §21.1): every part read
 * once, the composite checksum, sealpost's shape, and each key given opening the SKESK at its place
 * — all before anything is committed, each failure a 422 that names what is wrong and no content.
 */
import { SealedShapeReader, ShapeError } from '../protocol/index.ts';
import { ValidationError, toBase64 } from '../shared/index.ts';
import type { BlobStore, Sealer, UploadRecord } from './ports.ts';
import type { RecipientPlan } from './send.ts';

/** The most recipients a message may have (to + cc). */
export const MAX_UPLOAD_RECIPIENTS = 100;

/**
 * The upload checksum: SHA-256 (base64) of the concatenated binary SHA-256 digests of the parts, in
 * order — S3's composite checksum, computable one part at a time without holding the whole message.
 */
export async function compositeChecksum(partDigests: readonly Uint8Array[]): Promise<string> {
  const joined = new Uint8Array(partDigests.length * 32);
  partDigests.forEach((d, i) => joined.set(d, i * 32));
  return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', joined)));
}

export async function sha256Of(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** Why a sealed upload is refused: a 422 that says what is wrong, never any content. */
export function refused(detail: string, field = 'upload'): ValidationError {
  return new ValidationError(`${detail} Nothing was stored or sent; the upload stays open until it expires.`, [{ field, message: detail }]);
}

/**
 * Reads every part once, in order (memory: one part): each has its layout size, together they
 * match the declared checksum and have sealpost's shape with exactly one session key per recipient
 * (plus the custody key); every key sealpost was given opens its own, all the same.
 *
 * A key is tried on one SKESK only, the one at its place: recipient i's is SKESK i, the custody
 * key's the last (the order the message is sealed in, §21.1). Trying every key on every SKESK
 * would be recipients² S2K derivations per completion; this is one per key, and distinct places
 * make distinct SKESKs.
 */
export async function checkSealed(deps: { readonly blobs: BlobStore; readonly sealer: Sealer }, upload: UploadRecord & { sha256: string }, layout: readonly number[], plans: readonly (RecipientPlan & { key?: string })[], custodyPassword?: string): Promise<void> {
  // Never more session keys than the most recipients a message may have, plus custody: what is kept stays small.
  const reader = new SealedShapeReader({ maxSessionKeys: MAX_UPLOAD_RECIPIENTS + 1 });
  const digests: Uint8Array[] = [];
  // One buffer, the largest part's size, refilled for each part: a buffer per part would be a
  // part's worth of garbage each time (the hash and the shape reader keep nothing of it: the reader
  // copies the few bytes it holds on to, the SKESKs and a cut header).
  const buffer = new Uint8Array(layout.reduce((most, size) => Math.max(most, size), 0));
  for (const [index, size] of layout.entries()) {
    const part = buffer.subarray(0, size);
    let at = 0;
    const chunks = await deps.blobs.read(upload.id, index);
    if (!chunks) throw refused(`Part ${index} was not uploaded.`, `parts[${index}]`);
    for await (const chunk of chunks) {
      if (at + chunk.length > size) throw refused(`Part ${index} is larger than the ${size} bytes the layout gives it.`, `parts[${index}]`);
      part.set(chunk, at);
      at += chunk.length;
    }
    if (at !== size) throw refused(`Part ${index} has ${at} bytes; the layout gives it ${size}.`, `parts[${index}]`);
    digests.push(await sha256Of(part));
    try {
      reader.push(part);
    } catch (error) {
      if (error instanceof ShapeError) throw refused(`The upload is not a message sealed the way sealpost seals: ${error.message}.`);
      throw error;
    }
  }
  if ((await compositeChecksum(digests)) !== upload.sha256) throw refused('The parts do not match the checksum the upload was opened with (a part is missing, altered or from another upload).');
  let shape;
  try {
    shape = reader.finish();
  } catch (error) {
    if (error instanceof ShapeError) throw refused(`The upload is not a message sealed the way sealpost seals: ${error.message}.`);
    throw error;
  }
  const expected = plans.length + (upload.wrappedCustodyKey ? 1 : 0);
  if (shape.sessionKeys !== expected) {
    throw refused(`The message is sealed for ${shape.sessionKeys} key(s); ${plans.length} recipient(s)${upload.wrappedCustodyKey ? ' and the custody key' : ''} make ${expected}.`);
  }
  const keys = [
    ...plans.flatMap((p, place) => (p.key !== undefined ? [{ who: String(place), place, key: p.key }] : [])),
    ...(custodyPassword !== undefined ? [{ who: 'custody', place: plans.length, key: custodyPassword }] : []),
  ];
  if (new Set(keys.map((k) => k.key)).size !== keys.length) throw refused('Two recipients were given the same secret.', 'recipients');
  let sessionKey: string | undefined;
  for (const { who, place, key } of keys) {
    const packet = shape.sessionKeyPacketList[place];
    const fingerprint = packet === undefined ? undefined : await deps.sealer.unlock(packet, key);
    const field = who === 'custody' ? 'custodyPassword' : `recipients[${who}]`;
    if (fingerprint === undefined) {
      throw refused(who === 'custody'
        ? 'The message is not sealed for the custody key in its place (the last session key packet).'
        : `The secret of recipient ${who} does not open session key packet ${who} (counted from 0): a message is sealed for its recipients in the order they are named, then the custody key.`, field);
    }
    if (sessionKey !== undefined && fingerprint !== sessionKey) throw refused('The secrets open different session keys: the message is not one message for all its recipients.', field);
    sessionKey = fingerprint;
  }
}


