/**
 * Runs a flow once to record the AWS calls it makes, then once per planned fault with that call
 * faulted, checking the flow's invariants after every run. Broken invariants are collected (each
 * named by its call and fault kind) rather than stopping at the first, so one run shows them all.
 */
import { FAULT_KINDS, WRITE_ONLY_KINDS, describeCall, type AwsCall, type Fault, type FaultInjector, type FaultKind } from './fault-injector.ts';

/** The faults that leave the service untouched. */
const REFUSALS: readonly FaultKind[] = FAULT_KINDS.filter((k) => !WRITE_ONLY_KINDS.includes(k));

export interface FlowSpec<S, O> {
  readonly name: string;
  readonly injector: FaultInjector;
  /** Fresh state for one run, made with nothing armed (the recording has not started). */
  prepare(run: number): Promise<S>;
  /** The flow under test; everything it does is recorded (and, in a faulted run, one call fails). */
  act(state: S): Promise<O>;
  /** The invariants after a run (`fault` undefined: the recording run), then the retry. Throws when one is broken. */
  check(state: S, outcome: O, fault: Fault | undefined): Promise<void>;
  /** Calls left out of the plan (say why where the spec is written). */
  readonly skip?: (call: AwsCall) => boolean;
}

export interface FlowReport {
  readonly flow: string;
  readonly recorded: readonly AwsCall[];
  /** Faulted runs whose fault met its call, by kind. */
  readonly byKind: Readonly<Record<FaultKind, number>>;
  readonly faulted: number;
  readonly failures: readonly string[];
}

/**
 * The faults to try for a recorded flow: every kind on every call, except that the two "applied"
 * kinds are tried only on writes (for a read they are a plain network error).
 */
export function planFaults(calls: readonly AwsCall[]): Fault[] {
  return calls.flatMap((call) => (call.write ? FAULT_KINDS : REFUSALS)
    .map((kind) => ({ service: call.service, command: call.command, target: call.target, ordinal: call.ordinal, kind })));
}

export async function exercise<S, O>(spec: FlowSpec<S, O>): Promise<FlowReport> {
  const { injector } = spec;
  const failures: string[] = [];
  const byKind = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;

  const first = await spec.prepare(0);
  injector.reset();
  const outcome = await spec.act(first);
  const recorded = [...injector.recorded];
  await spec.check(first, outcome, undefined).catch((error: unknown) => failures.push(`no fault: ${message(error)}`));

  const faults = planFaults(recorded.filter((c) => !spec.skip?.(c)));
  let faulted = 0;
  for (const [i, fault] of faults.entries()) {
    const what = `${describeCall(fault)} ${fault.kind}`;
    try {
      const state = await spec.prepare(i + 1);
      injector.reset();
      injector.arm(fault);
      const result = await spec.act(state);
      injector.disarm();
      if (injector.fired === 0) {
        failures.push(`${what}: the call did not happen (the flow's calls are not deterministic)`);
        continue;
      }
      byKind[fault.kind]++;
      faulted++;
      await spec.check(state, result, fault);
    } catch (error) {
      failures.push(`${what}: ${message(error)}`);
    } finally {
      injector.disarm();
    }
  }
  return { flow: spec.name, recorded, byKind, faulted, failures };
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n').filter((l) => l.trim() !== '').slice(0, 6).join(' | ');
}

/** One line per flow for the test output: calls recorded, faulted runs by kind. */
export function summarize(report: FlowReport, calls = false): string {
  const kinds = FAULT_KINDS.filter((k) => report.byKind[k] > 0).map((k) => `${k} ${report.byKind[k]}`).join(', ');
  const list = calls ? report.recorded.map((c) => `\n      ${describeCall(c)}${c.write ? ' (write)' : ''}`).join('') : '';
  return `${report.flow}: ${report.recorded.length} AWS calls, ${report.faulted} faulted runs (${kinds})${list}`;
}

/** Whether `fault` is on `service` (and, when given, `command` and `target`). */
export const isFault = (fault: Fault | undefined, service: AwsCall['service'], command?: string, target?: string): boolean =>
  fault !== undefined && fault.service === service && (command === undefined || fault.command === command) && (target === undefined || fault.target === target);

/** Whether, in `calls`, the faulted call came after the first call that `earlier` matches. */
export function faultedAfter(calls: readonly AwsCall[], fault: Fault | undefined, earlier: (call: AwsCall) => boolean): boolean {
  const at = calls.findIndex((c) => fault !== undefined && c.service === fault.service && c.command === fault.command && c.target === fault.target && c.ordinal === fault.ordinal);
  const before = calls.findIndex(earlier);
  return before >= 0 && at > before;
}

/** A flow of steps (each an HTTP request of the user's), as far as it went. */
export interface Steps<A> { readonly answers: A[]; readonly done: boolean }

/** Runs `steps` from `from` on, stopping at the first answer that is not `happy`. */
export async function runSteps<A>(steps: readonly (() => Promise<A>)[], happy: (answer: A, index: number) => boolean, from = 0): Promise<Steps<A>> {
  const answers: A[] = [];
  for (let i = from; i < steps.length; i++) {
    const answer = await (steps[i] as () => Promise<A>)();
    answers.push(answer);
    if (!happy(answer, i)) return { answers, done: false };
  }
  return { answers, done: true };
}
