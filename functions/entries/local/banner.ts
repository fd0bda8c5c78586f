/**
 * What `npm start` prints once it runs, and what `npm run keys` prints again: where everything is,
 * the demo tenant's two keys, and a first command. Plain text for a terminal.
 */
import type { KeySource } from './dev-keys.ts';

export interface ShownKey {
  readonly key: string;
  readonly source: KeySource;
}

/** The two keys, with where each comes from, indented for the terminal. */
export function keysText(keys: { send?: ShownKey; admin?: ShownKey }): string {
  const line = (name: string, shown: ShownKey | undefined) => `  ${name}  ${shown ? `${shown.key}   (${shown.source})` : 'none yet: npm start creates it'}`;
  return [line('Send key ', keys.send), line('Admin key', keys.admin)].join('\n');
}

export interface BannerFacts {
  readonly appUrl: string;
  readonly mailboxUrl: string;
  readonly dataDir: string;
  readonly send: ShownKey;
  readonly admin: ShownKey;
  readonly verbose: boolean;
}

export function bannerText(facts: BannerFacts): string {
  return `
  sealpost is running on this machine

  Admin console   ${facts.appUrl}/admin      sign in with the admin key below
  API reference   ${facts.appUrl}/v1/docs
  Local mailbox   ${facts.mailboxUrl}      every email sealpost sends lands here
  Data            ${facts.dataDir}   (database, mail, keys: delete it to start over)

${keysText(facts)}

  Send a first message, then open it from the mailbox:

    curl -sS ${facts.appUrl}/v1/messages \\
      -H "Authorization: Bearer ${facts.send.key}" \\
      -H "Content-Type: application/json" \\
      -d '{"to":["alice@example.com"],"subject":"Lab results","text":"Hello Alice, your results are ready."}'

  Or a large file, sealed here by the sealpost command (docs/cli.md):

    SEALPOST_URL=${facts.appUrl} SEALPOST_API_KEY=${facts.send.key} \\
      npx sealpost send --to alice@example.com --subject "Your scan" --text "See attached" --attach scan.pdf

  ${facts.verbose ? 'Logging every request (--verbose).' : 'Quiet: only warnings and errors appear below. npm start -- --verbose logs every request.'}
  npm run keys prints the keys again. Ctrl-C stops everything.
`;
}
