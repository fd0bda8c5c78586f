/**
 * What web/build.ts swaps inside postal-mime for the pickup page must do what the original does:
 * its base64 encoder is replaced by core/shared's toBase64, and its content decoders join a part's
 * pieces in memory (web/src/lib/join-chunks.ts) rather than through a Blob.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { toBase64 } from '../../functions/core/shared/index.ts';
import { buildWeb, BLOB_DECODERS } from '../../web/build.ts';
import { joinPieces, piecesToArrayBuffer, type Piece } from '../../web/src/lib/join-chunks.ts';
// Not among the package's exports: the very file the build replaces, by its path.
import { base64ArrayBuffer } from '../../node_modules/postal-mime/dist/esm/base64-encoder.js';

describe("the page's stand-in for postal-mime's base64 encoder", () => {
  it.each([0, 1, 2, 3, 4, 5, 57, 1000, 70_000])('encodes %i random bytes exactly as postal-mime does', (length) => {
    const bytes = new Uint8Array(randomBytes(length));

    expect(toBase64(new Uint8Array(bytes.buffer))).toBe(base64ArrayBuffer(bytes.buffer));
  });
});

describe("the page's stand-in for postal-mime's Blob join", () => {
  it('joins strings, views and buffers to the bytes a Blob of them holds', async () => {
    const bytes = fc.uint8Array({ maxLength: 300 });
    const piece: fc.Arbitrary<Piece> = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constant('\n'),
      bytes,
      bytes.map((b) => b.buffer),
      // A view into a larger buffer: only its own bytes count.
      fc.tuple(bytes, fc.nat(8), fc.nat(8)).map(([b, head, tail]) => new Uint8Array(b.buffer, Math.min(head, b.length), Math.max(0, b.length - Math.min(head, b.length) - tail))),
      bytes.map((b) => new DataView(b.buffer)),
    );
    await fc.assert(fc.asyncProperty(fc.array(piece, { maxLength: 12 }), async (pieces) => {
      const viaBlob = new Uint8Array(await new Blob(pieces as BlobPart[], { type: 'application/octet-stream' }).arrayBuffer());
      expect(joinPieces(pieces)).toEqual(viaBlob);
      const joined = await piecesToArrayBuffer(pieces);
      expect(joined).toBeInstanceOf(ArrayBuffer);
      expect(new Uint8Array(joined)).toEqual(viaBlob);
    }), { numRuns: 500 });
  });

  it('is in the pickup page in place of every decoder\'s Blob, and the build fails if a decoder changed shape', async () => {
    expect(BLOB_DECODERS).toEqual(['base64-decoder', 'qp-decoder', 'pass-through-decoder']);
    const { mkdtemp, readFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const outDir = await mkdtemp(join(tmpdir(), 'sealpost-web-'));
    await buildWeb({ outDir });
    const page = await readFile(join(outDir, 'assets', 'pickup.js'), 'utf8');
    // The decoders' own join, as minified (the page's other Blob, an attachment's download, joins no chunks).
    expect(page.includes('new Blob(this.chunks')).toBe(false);
    expect(page.includes('this.chunks')).toBe(true);
  }, 60_000);
});
