/**
 * Fault injection for the real AWS SDK v3 clients of the local stack (startLocal's `onSdkClient`):
 * two middlewares on each client record every call a flow makes and make one chosen call fail.
 *
 * - `initialize` step (outermost, runs synchronously inside `client.send`): numbers each call —
 *   one `send`, however many HTTP attempts the SDK's retry makes of it — per service, command and
 *   target (what it touches: `MSG#/HEAD`, `IDEM`, `SendRawEmail`, `Decrypt webhook-signing`, …), so
 *   "the 2nd UpdateItem of MSG#/HEAD" names the same logical call in every run of a flow.
 * - `deserialize` step, *below* the SDK's deserializer and inside its retry loop: sees each HTTP
 *   attempt. A faulted attempt gets a synthetic HTTP error response that the SDK's own
 *   deserializer turns into the real exception (ProvisionedThroughputExceededException, SES
 *   `Throttling`, KMSInternalException, …), or a socket error as the Node handler raises it, or
 *   reaches the real service and then loses its answer. The SDK's retry strategy decides, as in
 *   AWS, whether to try again.
 *
 * So that a throttled call costs no wall time and one run's retries cannot drain the next run's
 * retry quota, each call gets a fresh copy of the SDK's standard retry strategy with zero backoff:
 * the client's own number of attempts (4 for DynamoDB, 3 for SES and KMS), the same error
 * classification, no sleeping. (It replaces the client's strategy: the product uses the default.)
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { SdkClient } from '../../functions/entries/compose/sdk-clients.ts';

export type Service = 'DynamoDB' | 'SES' | 'KMS';

/**
 * - throttle: every attempt refused with the service's throttling error (nothing applied)
 * - server-error: every attempt answered 500 (nothing applied)
 * - network: every attempt fails to connect (ECONNREFUSED; nothing applied)
 * - timeout: every attempt goes unanswered until the SDK gives up on it (TimeoutError; nothing applied)
 * - applied-then-lost: every attempt reaches the service, and every answer is lost (ECONNRESET): the
 *   write happened, the caller sees a failure
 * - applied-then-retried: the first attempt reaches the service and its answer is lost; the SDK
 *   retries as usual and the retry meets the first attempt's effect
 */
export type FaultKind = 'throttle' | 'server-error' | 'network' | 'timeout' | 'applied-then-lost' | 'applied-then-retried';
export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'server-error', 'network', 'timeout', 'applied-then-lost', 'applied-then-retried'];
/** The kinds that differ from a plain failure only for a call that changes something at the service. */
export const WRITE_ONLY_KINDS: readonly FaultKind[] = ['applied-then-lost', 'applied-then-retried'];

/** One call (one `client.send`) as recorded. */
export interface AwsCall {
  readonly service: Service;
  readonly command: string;
  readonly target: string;
  /** 1-based: the n-th call with this service, command and target in the recording. */
  readonly ordinal: number;
  /** Changes state at the service (a DynamoDB write, an email sent). */
  readonly write: boolean;
  /** Full partition keys it touched (DynamoDB), e.g. `MSG#<id>`. */
  readonly partitions: readonly string[];
  attempts: number;
  /** `ok`, or the name of the error the caller got. */
  outcome?: string;
}

export interface Fault {
  readonly service: Service;
  readonly command: string;
  readonly target: string;
  readonly ordinal: number;
  readonly kind: FaultKind;
}

export const describeCall = (c: Pick<AwsCall, 'service' | 'command' | 'target' | 'ordinal'>): string =>
  `${c.service} ${c.command} ${c.target} #${c.ordinal}`;

const SERVICES: Record<string, Service> = { DynamoDBClient: 'DynamoDB', SESClient: 'SES', KMSClient: 'KMS' };
const DYNAMO_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

type AttributeMap = Record<string, { S?: string } | undefined>;
type Input = Record<string, unknown> & {
  Item?: AttributeMap; Key?: AttributeMap; IndexName?: string; ExpressionAttributeValues?: AttributeMap;
  RequestItems?: Record<string, { PutRequest?: { Item: AttributeMap }; DeleteRequest?: { Key: AttributeMap } }[] | { Keys?: AttributeMap[] }>;
  TransactItems?: Record<string, { Item?: AttributeMap; Key?: AttributeMap } | undefined>[];
  EncryptionContext?: Record<string, string>;
};

/** `MSG#<id>` → `MSG#`, `INBOX#t#h` → `INBOX#`; a sort key keeps its kind (`HEAD`, `CHUNK`, `EVENT`). */
function shape(pk: string | undefined, sk: string | undefined): string {
  const family = pk === undefined ? '?' : /^[A-Z]+#?/.exec(pk)?.[0] ?? pk;
  const kind = sk === undefined ? '' : `/${/^[A-Z]+/.exec(sk)?.[0] ?? 'ITEM'}`;
  return `${family}${kind}`;
}

function describeInput(service: Service, command: string, input: Input): { target: string; partitions: string[] } {
  if (service === 'SES') return { target: command, partitions: [] };
  if (service === 'KMS') return { target: `${command} ${input.EncryptionContext?.purpose ?? ''}`.trim(), partitions: [] };
  if (command === 'TransactWriteItems') {
    // Named by its items' shapes in order, e.g. `MSG#/CHUNK+MSG#/HEAD+MSG#/EVENT`.
    const keys = (input.TransactItems ?? []).map((t) => { const op = Object.values(t).find((v) => v !== undefined); return op?.Item ?? op?.Key ?? {}; });
    return { target: keys.map((k) => shape(k.pk?.S, k.sk?.S)).join('+'), partitions: [...new Set(keys.map((k) => k.pk?.S ?? ''))] };
  }
  if (command === 'BatchGetItem') {
    const keys = Object.values(input.RequestItems ?? {}).flatMap((r) => (Array.isArray(r) ? [] : r.Keys ?? []));
    return { target: keys.map((k) => shape(k.pk?.S, k.sk?.S)).join('+'), partitions: [...new Set(keys.map((k) => k.pk?.S ?? ''))] };
  }
  if (command === 'BatchWriteItem') {
    const requests = Object.values(input.RequestItems ?? {}).flatMap((r) => (Array.isArray(r) ? r : []));
    const keys = requests.map((r) => r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {});
    const shapes = [...new Set(keys.map((k) => shape(k.pk?.S, k.sk?.S)))].sort();
    const verb = requests.some((r) => r.DeleteRequest) ? 'delete ' : '';
    return { target: `${verb}${shapes.join('+')}`, partitions: [...new Set(keys.map((k) => k.pk?.S ?? ''))] };
  }
  if (command === 'Query') {
    const values = input.ExpressionAttributeValues ?? {};
    const pk = values[':pk']?.S ?? values[':p']?.S;
    return { target: `${input.IndexName ? `${input.IndexName} ` : ''}${shape(pk, undefined)}`, partitions: pk ? [pk] : [] };
  }
  const key = input.Item ?? input.Key ?? {};
  return { target: shape(key.pk?.S, key.sk?.S), partitions: key.pk?.S ? [key.pk.S] : [] };
}

/** The HTTP answer a service gives when it throttles or fails, for the SDK's own deserializer to parse. */
function errorResponse(service: Service, kind: 'throttle' | 'server-error'): { statusCode: number; headers: Record<string, string>; body: Uint8Array } {
  const requestId = 'fault-injected-0000';
  const throttle = kind === 'throttle';
  if (service === 'SES') {
    const [code, type, message] = throttle ? ['Throttling', 'Sender', 'Maximum sending rate exceeded.'] : ['InternalFailure', 'Receiver', 'An internal error occurred.'];
    const xml = `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return { statusCode: throttle ? 400 : 500, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: new TextEncoder().encode(xml) };
  }
  const [type, message] = service === 'DynamoDB'
    ? (throttle
      ? ['com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.']
      : ['com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal server error'])
    : (throttle ? ['ThrottlingException', 'Rate exceeded'] : ['KMSInternalException', 'An internal error occurred.']);
  const contentType = service === 'DynamoDB' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
  return {
    statusCode: throttle ? 400 : 500,
    headers: { 'content-type': contentType, 'x-amzn-requestid': requestId },
    body: new TextEncoder().encode(JSON.stringify({ __type: type, message })),
  };
}

/** A socket error as Node's HTTP client raises it (and the SDK's Node handler passes on). */
function socketError(code: 'ECONNREFUSED' | 'ECONNRESET'): Error {
  return Object.assign(new Error(code === 'ECONNRESET' ? 'socket hang up' : 'connect ECONNREFUSED 127.0.0.1:443'), { code });
}

/** What the SDK's Node handler raises when a request outlives its requestTimeout. */
function timeoutError(): Error {
  return Object.assign(new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

type Next = (args: unknown) => Promise<unknown>;

export class FaultInjector {
  private calls: AwsCall[] = [];
  private readonly counts = new Map<string, number>();
  private readonly byContext = new WeakMap<object, AwsCall>();
  private fault: Fault | undefined;
  private firedAttempts = 0;

  /** Pass as startLocal's `onSdkClient`. */
  readonly attach = (client: SdkClient): void => {
    const config = client.config as unknown as { retryStrategy: () => Promise<unknown>; maxAttempts: () => Promise<number> };
    config.retryStrategy = async () => new ConfiguredRetryStrategy(await config.maxAttempts(), 0);
    const stack = client.middlewareStack as unknown as {
      add(mw: (next: Next, context: Record<string, unknown>) => Next, options: { step: string; priority: string; name: string }): void;
    };
    stack.add((next, context) => async (args) => this.recordCall(next, context, args), { step: 'initialize', priority: 'high', name: 'faultInjectorRecorder' });
    stack.add((next, context) => async (args) => this.attempt(next, context, args), { step: 'deserialize', priority: 'low', name: 'faultInjector' });
  };

  /** Forgets what was recorded and disarms: the next call starts a new recording. */
  reset(): void {
    this.calls = [];
    this.counts.clear();
    this.fault = undefined;
    this.firedAttempts = 0;
  }

  /** Makes `fault` happen to its call in what follows (counting from the last reset). */
  arm(fault: Fault): void {
    this.fault = fault;
  }

  disarm(): void {
    this.fault = undefined;
  }

  /** The calls since the last reset, in the order they were made. */
  get recorded(): readonly AwsCall[] {
    return this.calls;
  }

  /** Whether the armed fault met its call (how many attempts it changed). */
  get fired(): number {
    return this.firedAttempts;
  }

  private async recordCall(next: Next, context: Record<string, unknown>, args: unknown): Promise<unknown> {
    const service = SERVICES[String(context.clientName)];
    if (!service) return next(args);
    const command = String(context.commandName).replace(/Command$/, '');
    const input = ((args as { input?: Input }).input ?? {}) as Input;
    const { target, partitions } = describeInput(service, command, input);
    const id = `${service} ${command} ${target}`;
    const ordinal = (this.counts.get(id) ?? 0) + 1;
    this.counts.set(id, ordinal);
    const call: AwsCall = {
      service, command, target, ordinal, partitions, attempts: 0,
      write: service === 'SES' ? command === 'SendRawEmail' : service === 'DynamoDB' && DYNAMO_WRITES.has(command),
    };
    this.calls.push(call);
    this.byContext.set(context, call);
    try {
      const result = await next(args);
      call.outcome = 'ok';
      return result;
    } catch (error) {
      call.outcome = (error as { name?: string }).name ?? 'Error';
      throw error;
    }
  }

  private async attempt(next: Next, context: object, args: unknown): Promise<unknown> {
    const call = this.byContext.get(context);
    if (!call) return next(args);
    call.attempts++;
    const f = this.fault;
    if (!f || f.service !== call.service || f.command !== call.command || f.target !== call.target || f.ordinal !== call.ordinal) return next(args);
    if (f.kind === 'applied-then-retried' && call.attempts > 1) return next(args);
    this.firedAttempts++;
    switch (f.kind) {
      case 'throttle':
      case 'server-error':
        return { response: errorResponse(call.service, f.kind) };
      case 'network':
        throw socketError('ECONNREFUSED');
      case 'timeout':
        // The SDK's handler would wait out its requestTimeout first; the wait is not what is tested.
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw timeoutError();
      case 'applied-then-lost':
      case 'applied-then-retried': {
        const { response } = await next(args) as { response?: { body?: { resume?: () => void } } };
        // Drain the answer nobody will read, so its connection goes back to the pool.
        response?.body?.resume?.();
        throw socketError('ECONNRESET');
      }
    }
  }
}
