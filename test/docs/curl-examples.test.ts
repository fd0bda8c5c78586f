/**
 * The README's tour and the docs run as written: every ```sh or ```bash block made of curl
 * commands and shell variables (`KEY=$(cat .data/dev-api-key)`, `ID=$(curl … | jq -r .id)`) runs,
 * in document order — README.md, then docs/api.md, then the other pages of docs/ — in one bash
 * session against a fresh `npm start` (the real entry as a child process, in a data directory of
 * its own). Every curl must get a 2xx answer, none may be skipped, and no id or revision is fixed:
 * each comes from an earlier answer. Blocks with other commands (npm, npx, aws, node) are not run,
 * and may not hold a curl.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../functions/stand-ins/stand-ins.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ORDER = ['README.md', 'docs/api.md'];
const FILES = [...ORDER, ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`).filter((f) => !ORDER.includes(f)).sort()];

export interface Block {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  /** Why the block is shown but not run: an HTML comment `<!-- not run: why -->` on the line before it. */
  readonly notRun?: string;
}

/** The ```sh and ```bash blocks of a Markdown text, with the line each starts on. */
export function shellBlocks(file: string, markdown: string): Block[] {
  return [...markdown.matchAll(/^(?:<!-- not run: ([^\n]*?) -->\n)?```(?:sh|bash)\n([\s\S]*?)^```/gm)].map((m) => ({
    file, line: markdown.slice(0, m.index).split('\n').length + (m[1] === undefined ? 1 : 2), text: m[2] as string, ...(m[1] === undefined ? {} : { notRun: m[1] }),
  }));
}

/**
 * The commands of a block: split at newlines outside quotes and $( … ), with line continuations
 * joined and comment lines dropped.
 */
export function commandsOf(text: string): string[] {
  const commands: string[] = [];
  let current = '';
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"') current += text[i++] ?? '';
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '\\' && text[i + 1] === '\n') {
      i++;
      current += ' ';
      continue;
    } else if (ch === '$' && text[i + 1] === '(') {
      depth++;
    } else if (ch === ')' && depth > 0) {
      depth--;
    } else if (ch === '\n' && depth === 0) {
      commands.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  commands.push(current);
  return commands.map((c) => c.trim()).filter((c) => c !== '' && !c.startsWith('#'));
}

/** A block runs when each of its commands is a curl, an assignment or an export. */
export function runnable(block: Block): boolean {
  if (block.notRun !== undefined) return false;
  const commands = commandsOf(block.text);
  return commands.length > 0 && commands.every((c) => /^(curl\s|export\s|[A-Za-z_]\w*=)/.test(c) && !/^(AWS|SEALPOST)_\w*=\S*\s+\S/.test(c));
}

/** How many curl commands a block holds (each one answers once). */
export function curlCount(text: string): number {
  return commandsOf(text).reduce((n, c) => n + [...c.matchAll(/(?:^|\s|\$\()curl\s/g)].length, 0);
}

const blocks = FILES.flatMap((file) => shellBlocks(file, readFileSync(join(ROOT, file), 'utf8')));

describe('the examples of the README and docs/', () => {
  it('can tell which blocks run: curl and variables only', () => {
    const block = (text: string): Block => ({ file: 'x.md', line: 1, text });

    expect(runnable(block('KEY=$(cat .data/dev-api-key)\ncurl -sS http://localhost:3000/v1/messages \\\n  -H "Authorization: Bearer $KEY"\n'))).toBe(true);
    expect(runnable(block('ID=$(curl -sS http://x | jq -r .id)\n'))).toBe(true);
    expect(runnable(block('npm install && npm start\n'))).toBe(false);
    expect(runnable(block('AWS_REGION=eu-central-1 npm run admin -- tenant list\n'))).toBe(false);
    expect(runnable(block('curl -sS http://x\nnpx cdk deploy\n'))).toBe(false);
    expect(runnable(block("ID=$(curl -sS http://x \\\n  -d '{\n    \"to\": [\"a@example.com\"]\n  }' | jq -r .id)\n"))).toBe(true);
    expect(curlCount('ID=$(curl -sS a | jq)\ncurl -sS b\n# curl is not a command here\n')).toBe(2);
  });

  it('keeps every curl in a block that runs', () => {
    const stranded = blocks.filter((b) => !runnable(b) && b.notRun === undefined && curlCount(b.text) > 0).map((b) => `${b.file}:${b.line}`);

    expect(stranded).toEqual([]);
  });

  it('shows a curl without running it only where it cannot run, each saying why', () => {
    expect(blocks.filter((b) => b.notRun !== undefined).map((b) => `${b.file}: ${b.notRun}`)).toEqual([
      'docs/api.md: completing needs a message sealed on your machine (the CLI or the SDK seals it)',
    ]);
    expect(shellBlocks('x.md', '<!-- not run: why -->\n```sh\ncurl -sS http://x\n```\n')).toEqual([{ file: 'x.md', line: 3, text: 'curl -sS http://x\n', notRun: 'why' }]);
    expect(runnable({ file: 'x.md', line: 1, text: 'curl -sS http://x\n', notRun: 'why' })).toBe(false);
  });
});

describe('the examples of the README and docs/, run against a fresh npm start', () => {
  let child: ChildProcess | undefined;
  let port = 0;
  let mailboxPort = 0;
  let home = '';

  beforeAll(async () => {
    [port, mailboxPort] = [await freePort(), await freePort()];
    home = mkdtempSync(join(tmpdir(), 'sealpost-tour-'));
    child = spawn(process.execPath, ['--import', 'tsx', 'functions/entries/local.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), DYNAMODB_PORT: String(await freePort()), MAILBOX_PORT: String(mailboxPort), SEALPOST_DATA_DIR: join(home, '.data'), SEALPOST_DEV_API_KEY: '', SEALPOST_DEV_ADMIN_KEY: '', SEALPOST_LOG_LEVEL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolveStarted, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start printed no banner within 45 s:\n${output}`)), 45_000);
      child?.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ctrl-C stops everything.')) { clearTimeout(timer); resolveStarted(); }
      });
      child?.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      child?.once('exit', (code) => { clearTimeout(timer); reject(new Error(`npm start exited with ${code}:\n${output}`)); });
    });
  }, 60_000);

  afterAll(async () => {
    if (!child || child.exitCode !== null) return;
    child.removeAllListeners('exit');
    const exited = new Promise((done) => child?.once('exit', done));
    child.kill('SIGINT');
    await exited;
  });

  it('runs every curl in order, each answered with a 2xx, ids and revisions taken from earlier answers', async () => {
    const run = blocks.filter(runnable);
    // The docs speak of the default ports; this start has its own.
    const local = (text: string) => text.replaceAll('localhost:3000', `localhost:${port}`).replaceAll('127.0.0.1:8005', `127.0.0.1:${mailboxPort}`);
    const script = [
      'set -euo pipefail',
      // Every answer's status goes to stderr, after a marker naming the block it belongs to.
      'curl() { command curl --write-out "%{stderr}HTTP %{http_code}\\n" "$@"; }',
      ...run.map((b) => `echo "### ${b.file}:${b.line}" >&2\n${local(b.text)}`),
    ].join('\n');

    const result = await promisify(execFile)('bash', ['-c', script], { cwd: home, maxBuffer: 64 * 1024 * 1024 }).catch((error: { stderr?: string; code?: number }) => {
      throw new Error(`the examples stopped (exit ${error.code}):\n${(error.stderr ?? '').split('\n').slice(-15).join('\n')}`);
    });
    let where = '';
    const answers: string[] = [];
    for (const line of result.stderr.split('\n')) {
      if (line.startsWith('### ')) where = line.slice(4);
      else if (line.startsWith('HTTP ')) answers.push(`${where} ${line.slice(5)}`);
    }

    expect(run.length).toBeGreaterThan(15);
    expect(answers).toHaveLength(run.reduce((n, b) => n + curlCount(b.text), 0));
    expect(answers.filter((a) => !/ 2\d\d$/.test(a))).toEqual([]);
    expect(new Set(run.filter((b) => curlCount(b.text) > 0).map((b) => b.file))).toEqual(new Set(['README.md', 'docs/api.md', 'docs/webhooks.md']));
  }, 120_000);
});
