/** Brand fixtures: small valid PNGs and SVGs built in code, and a tenant with a stored logo. */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { validateLogo, type Tenant } from '../../functions/core/tenants/index.ts';
import { aTenant } from './builders.ts';
import type { InMemoryTenantDirectory } from './fakes.ts';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** One PNG chunk with a correct CRC. */
export function pngChunk(type: string, data: Uint8Array = new Uint8Array()): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An RGB PNG of one colour; `before`/`after` chunks go around the image data (e.g. tEXt). */
export function aPng(options: { width?: number; height?: number; rgb?: [number, number, number]; before?: Buffer[]; after?: Buffer[] } = {}): Uint8Array {
  const { width = 8, height = 8, rgb = [0x1d, 0x4e, 0xd8] } = options;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  // Only small images carry real pixels; the size checks only read the header.
  const rows = width * height <= 1 << 20
    ? Buffer.concat(Array.from({ length: height }, () => Buffer.from([0, ...Array.from({ length: width }, () => rgb).flat()])))
    : Buffer.alloc(0);
  return new Uint8Array(Buffer.concat([
    PNG_SIGNATURE, pngChunk('IHDR', header), ...(options.before ?? []), pngChunk('IDAT', deflateSync(rows)), ...(options.after ?? []), pngChunk('IEND'),
  ]));
}

/** A tEXt chunk, as editors write author names and software into PNGs. */
export const textChunk = (keyword: string, text: string) => pngChunk('tEXt', Buffer.from(`${keyword}\0${text}`, 'latin1'));

export const SIMPLE_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" width="120" height="40">'
  + '<rect width="120" height="40" rx="6" fill="#0f766e"/><text x="12" y="27" fill="#ffffff" font-size="20" font-family="sans-serif">ACME</text></svg>';

export const svgBytes = (svg: string) => new TextEncoder().encode(svg);

const digestOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64url');

/**
 * Stores a validated logo for `tenant` in the fake directory and returns the tenant pointing to it,
 * as PATCH /v1/admin/settings does.
 */
export function withLogo(directory: InMemoryTenantDirectory, tenant: Tenant, bytes: Uint8Array, contentType: string): Tenant {
  const valid = validateLogo(bytes, contentType);
  const digest = digestOf(valid.bytes);
  directory.logos.set(`${tenant.id}/${digest}`, valid.bytes);
  const branded = { ...tenant, settings: { ...tenant.settings, brand: { ...tenant.settings.brand, logo: { contentType: valid.contentType, digest, bytes: valid.bytes.length } } } };
  directory.tenants.set(tenant.id, branded);
  return branded;
}

/** A tenant with a name that needs escaping, a colour and a portal hostname. */
export function aBrandedTenant(overrides: Parameters<typeof aTenant>[0] = {}): Tenant {
  return aTenant({
    ...overrides,
    settings: {
      displayName: '<b>Acme & Co</b>',
      portalHostnames: ['secure.acme.example'],
      brand: { primaryColor: '#0f766e' },
      replyTo: 'help@acme.example',
      ...overrides.settings,
    },
  });
}
