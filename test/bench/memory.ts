/**
 * The Lambda handlers' memory with a large sealed upload: the built bundles (exactly what `npm run
 * build` makes and the stack deploys), each request in a fresh Node 22 process with the functions'
 * NODE_OPTIONS, handed a real API Gateway v2 event against the local stand-ins (DynamoDB, S3, SES,
 * KMS of the bench's local stack, through AWS_ENDPOINT_URL_*) — one request per process, as in a
 * fresh Lambda sandbox, whose "Max Memory Used" is the process's peak resident memory.
 *
 * - sender-api completing a sealed upload of each size asked (the bench: 5, 25 and 40 MiB, the default
 *   limit), against the floor: the same bundle completing a ~1 KB one. The sender seals and puts the parts first, here in the bench's
 *   process (the SDK's seal and the part URLs of the local stack), so the child does the completion
 *   only: read every part from S3, check checksum, shape and keys, commit, notify.
 * - portal answering the open of the 25 MiB message (JSON with presigned part URLs; the ciphertext
 *   never passes through it), against the floor: the open of a small message stored in DynamoDB,
 *   whose answer carries its ciphertext.
 *
 * The figure is the process's peak resident memory while it answers (the kernel's peak mark, reset
 * just before the handler is called): the whole process's peak, Lambda's "Max Memory Used", is
 * reported too, but the import peaks higher than a small request does, so it would hide what a
 * request adds. Alongside: the V8 heap and the ArrayBuffer memory outside it, sampled every ms.
 *
 * Sizes and floors take turns in each round, and each ratio is the median of its per-round ratios.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LAMBDA_NODE_OPTIONS } from '../../cdk/build.ts';
import { FUNCTION_SIZING } from '../../cdk/constructs/functions.ts';
import { compositeChecksum, sha256Of } from '../../functions/core/messages/index.ts';
import { SubsetSealer, deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { toBase64 } from '../../functions/core/shared/index.ts';
import { SealpostClient, seal } from '../../functions/sdk/index.ts';
import { httpApiEvent } from '../helpers/lambda-events.ts';
import { median, type BenchBundles } from './cold-start.ts';
import { pickupFor, send, sendBody, startBenchWorld, uniqueAddress, type BenchWorld, type Pickup } from './world.ts';

const MiB = 1024 * 1024;

/** What the child process reports of one request (mem-child.mjs). */
interface ChildReport {
  readonly importPeakKiB: number;
  readonly beforeKiB: number;
  readonly requestPeakKiB: number;
  readonly reset: boolean;
  readonly peakKiB: number;
  readonly heapBefore: number;
  readonly heapPeak: number;
  readonly arrayBuffersPeak: number;
  readonly statusCode: number;
  readonly body: string;
}

export interface HandlerMemory {
  readonly entry: 'sender-api' | 'portal';
  /** The sealed message's size in bytes. */
  readonly bytes: number;
  /** Median over the runs of the process's peak resident memory while it answered the request (MiB). */
  readonly peakMiB: number;
  /** Median of the process's resident memory just before the request (MiB): Node, the bundle imported. */
  readonly beforeMiB: number;
  /** Median of what the request added over that (MiB). */
  readonly requestMiB: number;
  /**
   * Median of the process's peak over its whole life, the import included (MiB): Lambda's "Max
   * Memory Used". The import peaks higher than a small request, which hides a request's growth.
   */
  readonly processPeakMiB: number;
  /** The largest V8 heap in use and ArrayBuffer memory (outside the heap) seen during the request, medians (MiB). */
  readonly heapPeakMiB: number;
  readonly arrayBuffersPeakMiB: number;
  /** Median of the per-round peak / floor's peak, both while answering (the floor: 1). */
  readonly ratio: number;
  /** The same for the whole process's peaks. */
  readonly processRatio: number;
  readonly peaksMiB: readonly number[];
  /** The function's configured memory (cdk/constructs/functions.ts). */
  readonly memoryLimitMiB: number;
}

export interface HandlerMemoryResult {
  /** Completions: the floor (~1 KB) first, then each size asked for. */
  readonly completions: readonly HandlerMemory[];
  /** Opens: the floor (a small message in DynamoDB) first, then the upload of the size asked. */
  readonly opens: readonly HandlerMemory[];
}

/** An attachment that makes a sealed message of about `bytes` (base64 in the MIME: 4/3, plus a line break per 76 characters). */
const attachmentFor = (bytes: number): number => Math.floor(((bytes - 4096) * 3) / 4 * (76 / 78));

interface Prepared {
  readonly id: string;
  readonly bytes: number;
  readonly completion: string;
  readonly pickup: Pickup;
}

/** Opens an upload, seals a message of about `bytes` for one recipient and puts its parts: everything but the completion. */
async function preparedUpload(client: SealpostClient, bytes: number): Promise<Prepared> {
  const upload = await client.openUpload(1);
  const large = bytes > 4096;
  const attachments = large ? [{ filename: 'large.bin', contentType: 'application/octet-stream', content: new Uint8Array(randomBytes(attachmentFor(bytes))) }] : [];
  // A small one is its text (the MIME headers and the sealing add about 500 bytes).
  const text = large ? 'A message of the bench.' : 'A message of the bench. '.repeat(Math.max(1, Math.round((bytes - 500) / 24)));
  const sealed = await seal({ to: [uniqueAddress('memory')], subject: 'Bench', text, attachments }, upload, { sealer: new SubsetSealer((n) => crypto.getRandomValues(new Uint8Array(n))) });
  const { ciphertext } = sealed;
  const parts = Array.from({ length: Math.max(1, Math.ceil(ciphertext.length / upload.partBytes)) }, (_, i) => ciphertext.subarray(i * upload.partBytes, (i + 1) * upload.partBytes));
  const digests = await Promise.all(parts.map((p) => sha256Of(p)));
  const urls = await client.partUrls(upload.id, { bytes: ciphertext.length, sha256: await compositeChecksum(digests) }, digests.map((d, index) => ({ index, sha256: toBase64(d) })));
  for (const url of urls) await client.putPart(url, parts[url.index] as Uint8Array);
  const [recipient] = sealed.recipients;
  if (!recipient) throw new Error('sealed for no recipient');
  return {
    id: upload.id, bytes: ciphertext.length,
    completion: JSON.stringify({ recipients: [{ email: recipient.email, kind: 'to', secret: recipient.secret }] }),
    pickup: { id: upload.id, secret: recipient.secret, link: await deriveLinkToken(recipient.secret), token: await deriveAccessToken(recipient.key) },
  };
}

const openEvent = (pickup: Pickup) => httpApiEvent('POST', `/m/${pickup.id}/open`, {
  headers: { 'content-type': 'application/json' }, body: JSON.stringify({ link: pickup.link, token: pickup.token }),
});

let child = 0;
function runChild(node: string, bundle: string, event: unknown, dir: string, env: NodeJS.ProcessEnv): Promise<ChildReport> {
  const eventFile = join(dir, `memory-event-${child++}.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  const out = `${eventFile}.out`;
  const proc = spawn(node, [join(import.meta.dirname, 'mem-child.mjs')], {
    env: { ...env, BENCH_BUNDLE: pathToFileURL(bundle).href, BENCH_EVENT: eventFile, BENCH_OUT: out },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`memory of ${bundle} exited ${code}: ${stderr.slice(0, 2000)}`));
      const report = JSON.parse(readFileSync(out, 'utf8')) as ChildReport;
      // Without the reset (proc(5) clear_refs) the request's peak would be the import's.
      if (!report.reset) return reject(new Error('the child could not reset its peak resident memory mark (/proc/self/clear_refs)'));
      resolve(report);
    });
  });
}

function expectAnswer(report: ChildReport, status: number, what: string): ChildReport {
  if (report.statusCode !== status) throw new Error(`${what} answered ${report.statusCode}: ${report.body.slice(0, 500)}`);
  return report;
}

function summary(entry: HandlerMemory['entry'], bytes: number, reports: readonly ChildReport[], floors: readonly ChildReport[]): HandlerMemory {
  const mib = (values: readonly number[], unit: number) => median(values) / unit;
  return {
    entry, bytes,
    peakMiB: mib(reports.map((r) => r.requestPeakKiB), 1024),
    beforeMiB: mib(reports.map((r) => r.beforeKiB), 1024),
    requestMiB: mib(reports.map((r) => r.requestPeakKiB - r.beforeKiB), 1024),
    processPeakMiB: mib(reports.map((r) => r.peakKiB), 1024),
    heapPeakMiB: mib(reports.map((r) => r.heapPeak), MiB),
    arrayBuffersPeakMiB: mib(reports.map((r) => r.arrayBuffersPeak), MiB),
    ratio: median(reports.map((r, i) => r.requestPeakKiB / (floors[i] as ChildReport).requestPeakKiB)),
    processRatio: median(reports.map((r, i) => r.peakKiB / (floors[i] as ChildReport).peakKiB)),
    peaksMiB: reports.map((r) => r.requestPeakKiB / 1024),
    memoryLimitMiB: FUNCTION_SIZING[entry].memoryMiB,
  };
}

/** Each size's completion and the open of the one of size `open` (one of `sizes`), `runs` rounds, against their floors. */
export async function measureHandlerMemory(node: string, built: BenchBundles, sizes: readonly number[], open: number, runs: number): Promise<HandlerMemoryResult> {
  const opened = sizes.indexOf(open) + 1;
  if (opened === 0) throw new RangeError('the upload to open must be one of the sizes completed');
  const world: BenchWorld = await startBenchWorld(built.portalWebDir);
  // The stack put the stand-ins' endpoints, the bucket, region and local credentials into
  // process.env (as Lambda's environment would hold them); the Node options are the functions' own.
  const env = { ...process.env, SEALPOST_WEB_DIR: built.portalWebDir, NODE_OPTIONS: LAMBDA_NODE_OPTIONS };
  const client = new SealpostClient({ url: world.stack.appUrl, apiKey: world.standard.sendKey });
  const all = [1024, ...sizes];
  const completions = all.map(() => [] as ChildReport[]);
  const opens: [ChildReport[], ChildReport[]] = [[], []];
  const sealedBytes = all.map(() => 0);
  try {
    for (let run = 0; run < runs; run++) {
      const prepared: Prepared[] = [];
      for (const size of all) prepared.push(await preparedUpload(client, size));
      // Rotate who goes first, so no size always meets a freshly busy machine.
      for (let k = 0; k < all.length; k++) {
        const i = (k + run) % all.length;
        const upload = prepared[i] as Prepared;
        sealedBytes[i] = upload.bytes;
        const event = httpApiEvent('POST', `/v1/uploads/${upload.id}/complete`, {
          headers: { authorization: `Bearer ${world.standard.sendKey}`, 'content-type': 'application/json' }, body: upload.completion,
        });
        completions[i]?.push(expectAnswer(await runChild(node, built.files['sender-api'], event, built.dist, env), 201, `completing ${upload.bytes} bytes`));
      }
      // The opens: a small message stored in DynamoDB (the floor), and the upload of that size, just completed.
      const address = uniqueAddress('memory-open');
      await send(world, world.standard, sendBody([address]));
      const pickups = [await pickupFor(world, address), (prepared[opened] as Prepared).pickup];
      for (let k = 0; k < 2; k++) {
        const i = (k + run) % 2;
        const report = expectAnswer(await runChild(node, built.files.portal, openEvent(pickups[i] as Pickup), built.dist, env), 200, `opening ${i === 0 ? 'the small message' : 'the upload'}`);
        if (i === 1 && !(JSON.parse(report.body) as { parts?: unknown[] }).parts?.length) throw new Error('the open of the upload answered no part URLs');
        (opens[i] as ChildReport[]).push(report);
      }
    }
  } finally {
    await world.stack.close();
  }
  const [floor] = completions as [ChildReport[]];
  return {
    completions: completions.map((reports, i) => summary('sender-api', sealedBytes[i] as number, reports, floor)),
    opens: [summary('portal', 0, opens[0], opens[0]), summary('portal', sealedBytes[opened] as number, opens[1], opens[0])],
  };
}
