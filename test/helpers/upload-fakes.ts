/**
 * In-memory stand-ins for the sealed-upload ports, for HTTP tests that need the routes but not S3
 * (test/adapters/s3 and the e2e suites run the real adapters against the S3 stand-in). The blob
 * store's URLs are opaque here: a test puts a part with put() as a sender's PUT would.
 */
import { UPLOAD_CLAIM_LEASE_MS, type BlobDownloads, type BlobStore, type PartDeclaration, type PartUpload, type UploadRecord, type UploadStore } from '../../functions/core/messages/index.ts';

export class InMemoryBlobStore implements BlobStore, BlobDownloads {
  readonly objects = new Map<string, { bytes: Uint8Array; state: 'pending' | 'committed' }>();
  readonly declared = new Map<string, PartDeclaration>();

  async uploadUrl(messageId: string, index: number, part: PartDeclaration): Promise<PartUpload> {
    this.declared.set(`${messageId}/${index}`, part);
    return { url: `memory://blobs/${messageId}/${index}`, headers: { 'x-amz-checksum-sha256': part.sha256 } };
  }
  /** What a sender's PUT of part `index` does. */
  put(messageId: string, index: number, bytes: Uint8Array): void {
    this.objects.set(`${messageId}/${index}`, { bytes: bytes.slice(), state: 'pending' });
  }
  /** What the server's write of a part it sealed does. */
  async write(messageId: string, index: number, bytes: Uint8Array): Promise<void> {
    if (this.objects.has(`${messageId}/${index}`)) throw new Error('a part is written once');
    this.objects.set(`${messageId}/${index}`, { bytes: bytes.slice(), state: 'committed' });
  }
  async read(messageId: string, index: number): Promise<AsyncIterable<Uint8Array> | undefined> {
    const object = this.objects.get(`${messageId}/${index}`);
    if (!object) return undefined;
    const bytes = object.bytes;
    return (async function* () { for (let at = 0; at < bytes.length; at += 65536) yield bytes.subarray(at, at + 65536); })();
  }
  async commit(messageId: string, parts: number): Promise<void> {
    for (let i = 0; i < parts; i++) {
      const object = this.objects.get(`${messageId}/${i}`);
      if (object) object.state = 'committed';
    }
  }
  async uncommit(messageId: string, parts: number): Promise<void> {
    for (let i = 0; i < parts; i++) {
      const object = this.objects.get(`${messageId}/${i}`);
      if (object) object.state = 'pending';
    }
  }
  async delete(messageId: string, parts: number): Promise<void> {
    for (let i = 0; i < parts; i++) this.objects.delete(`${messageId}/${i}`);
  }
  async downloadUrl(messageId: string, index: number, expiresInSeconds: number): Promise<string> {
    return `/blobs/${messageId}/${index}?X-Amz-Expires=${expiresInSeconds}&X-Amz-Signature=test`;
  }
}

export class InMemoryUploadStore implements UploadStore {
  readonly uploads = new Map<string, UploadRecord>();

  async create(upload: UploadRecord): Promise<boolean> {
    if (this.uploads.has(upload.id)) return false;
    this.uploads.set(upload.id, upload);
    return true;
  }
  async get(id: string): Promise<UploadRecord | undefined> { return this.uploads.get(id); }
  async declare(tenantId: string, id: string, bytes: number, sha256: string, now: Date): Promise<boolean> {
    const u = this.uploads.get(id);
    if (!u || u.tenantId !== tenantId || u.state !== 'open' || u.expiresAt <= now.toISOString()) return false;
    if (u.bytes !== undefined && (u.bytes !== bytes || u.sha256 !== sha256)) return false;
    this.uploads.set(id, { ...u, bytes, sha256 });
    return true;
  }
  async claim(tenantId: string, id: string, now: Date): Promise<boolean> {
    const u = this.uploads.get(id);
    if (!u || u.tenantId !== tenantId || u.expiresAt <= now.toISOString()) return false;
    // As the table's condition: open, or completing with a claim older than the lease (or without a time).
    const stale = new Date(now.getTime() - UPLOAD_CLAIM_LEASE_MS).toISOString();
    if (!(u.state === 'open' || (u.state === 'completing' && (u.claimedAt === undefined || u.claimedAt < stale)))) return false;
    this.uploads.set(id, { ...u, state: 'completing', claimedAt: now.toISOString() });
    return true;
  }
  async release(tenantId: string, id: string): Promise<void> { this.move(tenantId, id, 'completing', 'open'); }
  async finish(tenantId: string, id: string): Promise<void> { this.move(tenantId, id, 'completing', 'committed'); }
  async abort(tenantId: string, id: string): Promise<boolean> {
    const u = this.uploads.get(id);
    if (!u || u.tenantId !== tenantId || u.state !== 'open') return false;
    this.uploads.delete(id);
    return true;
  }
  private move(tenantId: string, id: string, from: UploadRecord['state'], to: UploadRecord['state']): void {
    const u = this.uploads.get(id);
    if (u && u.tenantId === tenantId && u.state === from) {
      const { claimedAt: _claimedAt, ...rest } = u;
      this.uploads.set(id, { ...rest, state: to });
    }
  }
}
