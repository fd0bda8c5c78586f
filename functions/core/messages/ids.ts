/** Message ids: 128 random bits, base64url (22 characters). Not secret; they appear in links' paths. */
import { toBase64Url, type RandomBytes } from '../shared/index.ts';

const MESSAGE_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function newMessageId(random: RandomBytes): string {
  return toBase64Url(random(16));
}

/** Checked before any store lookup, so a malformed id is a plain "not found". */
export function isWellFormedMessageId(id: string): boolean {
  return MESSAGE_ID_PATTERN.test(id);
}
