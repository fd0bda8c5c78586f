/**
 * The shape of the house, checked on every run rather than remembered (functions/README.md states
 * it). The import graph of functions/, web/src and cdk/ is read with TypeScript's own pre-processor
 * (type-only imports count: a cycle of types is still a cycle for a reader), then held against:
 *
 * - core imports nothing but core: no AWS SDK, no Hono, no Node module, no adapter;
 * - a concern imports another only through that concern's index, and only the concerns its index
 *   names on its "May import:" line — so the line a newcomer reads is the rule that is enforced,
 *   and together those lines must form a layering (no cycle between concerns);
 * - no import cycle between any two files;
 * - only entries (the composition roots) import adapters, read process.env (with config.ts) or
 *   call createApp, and only the local entry starts the AWS stand-ins; adapters import only core
 *   and their own technology's folder; http imports no adapter and no AWS SDK; web/ reaches the
 *   server's code only through core indexes (and types from http); the SDK (functions/sdk/, which
 *   browsers run too) imports only core indexes, its own folder and browser-safe packages.
 *
 * The rules are a pure function of the graph, so each is also shown to fail on a small graph that
 * breaks it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

interface Edge { readonly to: string; readonly typeOnly: boolean }
/** file (repo-relative) → its imports: repo-relative paths for relative specifiers, package names otherwise. */
type Graph = ReadonlyMap<string, readonly Edge[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function readGraph(dirs: readonly string[]): Graph {
  const graph = new Map<string, Edge[]>();
  for (const file of dirs.flatMap(sourceFiles)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const typeOnly = new Set<string>();
    for (const m of text.matchAll(/^(?:import|export) type \{[^}]*\} from '([^']+)'/gm)) typeOnly.add(m[1] as string);
    const edges = ts.preProcessFile(text, true, true).importedFiles.map(({ fileName }) => ({
      to: fileName.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), fileName)) : fileName,
      typeOnly: typeOnly.has(fileName),
    }));
    graph.set(file, edges);
  }
  return graph;
}

const CORE = 'functions/core/';
const concernOf = (path: string): string | undefined => (path.startsWith(CORE) ? path.slice(CORE.length).split('/')[0] : undefined);
const isPackage = (to: string) => !to.startsWith('functions/') && !to.startsWith('web/') && !to.startsWith('cdk/') && !to.startsWith('test/') && !to.endsWith('.json');
const isIndex = (path: string) => /^functions\/core\/[^/]+\/index\.ts$/.test(path);

/** Each concern's "May import:" line, read from its index's header. */
function declaredLayers(readText: (path: string) => string, concerns: readonly string[]): Map<string, Set<string>> {
  return new Map(concerns.map((c) => {
    const line = /May import: ([^\n—]*)/.exec(readText(`${CORE}${c}/index.ts`))?.[1] ?? '';
    const names = line.split(',').map((s) => s.trim()).filter((s) => concerns.includes(s));
    return [c, new Set(names)];
  }));
}

/** A cycle in `graph` (as a list of nodes), if there is one. */
function findCycle(nodes: Iterable<string>, next: (node: string) => Iterable<string>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const n of next(node)) {
      const cycle = visit(n);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of nodes) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every broken rule, as one line each ("file → import: why"). */
function violations(graph: Graph, readText: (path: string) => string): string[] {
  const out: string[] = [];
  const files = [...graph.keys()];
  const concerns = [...new Set(files.map(concernOf).filter((c): c is string => c !== undefined))];
  const layers = declaredLayers(readText, concerns);
  const say = (file: string, to: string, why: string) => out.push(`${file} → ${to}: ${why}`);

  for (const c of concerns) if (!graph.has(`${CORE}${c}/index.ts`)) out.push(`${CORE}${c}: has no index.ts`);
  const layerCycle = findCycle(concerns, (c) => layers.get(c) ?? []);
  if (layerCycle) out.push(`the "May import:" lines of the concerns form a cycle: ${layerCycle.join(' → ')}`);

  for (const [file, edges] of graph) {
    const from = concernOf(file);
    for (const { to, typeOnly } of edges) {
      const target = concernOf(to);
      if (from !== undefined) {
        if (target === undefined) { say(file, to, 'core imports only core (no SDK, Hono, Node module, adapter or http)'); continue; }
        if (target === from && isIndex(to) && !isIndex(file)) say(file, to, 'inside a concern, import the file itself, not the own index');
        if (target !== from && !isIndex(to)) say(file, to, `another concern is imported only through its index (${CORE}${target}/index.ts)`);
        if (target !== from && !layers.get(from)?.has(target)) say(file, to, `${from} may not import ${target} (see the "May import:" line of ${CORE}${from}/index.ts)`);
        continue;
      }
      if (target !== undefined && !isIndex(to)) say(file, to, 'outside core, a concern is imported only through its index');
      const inAdapters = to.startsWith('functions/adapters/');
      if (file.startsWith('functions/adapters/')) {
        const tech = file.split('/')[2];
        if ((inAdapters && !to.startsWith(`functions/adapters/${tech}/`)) || (!inAdapters && !isPackage(to) && target === undefined)) {
          say(file, to, 'an adapter imports only core, packages and its own technology\'s folder');
        }
      } else if (inAdapters && !file.startsWith('functions/entries/') && !file.startsWith('cdk/')) {
        say(file, to, 'only entries (the composition roots) import adapters');
      }
      if (to.startsWith('functions/stand-ins/') && !file.startsWith('functions/entries/local/') && !file.startsWith('functions/stand-ins/')) {
        say(file, to, 'only the local entry starts the AWS stand-ins (no Lambda bundle may carry them)');
      }
      if (file.startsWith('functions/http/') && (to.startsWith('@aws-sdk/') || to.startsWith('functions/entries/') || to === 'functions/config.ts')) {
        say(file, to, 'http takes its dependencies from createApp(deps), never from the SDK, config or an entry');
      }
      if (file.startsWith('functions/sdk/') && !to.startsWith('functions/sdk/') && (target === undefined ? !isPackage(to) || /^(node:|@aws-sdk\/|hono)/.test(to) : false)) {
        say(file, to, 'the SDK runs in browsers too: it imports only core indexes, its own folder and browser-safe packages');
      }
      if (file.startsWith('web/') && to.startsWith('functions/') && target === undefined && !(typeOnly && to.startsWith('functions/http/'))) {
        say(file, to, 'the browser reaches server code only through core indexes (and types from http)');
      }
    }
  }
  const fileCycle = findCycle(files, (f) => (graph.get(f) ?? []).map((e) => e.to).filter((t) => graph.has(t)));
  if (fileCycle) out.push(`import cycle: ${fileCycle.join(' → ')}`);
  return out;
}

function textViolations(files: readonly string[], readText: (path: string) => string): string[] {
  const out: string[] = [];
  for (const file of files) {
    if (!file.startsWith('functions/')) continue;
    const text = readText(file);
    const root = file.startsWith('functions/entries/');
    if (/\bprocess\.env\b/.test(text) && !root && file !== 'functions/config.ts') out.push(`${file}: reads process.env (only config.ts and entries do)`);
    if (/\bcreateApp\(/.test(text) && !root && file !== 'functions/http/app.ts') out.push(`${file}: calls createApp (only entries compose the app)`);
  }
  return out;
}

describe('the shape of the house', () => {
  const graph = readGraph(['functions', 'web/src', 'cdk']);
  const readText = (path: string) => readFileSync(join(ROOT, path), 'utf8');

  it('finds every source file and the concerns of core', () => {
    const concerns = new Set([...graph.keys()].map(concernOf).filter(Boolean));

    expect(graph.size).toBeGreaterThan(130);
    expect([...concerns].sort()).toEqual(['audit', 'maintenance', 'message-center', 'messages', 'pickup', 'protocol', 'replies', 'shared', 'tenants', 'webhooks']);
  });

  it('keeps every import rule, with no cycle between files or concerns', () => {
    const found = violations(graph, readText);

    expect(found).toEqual([]);
  });

  it('reads process.env and composes the app only in entries (and config.ts)', () => {
    const found = textViolations([...graph.keys()], readText);

    expect(found).toEqual([]);
  });

  describe('the checker itself', () => {
    const index = (c: string, may: string): [string, string] => [`${CORE}${c}/index.ts`, `/**\n * ${c}\n *\n * May import: ${may} — each through its index.\n */\n`];
    const texts = new Map<string, string>([
      index('shared', 'nothing'), index('tenants', 'shared'), index('messages', 'shared, tenants'),
      ['functions/entries/x.ts', ''], ['functions/http/routes/x.ts', ''],
    ]);
    const base: [string, Edge[]][] = [
      [`${CORE}shared/index.ts`, [{ to: `${CORE}shared/errors.ts`, typeOnly: false }]],
      [`${CORE}shared/errors.ts`, []],
      [`${CORE}tenants/index.ts`, [{ to: `${CORE}tenants/model.ts`, typeOnly: false }]],
      [`${CORE}tenants/model.ts`, [{ to: `${CORE}shared/index.ts`, typeOnly: true }]],
      [`${CORE}messages/index.ts`, [{ to: `${CORE}messages/send.ts`, typeOnly: false }]],
      [`${CORE}messages/send.ts`, [{ to: `${CORE}tenants/index.ts`, typeOnly: false }]],
      ['functions/adapters/dynamodb/store.ts', [{ to: '@aws-sdk/client-dynamodb', typeOnly: false }, { to: `${CORE}messages/index.ts`, typeOnly: true }]],
      ['functions/entries/x.ts', [{ to: 'functions/adapters/dynamodb/store.ts', typeOnly: false }]],
    ];
    const check = (extra: [string, Edge[]][] = [], text: [string, string][] = []) => {
      const graph = new Map<string, Edge[]>(base.map(([f, e]) => [f, [...e]]));
      for (const [file, edges] of extra) graph.set(file, [...(graph.get(file) ?? []), ...edges]);
      const all = new Map([...texts, ...text]);
      return violations(graph, (p) => all.get(p) ?? '');
    };
    const edge = (to: string): Edge => ({ to, typeOnly: false });

    it('accepts a graph that keeps the rules', () => {
      expect(check()).toEqual([]);
    });

    it.each([
      ['core imports the AWS SDK', `${CORE}messages/send.ts`, '@aws-sdk/client-ses', 'core imports only core'],
      ['core imports an adapter', `${CORE}messages/send.ts`, 'functions/adapters/dynamodb/store.ts', 'core imports only core'],
      ['a concern reaches into another\'s file', `${CORE}messages/send.ts`, `${CORE}tenants/model.ts`, 'only through its index'],
      ['a concern imports one its line does not name', `${CORE}tenants/model.ts`, `${CORE}messages/index.ts`, 'tenants may not import messages'],
      ['a file imports its own index', `${CORE}messages/send.ts`, `${CORE}messages/index.ts`, 'not the own index'],
      ['http imports an adapter', 'functions/http/routes/x.ts', 'functions/adapters/dynamodb/store.ts', 'only entries'],
      ['http imports the AWS SDK', 'functions/http/routes/x.ts', '@aws-sdk/client-kms', 'never from the SDK'],
      ['an adapter imports another technology', 'functions/adapters/dynamodb/store.ts', 'functions/adapters/ses/notifier.ts', 'its own technology'],
      ['the browser imports a core file', 'web/src/lib/x.ts', `${CORE}messages/send.ts`, 'only through its index'],
      ['a Lambda entry imports a stand-in', 'functions/entries/x.ts', 'functions/stand-ins/stand-ins.ts', 'only the local entry'],
      ['the SDK imports a Node module', 'functions/sdk/client.ts', 'node:crypto', 'the SDK runs in browsers too'],
      ['the SDK imports an adapter', 'functions/sdk/client.ts', 'functions/adapters/dynamodb/store.ts', 'only entries'],
      ['the SDK imports http', 'functions/sdk/client.ts', 'functions/http/schemas.ts', 'the SDK runs in browsers too'],
    ])('refuses a graph where %s', (_what, file, to, why) => {
      const found = check([[file, [edge(to)]]]);

      expect(found.join('\n')).toContain(why);
    });

    it('refuses a cycle of files and a cycle of declared layers', () => {
      const files = check([[`${CORE}shared/errors.ts`, [edge(`${CORE}shared/index.ts`)]]]);
      const layers = check([], [index('shared', 'messages')]);

      expect(files.join('\n')).toContain('import cycle');
      expect(layers.join('\n')).toContain('form a cycle');
    });

    it('refuses process.env and createApp outside entries', () => {
      const found = textViolations(['functions/http/routes/x.ts', 'functions/entries/x.ts'], () => 'const a = process.env.X; createApp({});');

      expect(found).toEqual([
        'functions/http/routes/x.ts: reads process.env (only config.ts and entries do)',
        'functions/http/routes/x.ts: calls createApp (only entries compose the app)',
      ]);
    });
  });
});
