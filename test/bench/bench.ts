/**
 * `npm run bench`: the speed, size and cost figures, each against a floor measured in the same run
 * (a ratio, because an absolute time on a shared machine is noise), under Node 22 — the Lambda
 * runtime — to which it re-runs itself. Prints one Markdown table (README "Performance" shows it);
 * `--json` prints the figures for machines instead; `--check` exits non-zero when a budget is missed.
 * `--runs N` sets the repetitions of the timed figures (default 9; cold starts take the median).
 *
 * Figures (the budgets are the issue's "Earn the speed against the floors"):
 * - cold start of sender-api (first request a send) and portal (an open): cold-start.ts, against a
 *   minimal Hono + DynamoDB bundle whose first request is a GetItem; ≤ 1.3× and ≤ 1.15×.
 * - the pickup page's weight (HTML + JS + CSS, gzip -9): ≤ 60 KB, against PrivateBin's page.
 * - seal (the protocol's sealer, the server's and the SDK's) + open (the page's decryptor) of 10 MiB:
 *   seal-open.ts; ≤ 2× raw AES-256-GCM. openpgp.js's seal and open of the same bytes are reported as data.
 * - opening a 5 MiB and a 25 MiB message in the page in Chromium: browser-open.ts; ≤ 2× one
 *   WebCrypto AES-GCM decrypt of as many bytes in the same page; peak tab memory reported.
 * - the Lambda handlers' memory with a large sealed upload: memory.ts, the built bundles, one request
 *   per fresh Node 22 process against the local stand-ins, the process's peak resident memory while
 *   it answers. sender-api completing a 5 MiB, a 25 MiB and a 40 MiB upload (the default limit,
 *   SEALPOST_MAX_UPLOAD_MIB: does it level off?), against completing a ~1 KB one: ≤ that floor + 16 MiB (four parts); the portal answering the open of the 25 MiB message (part URLs), against the open of a
 *   small message stored in DynamoDB: ≤ 1.1× (the budgets' reasons: at COMPLETION_PARTS_MIB).
 * - send and open through the local stack at 1, 4 and 16 clients: load.ts (reported).
 * - AWS calls per operation: aws-calls.ts, against the issue's budgets.
 * - cost per 1,000 messages: cost.ts; ≤ 2× what SES alone charges to email the same content.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_UPLOAD_MIB } from '../../functions/config.ts';
import { buildWeb } from '../../web/build.ts';
import { countAwsCalls, OPEN, SEND, type CallCount } from './aws-calls.ts';
import { measureBrowserOpen } from './browser-open.ts';
import { buildBenchBundles, measureColdStarts, type ColdStart } from './cold-start.ts';
import { costPer1000 } from './cost.ts';
import { measureLoad } from './load.ts';
import { measureHandlerMemory, type HandlerMemory } from './memory.ts';
import { node22 } from './node22.ts';
import { measureSealOpen } from './seal-open.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const runs = Number(args[args.indexOf('--runs') + 1] ?? '') || 9;

if (process.versions.node.split('.')[0] !== '22') {
  // Re-run under Node 22 (tsx as the loader), whatever the development runtime is.
  // --expose-gc: timed runs in this process start from a collected heap (seal-open.ts).
  const child = spawnSync(node22(), ['--expose-gc', '--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

/** PrivateBin's page, the lightest peer's: the CSS and JS its default template loads, gzip -9 (see README "Performance"). */
export const PRIVATEBIN_PAGE_KB = 153.0;
export const PAGE_BUDGET_KB = 60;
/**
 * Completing a sealed upload reads the parts one at a time (upload-check.ts: one 4 MiB part buffer,
 * refilled from each S3 response stream, hashed and fed to the shape reader; protocol.md §21.1
 * "memory: one part"), so what it holds should not grow with the message: the part being filled,
 * the stream's chunks of it, and a part or two the garbage collector has not yet taken back (the
 * blob store has the young generation collected after each part: young-garbage.ts) — about four
 * parts, 16 MiB. The budget is those four parts over the floor, the same bundle completing a ~1 KB
 * upload, measured in the same run: (floor + 16 MiB) / floor. It was written as a fixed 1.15× while
 * the floor peaked at about 110 MiB; since the entries load S3, KMS and SES on first use
 * (compose/on-first-call.ts) the floor peaks at about 85 MiB, and the same 16 MiB is 1.19×. A
 * completion that held a 25 MiB message whole would need at least 25 MiB more than the floor.
 */
export const COMPLETION_PARTS_MIB = 16;
export const completionMemoryBudget = (floorPeakMiB: number): number => (floorPeakMiB + COMPLETION_PARTS_MIB) / floorPeakMiB;
/**
 * Opening a sealed upload only signs one URL per part (presign.ts, no S3 client): nothing of the
 * message passes through the portal, so its peak is the floor's — an open of a small message in
 * DynamoDB, whose answer carries the ciphertext — give or take the garbage collector's timing.
 */
export const OPEN_MEMORY_BUDGET = 1.1;
const MiB = 1024 * 1024;

interface Figure {
  readonly figure: string;
  readonly value: string;
  readonly floor: string;
  /** value / floor, when the figure is a ratio. */
  readonly ratio?: number;
  readonly budget: string;
  /** Undefined: reported, no budget. */
  readonly ok?: boolean;
  readonly data?: unknown;
}

const figures: Figure[] = [];
const fmt = (n: number, digits = 0) => n.toFixed(digits);
/** A timed figure against its floor; `ratio` when it was paired run by run (else value / floor). */
const ratioRow = (figure: string, value: number, floor: number, floorName: string, budget: number, data?: unknown, ratio = value / floor): Figure => ({
  figure, value: `${fmt(value)} ms`, floor: `${floorName}: ${fmt(floor)} ms`, ratio, budget: `≤ ${budget}×`, ok: ratio <= budget, data,
});

const startLoad = loadavg()[0] ?? 0;
const webDir = mkdtempSync(join(tmpdir(), 'sealpost-bench-web-'));
const assets = await buildWeb({ outDir: webDir });
const bundles = await buildBenchBundles(webDir);

// 1. Cold starts (first, on a machine as quiet as this run will see it).
const cold = await measureColdStarts(process.execPath, bundles, runs);
const coldOf = (target: ColdStart['target']) => cold.find((c) => c.target === target) as ColdStart;
const floor = coldOf('floor');
for (const [target, work, budget] of [['sender-api', 'a send', 1.3], ['portal', 'an open', 1.15]] as const) {
  const c = coldOf(target);
  const row = ratioRow(`${target} cold start, Node 22, first request ${work} (in CPU time: ${fmt(c.cpuRatio, 2)}×)`, c.coldMs, floor.coldMs, 'minimal Hono + DynamoDB bundle, first request a GetItem', budget, c, c.ratio);
  figures.push({ ...row, value: `${row.value} (CPU ${fmt(c.coldCpuMs)} ms)`, floor: `${row.floor} (CPU ${fmt(floor.coldCpuMs)} ms)` });
}

// 2. Page weight.
const gzipKb = (page: string) => assets.filter((a) => a.page === page).reduce((sum, a) => sum + a.gzipBytes, 0) / 1024;
const pageKb = gzipKb('pickup');
figures.push({
  figure: 'pickup page, HTML + JS + CSS, gzip', value: `${fmt(pageKb, 1)} KB`, floor: `PrivateBin's page (JS + CSS): ${fmt(PRIVATEBIN_PAGE_KB, 1)} KB`,
  ratio: pageKb / PRIVATEBIN_PAGE_KB, budget: `≤ ${PAGE_BUDGET_KB} KB`, ok: pageKb <= PAGE_BUDGET_KB,
});
const consoleKb = gzipKb('admin');
figures.push({ figure: 'admin console, HTML + JS + CSS, gzip', value: `${fmt(consoleKb, 1)} KB`, floor: figures.at(-1)?.floor ?? '', ratio: consoleKb / PRIVATEBIN_PAGE_KB, budget: '≤ 30 KB', ok: consoleKb <= 30 });

// 3. Sealing and opening on the server.
const sealOpen = await measureSealOpen(runs);
const sealRow = ratioRow('seal (sealpost\'s sealer) + open (the page\'s decryptor) 10 MiB, Node 22', sealOpen.sealOpenMs, sealOpen.rawAesGcmMs, 'raw AES-256-GCM encrypt + decrypt (node:crypto)', 2, sealOpen, sealOpen.ratio);
figures.push({ ...sealRow, value: `${sealRow.value} (seal ${fmt(sealOpen.sealMs)}, open ${fmt(sealOpen.openMs)}; openpgp.js's seal ${fmt(sealOpen.openpgpSealMs)}, open ${fmt(sealOpen.openpgpOpenMs)})` });

// 4. Opening in the browser.
const opens = await measureBrowserOpen(webDir, [5 * MiB, 25 * MiB], Math.max(3, Math.ceil(runs / 3)));
for (const o of opens) {
  const size = `${Math.round(o.bytes / MiB)} MiB`;
  figures.push(ratioRow(`open a ${size} message in Chromium (open → fetch its parts → decrypt → parse → render; the open and the parts fetched alone ${fmt(o.fetchMs)} ms, the paint ${fmt(o.paintMs)} ms)`, o.openMs, o.aesGcmMs, 'one WebCrypto AES-256-GCM decrypt of as many bytes, same page', 2, o, o.ratio));
  figures.push(ratioRow(`decrypt a ${size} message in Chromium, the page's decryptor`, o.decryptMs, o.aesGcmMs, 'the same AES-256-GCM decrypt', 2, o, o.decryptRatio));
}
figures.push({ figure: 'peak tab memory while opening (renderer RSS)', value: opens.map((o) => `${fmt(o.peakMiB)} MiB (${Math.round(o.bytes / MiB)} MiB message)`).join(', '), floor: '—', budget: 'reported' });

// 4b. The Lambda handlers' memory with a large sealed upload.
// The largest: just under the default limit (the sealing's overhead is estimated, not exact).
const memory = await measureHandlerMemory(process.execPath, bundles, [5 * MiB, 25 * MiB, DEFAULT_MAX_UPLOAD_MIB * MiB - 128 * 1024], 25 * MiB, Math.max(3, Math.ceil(runs / 3)));
const memoryText = (m: HandlerMemory) => `${fmt(m.peakMiB)} MiB peak RSS while answering (+${fmt(m.requestMiB)} MiB over the ${fmt(m.beforeMiB)} MiB before it; V8 heap ≤ ${fmt(m.heapPeakMiB)} MiB, ArrayBuffers ≤ ${fmt(m.arrayBuffersPeakMiB)} MiB; the process's peak, import included: ${fmt(m.processPeakMiB)} MiB)`;
const memoryFloor = (m: HandlerMemory) => `${fmt(m.peakMiB)} MiB (+${fmt(m.requestMiB)} MiB; ArrayBuffers ≤ ${fmt(m.arrayBuffersPeakMiB)} MiB)`;
const [smallUpload, ...largeUploads] = memory.completions as [HandlerMemory, ...HandlerMemory[]];
const completionBudget = completionMemoryBudget(smallUpload.peakMiB);
for (const m of largeUploads) {
  figures.push({
    figure: `sender-api memory completing a ${Math.round(m.bytes / MiB)} MiB sealed upload${m.bytes > (DEFAULT_MAX_UPLOAD_MIB - 1) * MiB ? ' (the default limit)' : ''} (built bundle, Node 22, a process per request; the function has ${m.memoryLimitMiB} MiB)`,
    value: memoryText(m), floor: `the same completing a ${fmt(smallUpload.bytes / 1024, 1)} KB upload: ${memoryFloor(smallUpload)}`,
    ratio: m.ratio, budget: `≤ ${fmt(completionBudget, 2)}× (the floor + ${COMPLETION_PARTS_MIB} MiB: four parts)`, ok: m.ratio <= completionBudget, data: m,
  });
}
const [smallOpen, largeOpen] = memory.opens as [HandlerMemory, HandlerMemory];
figures.push({
  figure: `portal memory answering the open of the ${Math.round(largeOpen.bytes / MiB)} MiB sealed upload (part URLs; the function has ${largeOpen.memoryLimitMiB} MiB)`,
  value: memoryText(largeOpen), floor: `the open of a small message stored in DynamoDB: ${memoryFloor(smallOpen)}`,
  ratio: largeOpen.ratio, budget: `≤ ${OPEN_MEMORY_BUDGET}×`, ok: largeOpen.ratio <= OPEN_MEMORY_BUDGET, data: { open: largeOpen, floor: smallOpen },
});

// 5. Throughput through the local stack.
const load = await measureLoad(webDir, (clients) => Math.max(40, clients * 12));
for (const operation of ['send', 'open'] as const) {
  figures.push({
    figure: `${operation} through the local stack, text only: 1 / 4 / 16 clients`,
    value: load.filter((l) => l.operation === operation).map((l) => `${fmt(l.perSecond)}/s (p50 ${fmt(l.p50Ms)}, p99 ${fmt(l.p99Ms)} ms)`).join(' · '),
    floor: '—', budget: 'reported', data: load.filter((l) => l.operation === operation),
  });
}

// 6. AWS calls per operation.
const calls = await countAwsCalls(webDir);
const callsOf = (operation: string) => calls.operations.find((c) => c.operation === operation) as CallCount;
const callText = (c: CallCount) => `${c.dynamoReads} DynamoDB reads, ${c.dynamoWrites} writes, ${c.ses} SES, ${c.kms} KMS`;
const callBudgets: [string, string, (c: CallCount) => boolean][] = [
  [SEND, '≤ 2 DynamoDB writes, 1 SES, 0 KMS', (c) => c.dynamoWrites <= 2 && c.ses === 1 && c.kms === 0],
  [SEND.replace('standard', 'Message Center'), '≤ 2 DynamoDB writes, 1 SES, 2 KMS (secrets + custody key)', (c) => c.dynamoWrites <= 2 && c.ses === 1 && c.kms === 2],
  [OPEN, '≤ 2 DynamoDB calls', (c) => c.dynamoReads + c.dynamoWrites <= 2],
  ['inbox list (Message Center)', '0 KMS', (c) => c.kms === 0],
  ['webhook delivery round (1 tenant, 1 endpoint)', '≤ 4 + 2 per event delivered (≤ 25 a round), 1 KMS', (c) => c.kms === 1 && c.dynamoReads + c.dynamoWrites <= 4 + 2 * 25],
];
for (const [operation, budget, ok] of callBudgets) {
  const c = callsOf(operation);
  figures.push({ figure: `AWS calls: ${operation}`, value: callText(c), floor: '—', budget, ok: ok(c), data: c });
}

// 7. Cost per 1,000 messages.
for (const life of calls.lives) {
  const cost = costPer1000(life, pageKb * 1024);
  const what = life.attachmentBytes === 0 ? 'text only' : `${Math.round(life.sealedBytes / 1000)} KB sealed`;
  figures.push({
    figure: `cost per 1,000 messages, 1 recipient, ${what}, opened once`, value: `$${fmt(cost.usdPer1000, 3)}`,
    floor: `SES alone, same content: $${fmt(cost.floorUsdPer1000, 3)}`, ratio: cost.usdPer1000 / cost.floorUsdPer1000, budget: '≤ 2×',
    ok: cost.usdPer1000 / cost.floorUsdPer1000 <= 2, data: cost,
  });
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} vCPUs, load average ${fmt(startLoad, 1)} → ${fmt(loadavg()[0] ?? 0, 1)}; Node ${process.versions.node}; ${runs} runs`;
const missed = figures.filter((f) => f.ok === false);

if (flag('json')) {
  console.log(JSON.stringify({ machine, figures }, null, 2));
} else {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  console.log('| figure | now | floor, same run | ratio | budget | |');
  console.log('|---|---|---|---|---|---|');
  for (const f of figures) {
    const mark = f.ok === undefined ? '' : f.ok ? 'met' : '**missed**';
    console.log(`| ${cell(f.figure)} | ${cell(f.value)} | ${cell(f.floor)} | ${f.ratio === undefined ? '—' : `${fmt(f.ratio, 2)}×`} | ${cell(f.budget)} | ${mark} |`);
  }
  console.log(`\n${machine}. ${figures.filter((f) => f.ok).length} budgets met, ${missed.length} missed.`);
}
process.exit(flag('check') && missed.length > 0 ? 1 : 0);
