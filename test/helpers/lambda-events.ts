/** Real API Gateway v2 (HTTP API) payload-format-2.0 events, as Lambda receives them. */
export function httpApiEvent(method: string, path: string, options: { headers?: Record<string, string>; body?: string | Uint8Array; sourceIp?: string } = {}) {
  const binary = options.body instanceof Uint8Array;
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com', 'user-agent': 'vitest', ...(options.headers ?? {}) },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: options.sourceIp ?? '203.0.113.7', userAgent: 'vitest' },
      requestId: 'req-' + Math.random().toString(36).slice(2),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(options.body === undefined ? {} : { body: binary ? Buffer.from(options.body as Uint8Array).toString('base64') : options.body, isBase64Encoded: binary }),
    ...(options.body === undefined ? { isBase64Encoded: false } : {}),
  };
}

export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'sealpost-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:sealpost-test',
  memoryLimitInMB: '1024',
  awsRequestId: 'test',
  logGroupName: '/aws/lambda/sealpost-test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};
