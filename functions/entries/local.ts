/**
 * `npm start`: the whole product on this machine — dynalite, the local mailbox (aws-ses-v2-local),
 * the table, the demo tenant, and the API + portal — as one process tree. Ctrl-C stops it all.
 */
import { startLocal } from './local/start-local.ts';

function intEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name} must be a port number`);
    process.exit(2);
  }
  return n;
}

const stack = await startLocal({
  port: intEnv('PORT', 3000),
  dynamoDbPort: intEnv('DYNAMODB_PORT', 8000),
  mailboxPort: intEnv('MAILBOX_PORT', 8005),
  dataDir: process.env.SEALPOST_DATA_DIR || '.data',
  ...(process.env.SEALPOST_DEV_API_KEY ? { devApiKey: process.env.SEALPOST_DEV_API_KEY } : {}),
  ...(process.env.SEALPOST_DEV_ADMIN_KEY ? { devAdminKey: process.env.SEALPOST_DEV_ADMIN_KEY } : {}),
}).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  console.error(code === 'EADDRINUSE'
    ? `sealpost: a port is already in use (${String((error as Error).message)}). Set PORT, DYNAMODB_PORT or MAILBOX_PORT.`
    : `sealpost: could not start: ${String(error instanceof Error ? error.message : error)}`);
  process.exit(1);
});

const curl = `curl -sS ${stack.appUrl}/v1/messages \\
  -H "Authorization: Bearer ${stack.apiKey}" \\
  -H "Content-Type: application/json" \\
  -d '{"to":["alice@example.com"],"subject":"Lab results","text":"Hello Alice, your results are ready.","html":"<p>Hello Alice, your <b>results</b> are ready.</p>","attachments":[{"filename":"results.txt","contentType":"text/plain","content":"UmVzdWx0czogYWxsIGNsZWFyLgo="}]}'`;

console.log(`
  sealpost is running (local mode)

  App (API + portal)  ${stack.appUrl}
  Local mailbox       ${stack.mailboxUrl}   <- notification emails land here; click the link
  DynamoDB (dynalite) ${stack.dynamoDbEndpoint}
  Data                ${stack.dataDir}

  Demo tenant API key, scope send (${stack.apiKeySource}):
    ${stack.apiKey}
  Demo tenant admin key (${stack.adminKeySource}) — sign in to the admin console at ${stack.appUrl}/admin:
    ${stack.adminKey}

  Send a message:
${curl.split('\n').map((line) => '    ' + line).join('\n')}

  Then open ${stack.mailboxUrl} and click "Open secure message". Ctrl-C stops everything.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\n  stopping sealpost…');
    stack.close().then(() => process.exit(0), () => process.exit(1));
  });
}
