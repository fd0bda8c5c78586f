/**
 * The sealpost command line (docs/cli.md): send a message — sealed on this machine by default, so
 * sealpost only ever holds ciphertext — and follow it (status, revoke, events). Configured by the
 * environment: SEALPOST_URL and SEALPOST_API_KEY (never on the command line, where shell history and
 * process lists would keep the key).
 *
 * Exit codes: 0 done; 2 the command is wrong (nothing was sent); 3 sealpost refused it (4xx: nothing
 * was sent, and the same command will be refused again); 4 a transient failure that persisted after
 * the retries (network, 5xx, rate limit); 1 anything unexpected. After a 4, running the same command
 * again is safe unless the CLI says a send may have gone out: each run draws a new Idempotency-Key,
 * so it then says how to look the message up (sealed here) or which key to run again with (--server-seal).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { Sealpost, SealpostError, checkMessage, randomIdempotencyKey, type MessageInput, type Progress } from './sdk.ts';
import type { SendReceipt } from '../core/messages/index.ts';

export const EXIT = { ok: 0, unexpected: 1, usage: 2, refused: 3, transient: 4 } as const;

/** What the CLI touches of the world, so tests can run it in-process. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Progress bars only on a terminal. */
  readonly isTty: boolean;
  readonly fetch?: typeof fetch;
  /** How the client waits between retries (tests make it instant). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * A send that failed for a transient reason after it may have reached sealpost: running the same
 * command again could send it twice (a new run draws a new Idempotency-Key), so `advice` says what
 * to do instead.
 */
class MaybeSentError extends SealpostError {
  constructor(cause: SealpostError, readonly advice: string) {
    super('transient', cause.message, cause.status, cause.problem, { cause });
  }
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', html: 'text/html', htm: 'text/html', xml: 'application/xml', json: 'application/json',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', tif: 'image/tiff', tiff: 'image/tiff', svg: 'image/svg+xml',
  dcm: 'application/dicom', zip: 'application/zip', gz: 'application/gzip', '7z': 'application/x-7z-compressed',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  eml: 'application/octet-stream', mp4: 'video/mp4', mp3: 'audio/mpeg', wav: 'audio/wav',
};

/** A file's media type from its extension; application/octet-stream when unknown. */
export function contentTypeOf(filename: string): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  return (extension && CONTENT_TYPES[extension]) || 'application/octet-stream';
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
const positiveInt = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new SealpostError('usage', `${name} must be a whole number of at least 1.`);
  return Number(value);
};

function clientOf(io: CliIo): Sealpost {
  const url = io.env.SEALPOST_URL;
  const apiKey = io.env.SEALPOST_API_KEY;
  if (!url || !apiKey) throw new SealpostError('usage', 'Set SEALPOST_URL (e.g. http://localhost:3000) and SEALPOST_API_KEY (a send key) in the environment.');
  return new Sealpost({ url, apiKey, ...(io.fetch ? { fetch: io.fetch } : {}), ...(io.sleep ? { sleep: io.sleep } : {}) });
}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new SealpostError('usage', `${what} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
}

interface SendOptions {
  to?: string[]; cc?: string[]; subject?: string; text?: string; textFile?: string; htmlFile?: string; attach?: string[];
  passcode?: string; expiresInDays?: number; maxViews?: number; replyTo?: string; verification?: 'none' | 'email-code';
  serverSeal?: boolean; deliverLinksMyself?: boolean; idempotencyKey?: string; json?: boolean;
}

async function messageOf(options: SendOptions, env: NodeJS.ProcessEnv): Promise<MessageInput> {
  if (options.passcode !== undefined && env.SEALPOST_PASSCODE) throw new SealpostError('usage', 'Give the passcode once: --passcode or SEALPOST_PASSCODE, not both.');
  // The environment keeps the passcode out of shell history and of what `ps` shows other users.
  const passcode = options.passcode ?? (env.SEALPOST_PASSCODE || undefined);
  if (!options.to?.length) throw new SealpostError('usage', 'Give at least one recipient with --to.');
  if (options.subject === undefined) throw new SealpostError('usage', 'Give a subject with --subject.');
  if (options.text !== undefined && options.textFile !== undefined) throw new SealpostError('usage', 'Give --text or --text-file, not both.');
  const text = options.textFile !== undefined ? new TextDecoder().decode(await readInput(options.textFile, 'The text file')) : options.text;
  const html = options.htmlFile !== undefined ? new TextDecoder().decode(await readInput(options.htmlFile, 'The HTML file')) : undefined;
  const attachments = await Promise.all((options.attach ?? []).map(async (path) => ({ filename: basename(path), contentType: contentTypeOf(path), content: await readInput(path, 'The attachment') })));
  const message: MessageInput = {
    to: options.to, cc: options.cc ?? [], subject: options.subject, attachments,
    ...(text !== undefined ? { text } : {}), ...(html !== undefined ? { html } : {}),
    ...(passcode !== undefined ? { passcode } : {}),
    ...(options.expiresInDays !== undefined ? { expiresInDays: options.expiresInDays } : {}),
    ...(options.maxViews !== undefined ? { maxViews: options.maxViews } : {}),
    ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
    ...(options.verification !== undefined ? { verification: options.verification } : {}),
  };
  checkMessage(message);
  return message;
}

/** Two bars on stderr (sealing, uploading) while a terminal watches; nothing otherwise. */
function progressBars(io: CliIo): { onProgress?: (p: Progress) => void; stop: () => void } {
  if (!io.isTty) return { stop: () => undefined };
  const bars = new cliProgress.MultiBar({
    format: ' {stage} |{bar}| {percentage}% · {value}/{total} MiB',
    hideCursor: true, clearOnComplete: false, stopOnComplete: false, stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
  const shown = new Map<Progress['stage'], cliProgress.SingleBar>();
  const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
  return {
    onProgress: (p) => {
      let bar = shown.get(p.stage);
      if (!bar) {
        bar = bars.create(mib(p.total), 0, { stage: p.stage === 'seal' ? 'Sealing  ' : 'Uploading' });
        shown.set(p.stage, bar);
      }
      bar.update(mib(p.done));
    },
    stop: () => bars.stop(),
  };
}

function describeReceipt(receipt: SendReceipt, links?: readonly { email: string; link: string }[]): string {
  const width = Math.max(...receipt.recipients.map((r) => r.email.length));
  const lines = [`Sent ${receipt.id} (expires ${receipt.expiresAt.replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, ' UTC')})`];
  for (const r of receipt.recipients) {
    const link = links?.find((l) => l.email === r.email)?.link;
    const outcome = r.status === 'sender' ? `deliver this link yourself: ${link ?? '(missing)'}` : r.status === 'failed' ? `notification failed: ${r.reason ?? 'rejected'}` : r.status;
    lines.push(`  ${r.email.padEnd(width)}  ${outcome}`);
  }
  return lines.join('\n') + '\n';
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('sealpost')
    .description('Send secure messages through sealpost. Set SEALPOST_URL and SEALPOST_API_KEY.')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError('(sealpost --help for usage)');

  program.command('send')
    .description('Seal a message on this machine and send it (--server-seal: let sealpost seal it, at most 4 MiB)')
    .option('--to <email>', 'a recipient (repeat, or separate with commas)', collect)
    .option('--cc <email>', 'a recipient in copy (repeat, or separate with commas)', collect)
    .option('--subject <text>', 'the subject')
    .option('--text <text>', 'the text body')
    .option('--text-file <path>', 'the text body, from a UTF-8 file')
    .option('--html-file <path>', 'an HTML body, from a UTF-8 file (shown sanitised)')
    .option('--attach <path>', 'attach a file (repeat for more)', collect)
    .option('--passcode <passcode>', 'mixed into every recipient\'s key; tell them by phone or SMS (SEALPOST_PASSCODE keeps it out of shell history)')
    .option('--expires-in-days <days>', 'days until the message expires', positiveInt('--expires-in-days'))
    .option('--max-views <n>', 'views allowed per recipient', positiveInt('--max-views'))
    .option('--reply-to <email>', 'where secure replies go')
    .addOption(new Option('--verification <policy>', 'what a recipient proves beyond the link').choices(['none', 'email-code']))
    .option('--server-seal', 'send the plaintext to sealpost to seal (the JSON API, at most 4 MiB of content)')
    .option('--deliver-links-myself', 'print each recipient\'s link instead of having sealpost email it: sealpost never sees a secret')
    .option('--idempotency-key <key>', 'retry-safe key of this send (default: a random one, kept across the automatic retries)')
    .option('--json', 'print exactly what the API returned (with --deliver-links-myself, plus "links")')
    .action(async (options: SendOptions) => {
      if (options.serverSeal && options.deliverLinksMyself) throw new SealpostError('usage', '--deliver-links-myself needs local sealing: drop --server-seal.');
      const message = await messageOf(options, io.env);
      const client = clientOf(io);
      const idempotencyKey = options.idempotencyKey ?? randomIdempotencyKey();
      if (options.serverSeal) {
        let receipt: SendReceipt;
        try {
          receipt = await client.send(message, { idempotencyKey });
        } catch (error) {
          // The same key makes a repeat return the first receipt instead of sending again.
          if (error instanceof SealpostError && error.kind === 'transient') throw new MaybeSentError(error, `It may have been sent all the same. Run the same command again with --idempotency-key ${idempotencyKey}: it is then sent at most once.`);
          throw error;
        }
        io.stdout(options.json ? `${JSON.stringify(receipt, null, 2)}\n` : describeReceipt(receipt));
        return;
      }
      const bars = progressBars(io);
      try {
        const { receipt, links } = await client.sendSealed(message, { idempotencyKey, ...(options.deliverLinksMyself ? { deliverLinksMyself: true } : {}), ...(bars.onProgress ? { onProgress: bars.onProgress } : {}) });
        bars.stop();
        io.stdout(options.json ? `${JSON.stringify(links ? { ...receipt, links } : receipt, null, 2)}\n` : describeReceipt(receipt, links));
      } catch (error) {
        // Sealed here, a message that may have gone out has a known id; running again would seal a new one.
        if (error instanceof SealpostError && error.maybeSentAs !== undefined) {
          const id = error.maybeSentAs;
          throw new MaybeSentError(error, options.deliverLinksMyself
            ? `Check with \`sealpost status ${id}\`: if it was sent, nobody can open it (its links were never printed), so revoke it (\`sealpost revoke ${id}\`) before sending it again.`
            : `Check with \`sealpost status ${id}\` before sending it again: running the same command would send another message, with new links.`);
        }
        throw error;
      } finally {
        bars.stop();
      }
    });

  program.command('status <id>')
    .description('A message\'s state, recipients and history')
    .option('--json', 'print exactly what the API returned')
    .action(async (id: string, options: { json?: boolean }) => {
      const status = await clientOf(io).status(id);
      if (options.json) return io.stdout(`${JSON.stringify(status, null, 2)}\n`);
      const lines = [`${status.id}  ${status.state}  created ${status.createdAt}  expires ${status.expiresAt}  (${status.custody === 'message-center' ? 'Message Center' : 'standard mode'})`];
      for (const r of status.recipients) lines.push(`  ${r.kind.padEnd(3)} ${r.email}  ${r.status}  opens ${r.opens}${r.firstOpenedAt ? `  first opened ${r.firstOpenedAt}` : ''}`);
      for (const e of status.events ?? []) lines.push(`  ${e.at}  ${e.type}${e.recipient ? `  ${e.recipient}` : ''}`);
      io.stdout(lines.join('\n') + '\n');
    });

  program.command('revoke <id>')
    .description('Revoke a message: every link stops opening it, its ciphertext is deleted')
    .option('--json', 'print nothing (the API answers 204 without a body)')
    .action(async (id: string, options: { json?: boolean }) => {
      await clientOf(io).revoke(id);
      if (!options.json) io.stdout(`Revoked ${id}\n`);
    });

  program.command('events')
    .description('The audit trail, oldest first (one page; --cursor continues)')
    .option('--since <date>', 'only events at or after this ISO 8601 date or date-time')
    .option('--type <types>', 'comma-separated event types')
    .option('--cursor <cursor>', 'the cursor of the previous page')
    .option('--limit <n>', 'events per page (1–100)', positiveInt('--limit'))
    .option('--json', 'print exactly what the API returned')
    .action(async (options: { since?: string; type?: string; cursor?: string; limit?: number; json?: boolean }) => {
      const page = await clientOf(io).events(options);
      if (options.json) return io.stdout(`${JSON.stringify(page, null, 2)}\n`);
      const lines = page.events.map((e) => `${e.at}  ${e.type.padEnd(14)} ${e.messageId ?? '-'}  ${e.recipient ?? ''}  ${e.actor}`.trimEnd());
      if (page.hasMore) lines.push(`(more: --cursor ${page.cursor})`);
      io.stdout((lines.length > 0 ? lines.join('\n') : 'No events.') + '\n');
    });

  return program;
}

/** A message id that begins with "-" (one in 64 do: base64url), which the option parser would take for options. */
const DASHED_ID = /^-[A-Za-z0-9_-]{21}$/;

/**
 * `status` and `revoke` take a message id, and an id may begin with "-": such an argument goes after
 * a "--", so `sealpost status -Dyrs…` works as the CLI's own hints print it.
 */
export function protectDashedIds(argv: readonly string[]): string[] {
  if (!['status', 'revoke'].includes(argv[0] ?? '') || argv.includes('--')) return [...argv];
  const ids = argv.filter((a, i) => i > 0 && DASHED_ID.test(a));
  return ids.length === 0 ? [...argv] : [...argv.filter((a, i) => i === 0 || !DASHED_ID.test(a)), '--', ...ids];
}

/** Runs one command line; resolves to the exit code (never exits the process itself). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(protectDashedIds(argv), { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof SealpostError) {
      io.stderr(`sealpost: ${error.message}\n`);
      if (error.kind === 'transient') io.stderr(error instanceof MaybeSentError ? `${error.advice}\n` : 'It is safe to run the same command again.\n');
      return EXIT[error.kind];
    }
    io.stderr(`sealpost: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.unexpected;
  }
}

/** The process's own command line: what bin/sealpost.mjs (and the packaged CLI) run. */
export async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2), {
    env: process.env, stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), isTty: process.stderr.isTTY === true,
  });
}
