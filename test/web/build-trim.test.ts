/**
 * What web/build.ts swaps inside postal-mime for the pickup page must do what the original does:
 * its base64 encoder is replaced by core/shared's toBase64.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { toBase64 } from '../../functions/core/shared/index.ts';
// Not among the package's exports: the very file the build replaces, by its path.
import { base64ArrayBuffer } from '../../node_modules/postal-mime/dist/esm/base64-encoder.js';

describe("the page's stand-in for postal-mime's base64 encoder", () => {
  it.each([0, 1, 2, 3, 4, 5, 57, 1000, 70_000])('encodes %i random bytes exactly as postal-mime does', (length) => {
    const bytes = new Uint8Array(randomBytes(length));

    expect(toBase64(new Uint8Array(bytes.buffer))).toBe(base64ArrayBuffer(bytes.buffer));
  });
});
