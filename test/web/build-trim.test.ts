/**
 * What web/build.ts swaps inside postal-mime for the pickup page must do what the original does:
 * its base64 encoder is replaced by core/shared's toBase64, and its content decoders join a part's
 * pieces in memory (web/src/lib/join-chunks.ts) rather than through a Blob.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import PostalMime from 'postal-mime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { toBase64 } from '../../functions/core/shared/index.ts';
import { BLOB_DECODERS, buildWeb, trimDependencies } from '../../web/build.ts';
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
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      // Lone and split surrogates, which a Blob writes as U+FFFD (fast-check's strings never make them).
      fc.constantFrom('\n', '\ud800', 'a\udc00b', '\ud83d', '\ude00', '\ud83d\ude00', 'é€'),
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
      expect(joined.byteLength).toBe(viaBlob.length);
      expect(new Uint8Array(joined)).toEqual(viaBlob);
    }), { numRuns: 1000 });
  });

  it('parses base64, quoted-printable and 8-bit parts in the page\'s build of postal-mime as postal-mime does, with no Blob', async () => {
    const hits = new Set<string>();
    const built = await build({
      stdin: { contents: "export { default } from 'postal-mime';", resolveDir: process.cwd(), loader: 'js' },
      bundle: true, format: 'esm', platform: 'browser', write: false, plugins: [trimDependencies(hits)],
    });
    expect([...hits].filter((hit) => hit.endsWith('-decoder')).sort()).toEqual([...BLOB_DECODERS].sort());
    const code = built.outputFiles[0]?.text ?? '';
    const { default: PagePostalMime } = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`) as { default: typeof PostalMime };
    const file = new Uint8Array(randomBytes(3000));
    const message = new TextEncoder().encode([
      'From: a@example.com', 'Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=', 'Content-Type: multipart/mixed; boundary=b', '', '--b',
      'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', 'Gr=C3=BC=C3=9Fe, a long line =', 'that goes on', '--b',
      'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', '<p>Grüße</p>', '', '', '<p>two</p>', '--b',
      'Content-Type: application/octet-stream; name=a.bin', 'Content-Transfer-Encoding: base64', '', Buffer.from(file).toString('base64').replace(/.{76}/g, '$&\r\n'), '--b',
      'Content-Type: text/csv; name=b.csv', 'Content-Disposition: attachment', '', 'a,b', '1,2', '--b--', '',
    ].join('\r\n'));
    const read = async (parser: typeof PostalMime) => {
      const email = await parser.parse(message, { attachmentEncoding: 'arraybuffer' });
      return { ...email, attachments: email.attachments.map((a) => ({ ...a, content: new Uint8Array(a.content as ArrayBuffer) })) };
    };
    const expected = await read(PostalMime);
    const { Blob: RealBlob } = globalThis;
    // Any Blob made while the page's build parses fails the parse.
    globalThis.Blob = class { constructor() { throw new Error('a Blob was made'); } } as unknown as typeof Blob;
    try {
      const actual = await read(PagePostalMime);
      expect(actual).toEqual(expected);
      expect(actual.attachments[0]?.content).toEqual(file);
      expect(actual.text).toContain('Grüße, a long line that goes on');
    } finally {
      globalThis.Blob = RealBlob;
    }
  });

  it('is in the pickup page in place of every decoder\'s Blob', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'sealpost-web-'));
    try {
      await buildWeb({ outDir });
      const page = await readFile(join(outDir, 'assets', 'pickup.js'), 'utf8');
      // The decoders' own join, as minified (the page's other Blob, an attachment's download, joins no chunks).
      expect(page.includes('new Blob(this.chunks')).toBe(false);
      expect(page.includes('this.chunks')).toBe(true);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }, 60_000);
});
