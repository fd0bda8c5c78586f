// One request's memory, in a fresh process of the Node under test (plain JavaScript: no loader in
// the way). Imports the bundle BENCH_BUNDLE, hands its handler the event in BENCH_EVENT (a JSON
// file), and writes to BENCH_OUT: the process's peak resident memory up to then (VmHWM: the import's
// peak), its resident memory just before the request, the peak during the request alone (the
// kernel's mark reset as it starts, proc(5) clear_refs "5"), the whole process's peak (what Lambda
// reports as "Max Memory Used"), the V8 heap and ArrayBuffer peaks sampled every millisecond and at
// the end, and the answer's status code and body (the bench checks it).
// Not process.resourceUsage().maxRSS: Linux carries the parent's peak across fork and exec into it
// (the bench's own hundreds of MiB); VmHWM is this process's memory alone.
import { readFileSync, writeFileSync } from 'node:fs';

const status = () => readFileSync('/proc/self/status', 'utf8');
const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status())?.[1] ?? NaN);
const event = JSON.parse(readFileSync(process.env.BENCH_EVENT, 'utf8'));
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 30_000 };
const { handler } = await import(process.env.BENCH_BUNDLE);

const importPeakKiB = kib('VmHWM');
let reset = true;
try {
  writeFileSync('/proc/self/clear_refs', '5');
} catch {
  reset = false; // no reset: the request's peak is the process's
}
const beforeKiB = kib('VmRSS');
let heapPeak = 0;
let arrayBuffersPeak = 0;
const sample = () => {
  const m = process.memoryUsage();
  heapPeak = Math.max(heapPeak, m.heapUsed);
  arrayBuffersPeak = Math.max(arrayBuffersPeak, m.arrayBuffers);
};
sample();
const heapBefore = heapPeak;
const sampler = setInterval(sample, 1);
const result = await handler(event, context);
sample();
clearInterval(sampler);
const requestPeakKiB = kib('VmHWM');
writeFileSync(process.env.BENCH_OUT, JSON.stringify({
  importPeakKiB, beforeKiB, requestPeakKiB, reset,
  peakKiB: Math.max(importPeakKiB, requestPeakKiB),
  heapBefore, heapPeak, arrayBuffersPeak,
  statusCode: result.statusCode, body: result.isBase64Encoded ? '' : result.body, node: process.version,
}));
