/**
 * The API's own description, public and without a key: GET /v1/openapi.json (the OpenAPI 3.1
 * document) and GET /v1/docs, a reference page rendered here from that document as static HTML.
 * The page has no script and no inline style (not even a <style> element): it must read the same
 * under the strict CSP of every response, so its stylesheet is served beside it at /v1/docs.css.
 */
import { Hono } from 'hono';
import { methodNotAllowed } from '../problem.ts';
import type { AppEnv } from '../types.ts';

const CACHE = 'public, max-age=300';

type Json = Record<string, unknown>;

const escapeHtml = (text: unknown) => String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A short type expression for a JSON Schema, linking named components. */
function typeOf(schema: Json | undefined): string {
  if (!schema) return 'any';
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').at(-1) as string;
    return `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;
  }
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Json[]).map(typeOf).join(' | ');
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((v) => `<code>${escapeHtml(JSON.stringify(v))}</code>`).join(' | ');
  if (schema.const !== undefined) return `<code>${escapeHtml(JSON.stringify(schema.const))}</code>`;
  if (Array.isArray(schema.prefixItems)) return `[${(schema.prefixItems as Json[]).map(typeOf).join(', ')}]`;
  if (Array.isArray(schema.type)) return (schema.type as string[]).map(escapeHtml).join(' | ');
  if (schema.type === 'array') {
    const items = schema.items as Json | undefined;
    return `array of ${Array.isArray(items?.anyOf) ? `(${typeOf(items)})` : typeOf(items)}`;
  }
  if (schema.type === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object' && !schema.properties) return 'object (any keys)';
  return escapeHtml(schema.type ?? 'any');
}

/** Constraints and description of a schema, in words. */
function notesOf(schema: Json): string {
  const notes: string[] = [];
  const range = (lo: unknown, hi: unknown, unit: string) => {
    if (lo !== undefined && hi !== undefined) notes.push(`${lo}–${hi}${unit}`);
    else if (lo !== undefined) notes.push(`at least ${lo}${unit}`);
    else if (hi !== undefined) notes.push(`at most ${hi}${unit}`);
  };
  range(schema.minLength, schema.maxLength, ' characters');
  range(schema.minItems, schema.maxItems, ' items');
  range(schema.minimum, schema.maximum, '');
  if (schema.format) notes.push(`format ${schema.format}`);
  if (schema.default !== undefined) notes.push(`default ${JSON.stringify(schema.default)}`);
  const text = notes.map(escapeHtml).join('; ');
  return [schema.description ? escapeHtml(schema.description) : '', text].filter(Boolean).join('. ');
}

interface Row { name: string; type: string; required: boolean; notes: string }

/** The object's fields, nested objects flattened to dotted names (brand.logo.contentType). */
function fieldRows(schema: Json, prefix = ''): Row[] {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows: Row[] = [];
  for (const [name, field] of Object.entries(properties)) {
    rows.push({ name: prefix + name, type: typeOf(field), required: required.has(name), notes: notesOf(field) });
    const items = (field.items ?? {}) as Json;
    const own = [field, ...((field.anyOf ?? []) as Json[])].find((s) => s.type === 'object' && s.properties);
    const item = [items, ...((items.anyOf ?? []) as Json[])].find((s) => s.type === 'object' && s.properties);
    if (own) rows.push(...fieldRows(own, `${prefix}${name}.`));
    else if (item) rows.push(...fieldRows(item, `${prefix}${name}[].`));
  }
  return rows;
}

function fieldTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '';
  return `<table><thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Notes</th></tr></thead><tbody>${rows.map((r) =>
    `<tr><td><code>${escapeHtml(r.name)}</code></td><td>${r.type}</td><td>${r.required ? 'yes' : 'no'}</td><td>${r.notes}</td></tr>`).join('')}</tbody></table>`;
}

function operationSection(path: string, method: string, op: Json, schemas: Record<string, Json>): string {
  const id = escapeHtml(op.operationId);
  const scope = op['x-sealpost-scope'] as string | undefined;
  const params = (op.parameters ?? []) as Json[];
  const body = op.requestBody as { content: Record<string, { schema: Json }> } | undefined;
  const responses = Object.entries(op.responses as Record<string, Json>);
  const parts = [
    `<article class="operation" id="op-${id}">`,
    `<h3><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>`,
    `<p class="summary">${escapeHtml(op.summary)} <span class="opid">${id}</span></p>`,
    `<p>${escapeHtml(op.description)}</p>`,
    `<p class="auth">${scope ? `API key with scope <strong>${escapeHtml(scope)}</strong> (<code>Authorization: Bearer sp_…</code>)` : 'No API key.'}</p>`,
  ];
  if (params.length > 0) {
    parts.push('<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Notes</th></tr></thead><tbody>',
      ...params.map((p) => `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${typeOf(p.schema as Json)}</td><td>${p.required ? 'yes' : 'no'}</td><td>${[p.description ? escapeHtml(p.description) : '', notesOf(p.schema as Json)].filter(Boolean).join('. ')}</td></tr>`),
      '</tbody></table>');
  }
  if (body) {
    const [first] = Object.values(body.content);
    const name = typeof first?.schema.$ref === 'string' ? first.schema.$ref.split('/').at(-1) as string : undefined;
    const schema = name ? schemas[name] : first?.schema;
    parts.push(`<h4>Request body</h4><p>${Object.keys(body.content).map((t) => `<code>${escapeHtml(t)}</code>`).join(' or ')}: ${typeOf(first?.schema)}${schema?.additionalProperties === false ? '. Unknown fields are refused.' : ''}</p>`,
      fieldTable(schema ? fieldRows(schema) : []));
  }
  parts.push('<h4>Responses</h4><table class="responses"><thead><tr><th>Status</th><th>Meaning</th><th>Body</th></tr></thead><tbody>');
  for (const [status, response] of responses) {
    const content = Object.entries((response.content ?? {}) as Record<string, { schema?: Json }>)
      .map(([type, media]) => `<code>${escapeHtml(type)}</code>${media.schema?.$ref ? ` ${typeOf(media.schema)}` : ''}`).join('<br>');
    const headers = Object.keys((response.headers ?? {}) as Json).map((h) => `<code>${escapeHtml(h)}</code>`).join(', ');
    parts.push(`<tr><td>${escapeHtml(status)}</td><td>${escapeHtml(response.description)}${headers ? `<br>Headers: ${headers}` : ''}</td><td>${content || '—'}</td></tr>`);
  }
  parts.push('</tbody></table></article>');
  return parts.join('\n');
}

/** The reference page: every operation grouped by tag, then every named schema. */
export function renderReferencePage(doc: Json): string {
  const info = doc.info as { title: string; version: string; description: string };
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
  const ops = Object.entries(paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const byTag = (tag: string) => ops.filter(({ op }) => (op.tags as string[]).includes(tag));
  const tags = doc.tags as { name: string; description: string }[];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)} reference</title>
<link rel="stylesheet" href="/v1/docs.css">
</head>
<body>
<header>
<h1>${escapeHtml(info.title)} <span class="version">${escapeHtml(info.version)}</span></h1>
${info.description.split('\n\n').map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
<p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI ${escapeHtml(doc.openapi)}).</p>
</header>
<nav aria-label="Operations">
${tags.map((t) => `<h2>${escapeHtml(t.name)}</h2><ul>${byTag(t.name).map(({ path, method, op }) =>
    `<li><a href="#op-${escapeHtml(op.operationId)}"><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> ${escapeHtml(path)}</a></li>`).join('')}</ul>`).join('\n')}
<h2><a href="#schemas">Schemas</a></h2>
</nav>
<main>
${tags.map((t) => `<section id="tag-${escapeHtml(t.name)}"><h2>${escapeHtml(t.name)}</h2><p>${escapeHtml(t.description)}</p>\n${byTag(t.name).map(({ path, method, op }) => operationSection(path, method, op, schemas)).join('\n')}</section>`).join('\n')}
<section id="schemas"><h2>Schemas</h2>
${Object.entries(schemas).map(([name, schema]) => `<article class="schema" id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${schema.description ? `<p>${escapeHtml(schema.description)}</p>` : ''}${schema.additionalProperties === false ? '<p>Unknown fields are refused.</p>' : ''}${fieldTable(fieldRows(schema))}</article>`).join('\n')}
</section>
</main>
</body>
</html>
`;
}

export const REFERENCE_CSS = `:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--code:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--code:#151b23}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);display:grid;grid-template-columns:22rem 1fr;grid-template-areas:"head head" "nav main"}
header{grid-area:head;padding:1.5rem 2rem;border-bottom:1px solid var(--line)}
header p{max-width:60rem}
nav{grid-area:nav;padding:1rem 1.5rem;border-right:1px solid var(--line);font-size:.9rem}
nav h2{font-size:1rem;margin:1rem 0 .25rem}
nav ul{list-style:none;margin:0;padding:0}
nav li{margin:.15rem 0;overflow-wrap:anywhere;font-size:.85rem}
nav a{text-decoration:none}
main{grid-area:main;padding:1rem 2rem;min-width:0}
h1 .version{font-size:.9rem;color:var(--muted);font-weight:normal}
section>h2{border-bottom:1px solid var(--line);padding-bottom:.25rem;margin-top:2rem}
article{margin:1.5rem 0 2.5rem}
h3 code{font-size:1.05rem}
.summary{font-weight:600}
.opid,.auth{color:var(--muted);font-size:.85rem;font-weight:normal}
.method{display:inline-block;min-width:3.6rem;text-align:center;border-radius:4px;padding:0 .3rem;font:600 .75rem/1.6 ui-monospace,monospace;color:#fff;background:#59636e}
.method-get{background:#0969da}.method-post{background:#1a7f37}.method-patch{background:#9a6700}.method-delete{background:#cf222e}
code{font:.85rem ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--code);padding:0 .2rem;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:var(--code)}
.responses td:first-child{width:4.5rem}
.responses td:last-child{width:17rem}
a{color:#0969da}
@media (max-width:50rem){body{display:block}nav{border-right:0;border-bottom:1px solid var(--line)}}
`;

let page: string | undefined;

/**
 * The document, built from every route group's schemas: imported on the first request for it, so
 * that starting the API (and its first send) builds none of them.
 */
const document = async () => (await import('../openapi.ts')).openApiDocument();

export function openApiRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/openapi.json', async (c) => c.json(await document(), 200, { 'Cache-Control': CACHE }));
  app.get('/docs', async (c) => {
    page ??= renderReferencePage(await document());
    return c.html(page, 200, { 'Cache-Control': CACHE });
  });
  app.get('/docs.css', (c) => c.body(REFERENCE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': CACHE }));
  for (const path of ['/openapi.json', '/docs', '/docs.css']) app.all(path, (c) => methodNotAllowed(c, ['GET']));
  return app;
}
