/**
 * The API reference at /v1/docs, rendered on the server from the OpenAPI document: every operation
 * with its parameters, body fields, answers and an example (a curl command and the answer), then
 * every schema. Static HTML under the strict CSP of every response: no inline script or style; its
 * stylesheet and a small script (copy buttons, the operation filter, the phone menu) come from
 * /v1/docs.css and /v1/docs.js, and the page reads the same without the script.
 */
type Json = Record<string, unknown>;

export const escapeHtml = (text: unknown) => String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

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

/**
 * Fields as a list, not a table: a name, its type and whether it is required on one line, the notes
 * below. It reads the same on a phone, where a five-column table breaks words into letters.
 */
function fieldList(rows: readonly Row[]): string {
  if (rows.length === 0) return '';
  return `<ul class="fields">${rows.map((r) => `<li><p class="field-head"><code class="field-name">${escapeHtml(r.name)}</code> <span class="field-type">${r.type}</span>${r.required ? ' <span class="required">required</span>' : ''}</p>${r.notes ? `<p class="field-notes">${r.notes}</p>` : ''}</li>`).join('')}</ul>`;
}

const STATUS_WORDS: Readonly<Record<string, string>> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 403: 'Forbidden' };

/** A code block a keyboard can scroll, with a name, and a copy button added by the script. */
function codeBlock(label: string, code: string, language: string): string {
  return `<figure class="code"><figcaption>${escapeHtml(label)}</figcaption><pre tabindex="0" aria-label="${escapeHtml(label)}"><code class="language-${language}">${escapeHtml(code)}</code></pre></figure>`;
}

function exampleOf(op: Json, status: number): string {
  const response = (op.responses as Record<string, { content?: Record<string, { example?: unknown }> }>)[String(status)];
  const [media] = Object.entries(response?.content ?? {});
  const example = media?.[1].example;
  const head = `HTTP/1.1 ${status} ${STATUS_WORDS[status] ?? ''}`.trim();
  if (example === undefined) return head;
  const body = typeof example === 'string' ? example : JSON.stringify(example, null, 2);
  return `${head}\nContent-Type: ${media?.[0]}\n\n${body}`;
}

function operationSection(path: string, method: string, op: Json, schemas: Record<string, Json>): string {
  const id = escapeHtml(op.operationId);
  const scope = op['x-sealpost-scope'] as string | undefined;
  const params = (op.parameters ?? []) as Json[];
  const body = op.requestBody as { content: Record<string, { schema: Json }> } | undefined;
  const responses = Object.entries(op.responses as Record<string, Json>);
  const ok = responses.filter(([status]) => Number(status) < 400);
  const problems = responses.filter(([status]) => Number(status) >= 400);
  const samples = (op['x-codeSamples'] ?? []) as { label: string; source: string }[];
  const exampleStatus = op['x-sealpost-example-status'] as number | undefined;
  const auth = scope === 'session'
    ? 'The inbox session cookie (<code>__Host-sealpost_inbox</code>), set by signing in.'
    : scope ? `An API key with scope <strong>${escapeHtml(scope)}</strong>${scope === 'send' ? ' (an admin key works too)' : ''}: <code>Authorization: Bearer sp_…</code>` : 'None: no API key.';
  const intro = [
    `<p>${escapeHtml(op.description)}</p>`,
    `<p class="auth"><span class="label">Authentication</span> ${auth}</p>`,
  ];
  const doc: string[] = [];
  if (params.length > 0) {
    doc.push('<h4>Parameters</h4>', fieldList(params.map((p) => ({
      name: `${p.name as string}`, type: `${typeOf(p.schema as Json)} <span class="where">in ${escapeHtml(p.in)}</span>`, required: p.required === true,
      notes: [p.description ? escapeHtml(p.description) : '', notesOf(p.schema as Json)].filter(Boolean).join('. '),
    }))));
  }
  if (body) {
    const [first] = Object.values(body.content);
    const name = typeof first?.schema.$ref === 'string' ? first.schema.$ref.split('/').at(-1) as string : undefined;
    const schema = name ? schemas[name] : first?.schema;
    doc.push(`<h4>Request body</h4><p>${Object.keys(body.content).map((t) => `<code>${escapeHtml(t)}</code>`).join(' or ')}: ${typeOf(first?.schema)}${schema?.additionalProperties === false ? '. Unknown fields are refused.' : ''}</p>`,
      fieldList(schema ? fieldRows(schema) : []));
  }
  const answer = ([status, response]: [string, Json]) => {
    const content = Object.entries((response.content ?? {}) as Record<string, { schema?: Json }>)
      .map(([type, media]) => `<code>${escapeHtml(type)}</code>${media.schema?.$ref ? ` ${typeOf(media.schema)}` : ''}`).join(', ');
    const headers = Object.keys((response.headers ?? {}) as Json).map((h) => `<code>${escapeHtml(h)}</code>`).join(', ');
    return `<li><span class="status status-${escapeHtml(status.charAt(0))}">${escapeHtml(status)}</span> ${escapeHtml(response.description)}${content ? `<span class="answer-body"> Body: ${content}.</span>` : ''}${headers ? `<span class="answer-body"> Headers: ${headers}.</span>` : ''}</li>`;
  };
  doc.push('<h4>Answers</h4>', `<ul class="answers">${ok.map(answer).join('')}</ul>`);
  if (problems.length > 0) {
    doc.push(`<details class="problems"><summary>Errors: ${problems.map(([s]) => escapeHtml(s)).join(', ')}</summary><ul class="answers">${problems.map(answer).join('')}</ul></details>`);
  }
  const examples = [
    ...samples.map((s) => codeBlock(`Example request (${s.label})`, s.source, 'sh')),
    ...(exampleStatus !== undefined ? [codeBlock('Example answer', exampleOf(op, exampleStatus), 'http')] : []),
  ];
  return `<section class="op" id="op-${id}" aria-labelledby="op-${id}-title" data-search="${escapeHtml(`${method} ${path} ${op.summary as string} ${op.operationId as string}`.toLowerCase())}">
<h3 id="op-${id}-title"><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code> <span class="op-summary">${escapeHtml(op.summary)}</span></h3>
<div class="op-body" id="op-${id}-body"><div class="op-intro">${intro.join('\n')}</div><div class="op-examples">${examples.join('\n')}</div><div class="op-doc">${doc.join('\n')}</div></div>
</section>`;
}

/** The reference page: how to call, every operation grouped by tag, then every named schema. */
export function renderReferencePage(doc: Json, origin: string): string {
  const info = doc.info as { title: string; version: string; description: string };
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
  const ops = Object.entries(paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const byTag = (tag: string) => ops.filter(({ op }) => (op.tags as string[]).includes(tag));
  const tags = doc.tags as { name: string; description: string }[];
  const setup = `SEALPOST=${origin}   # this deployment\nKEY=sp_…         # a send key of your organisation\nADMIN_KEY=sp_…   # an admin key (the admin console creates keys)`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(info.title)} reference</title>
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="/v1/docs.css">
<script type="module" src="/v1/docs.js"></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to the reference</a>
<header class="top">
<p class="brand">sealpost <span class="kicker">API reference</span></p>
<p class="meta">Version ${escapeHtml(info.version)} · <a href="/v1/openapi.json">OpenAPI ${escapeHtml(doc.openapi)} document</a></p>
</header>
<div class="layout">
<nav class="toc" aria-label="Operations">
<details class="toc-menu" open>
<summary>All operations</summary>
<div class="toc-filter" hidden><label for="filter">Filter operations</label><input id="filter" type="search" autocomplete="off" spellcheck="false" placeholder="e.g. webhook, POST, expiry"><p id="filter-status" class="filter-status" role="status"></p></div>
<ul class="toc-list">
<li><a href="#start">Getting started</a></li>
${tags.map((t) => `<li class="toc-tag"><a href="#tag-${escapeHtml(t.name)}">${escapeHtml(t.name)}</a><ul>${byTag(t.name).map(({ path, method, op }) =>
    `<li data-op="op-${escapeHtml(op.operationId)}"><a href="#op-${escapeHtml(op.operationId)}"><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <span class="toc-path">${escapeHtml(path)}</span></a></li>`).join('')}</ul></li>`).join('\n')}
<li class="toc-tag"><a href="#schemas">Schemas</a></li>
</ul>
</details>
</nav>
<main id="main" tabindex="-1">
<h1>${escapeHtml(info.title)}</h1>
<section id="start" aria-labelledby="start-title">
<h2 id="start-title">Getting started</h2>
${info.description.split('\n\n').map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
<p>Every example below is a <code>curl</code> command that runs as shown once these are set (the ids they use, such as <code>$ID</code>, come from an earlier answer):</p>
${codeBlock('Set once', setup, 'sh')}
<p class="expand-all" hidden><button type="button" class="copy" id="expand-all">Expand all operations</button></p>
</section>
${tags.map((t) => `<section class="tag" id="tag-${escapeHtml(t.name)}" aria-labelledby="tag-${escapeHtml(t.name)}-title"><h2 id="tag-${escapeHtml(t.name)}-title">${escapeHtml(t.name)}</h2><p>${escapeHtml(t.description)}</p>\n${byTag(t.name).map(({ path, method, op }) => operationSection(path, method, op, schemas)).join('\n')}</section>`).join('\n')}
<section id="schemas" aria-labelledby="schemas-title"><h2 id="schemas-title">Schemas</h2>
<p>The request and answer bodies named above, field by field.</p>
${Object.entries(schemas).map(([name, schema]) => `<details class="schema" id="schema-${escapeHtml(name)}"><summary>${escapeHtml(name)}</summary>${schema.description ? `<p>${escapeHtml(schema.description)}</p>` : ''}${schema.additionalProperties === false ? '<p>Unknown fields are refused.</p>' : ''}${fieldList(fieldRows(schema))}</details>`).join('\n')}
</section>
<p class="no-results" id="no-results" hidden>No operation matches the filter.</p>
</main>
</div>
</body>
</html>
`;
}

export const REFERENCE_CSS = `:root{color-scheme:light dark;--fg:#1c2230;--bg:#fff;--muted:#545d6f;--line:#d5dae3;--soft:#f3f4f7;--accent:#2446c7;--code-bg:#0f1420;--code-fg:#e7eaf0;--focus:#2446c7;--control:#767f91}
@media (prefers-color-scheme:dark){:root{--fg:#e7eaf0;--bg:#11141b;--muted:#a7afbd;--line:#323a4a;--soft:#1a1f29;--accent:#8ea6ff;--code-bg:#0a0d13;--focus:#8ea6ff;--control:#8a93a5}}
*,*::before,*::after{box-sizing:border-box}
html{scroll-padding-top:1rem}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent);text-underline-offset:2px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
[tabindex="-1"]:focus{outline:none}
[hidden]{display:none!important}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
code{font:.88em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
p code,li code{background:var(--soft);padding:0 .25em;border-radius:4px}
.skip-link{position:absolute;left:1rem;top:-4rem;padding:.5rem 1rem;background:var(--bg);color:var(--accent);font-weight:600;z-index:2}
.skip-link:focus{top:.5rem}
.top{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.25rem 1rem;padding:.75rem 1.25rem;border-bottom:1px solid var(--line)}
.top p{margin:0}
.brand{font-weight:700;font-size:1.1rem}
.kicker{margin-left:.4rem;padding:.05rem .5rem;border-radius:999px;background:var(--soft);color:var(--muted);font-size:.8rem;font-weight:600}
.meta{color:var(--muted);font-size:.9rem}
.layout{display:block}
.toc{border-bottom:1px solid var(--line);padding:.5rem 1rem}
.toc summary{cursor:pointer;font-weight:600;padding:.5rem 0;min-height:44px;display:flex;align-items:center;gap:.5rem}
.toc summary::before{content:"▸";color:var(--muted)}
.toc details[open]>summary::before{content:"▾"}
.toc-filter{margin:.25rem 0 .75rem}
.toc-filter label{display:block;font-weight:600;font-size:.9rem;margin-bottom:.25rem}
.toc-filter input{width:100%;min-height:44px;padding:.5rem .75rem;border:1px solid var(--control);border-radius:8px;background:var(--bg);color:var(--fg);font:inherit}
.filter-status{margin:.25rem 0 0;color:var(--muted);font-size:.85rem}
.filter-status:empty{display:none}
.toc-list,.toc-list ul{list-style:none;margin:0;padding:0}
.toc-tag{margin:.5rem 0}
.toc-tag>a{font-weight:600;display:inline-block;padding:.2rem 0}
.toc-list ul a{display:flex;gap:.5rem;align-items:baseline;padding:.3rem 0;text-decoration:none;color:var(--fg);font-size:.88rem}
.toc-list ul a:hover .toc-path{text-decoration:underline}
.toc-path{overflow-wrap:anywhere;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.82rem}
main{padding:1rem 1.25rem 4rem;min-width:0;max-width:80rem}
h1{font-size:1.8rem;margin:.5rem 0 1rem;line-height:1.2}
h2{font-size:1.4rem;margin:2.5rem 0 .5rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:0 0 .5rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
h3 code{font-size:1rem;overflow-wrap:anywhere}
h4{font-size:.95rem;margin:1.25rem 0 .4rem}
.op{padding:1.5rem 0;border-top:1px solid var(--line)}
.tag>h2+p+.op{border-top:0}
.op-body{display:grid;gap:0 2rem;grid-template-areas:"intro" "examples" "doc"}
.op-intro{grid-area:intro}.op-examples{grid-area:examples}.op-doc{grid-area:doc}
.op-intro,.op-doc,.op-examples{min-width:0}
.op-summary{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-weight:650;font-size:1rem}
.op-toggle{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;width:100%;min-height:44px;padding:.25rem 0;border:0;background:none;color:inherit;font:inherit;text-align:left;cursor:pointer}
.op-toggle::before{content:"▸";flex:none;width:1rem;color:var(--muted)}
.op-toggle[aria-expanded="true"]::before{content:"▾"}
.op-toggle:hover .op-summary{text-decoration:underline}
.js-collapsible .op{padding:.6rem 0}
.js-collapsible .op-body{padding:.5rem 0 1rem 1.5rem}
.auth .label{font-weight:600;margin-right:.35rem}
.method{display:inline-block;flex:none;min-width:3.8rem;text-align:center;border-radius:4px;padding:0 .3rem;font:700 .72rem/1.7 ui-monospace,SFMono-Regular,Menlo,monospace;color:#fff;background:#545d6f}
.method-get{background:#1f4fa8}.method-post{background:#17663a}.method-patch{background:#8a4300}.method-delete{background:#b42318}
.fields,.answers{list-style:none;margin:0;padding:0;border-top:1px solid var(--line)}
.fields li,.answers li{padding:.55rem 0;border-bottom:1px solid var(--line)}
.field-head{margin:0;display:flex;flex-wrap:wrap;gap:.15rem .6rem;align-items:baseline}
.field-name{font-weight:700;background:none;padding:0}
.field-type{color:var(--muted);font-size:.9rem}
.field-type code{background:none;padding:0}
.where{margin-left:.25rem}
.required{font-size:.75rem;font-weight:700;color:#8a4300;text-transform:uppercase;letter-spacing:.03em}
.field-notes{margin:.2rem 0 0;font-size:.93rem}
.status{display:inline-block;min-width:2.6rem;font:700 .85rem ui-monospace,SFMono-Regular,Menlo,monospace}
.status-2{color:#17663a}.status-4,.status-5{color:#b42318}
.answer-body{color:var(--muted);font-size:.9rem}
details.problems{margin-top:.75rem}
details summary{cursor:pointer;font-weight:600;min-height:32px}
.code{margin:0 0 1rem}
.code figcaption{font-size:.8rem;font-weight:600;color:var(--muted);margin-bottom:.25rem;display:flex;justify-content:space-between;align-items:center;gap:.5rem}
.code pre{margin:0;padding:.8rem 1rem;background:var(--code-bg);color:var(--code-fg);border-radius:8px;overflow:auto;max-height:28rem;font-size:.8rem;line-height:1.5}
.code pre code{font-size:1em;line-height:inherit;white-space:pre;overflow-wrap:normal}
.copy{min-height:32px;padding:.15rem .7rem;border:1px solid var(--control);border-radius:6px;background:var(--bg);color:var(--fg);font:600 .8rem system-ui,sans-serif;cursor:pointer}
.schema{padding:.5rem 0;border-bottom:1px solid var(--line)}
.schema summary{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.no-results{color:var(--muted)}
@media (min-width:60rem){.layout{display:grid;grid-template-columns:19rem minmax(0,1fr)}.toc{position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;border-bottom:0;border-right:1px solid var(--line)}.toc summary{display:none}main{padding:1.5rem 2.5rem 4rem}}
@media (min-width:85rem){.op-body{grid-template-columns:minmax(0,1fr) minmax(0,30rem);grid-template-areas:"intro examples" "doc examples";grid-template-rows:auto 1fr}.op-examples{position:sticky;top:1rem;align-self:start}}
@media (max-width:40rem){.js-collapsible .op-body{padding-left:0}}
@media (forced-colors:active){.method{border:1px solid}}
`;

/**
 * The page's script: copy buttons on every code block, a filter over the operations, and the
 * operation menu folded on a phone. Everything it adds is an enhancement of static HTML.
 */
export const REFERENCE_SCRIPT = `const narrow = matchMedia('(max-width: 59.99rem)');
const menu = document.querySelector('.toc-menu');
if (menu && narrow.matches) menu.open = false;
document.querySelectorAll('.toc a').forEach((link) => link.addEventListener('click', () => { if (menu && narrow.matches) menu.open = false; }));

function announce(el, text) { el.textContent = ''; setTimeout(() => { el.textContent = text; }, 50); }

document.querySelectorAll('figure.code').forEach((figure) => {
  const caption = figure.querySelector('figcaption');
  const code = figure.querySelector('code');
  if (!caption || !code || !navigator.clipboard) return;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'copy';
  button.textContent = 'Copy';
  button.setAttribute('aria-label', 'Copy: ' + caption.textContent);
  const said = document.createElement('span');
  said.className = 'visually-hidden';
  said.setAttribute('role', 'status');
  button.addEventListener('click', () => {
    navigator.clipboard.writeText(code.textContent || '').then(() => {
      button.textContent = 'Copied';
      announce(said, 'Copied to the clipboard.');
      setTimeout(() => { button.textContent = 'Copy'; }, 2000);
    }, () => announce(said, 'Could not copy: select the text and copy it.'));
  });
  caption.append(button, said);
});

// Operations fold to one line each (method, path, summary): the page is a list to scan, and an
// operation opens where it is asked for (a link, the address's #fragment, the filter).
document.body.classList.add('js-collapsible');
const toggles = new Map();
for (const op of document.querySelectorAll('section.op')) {
  const title = op.querySelector('h3');
  const body = op.querySelector('.op-body');
  if (!title || !body) continue;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'op-toggle';
  button.setAttribute('aria-controls', body.id);
  button.append(...title.childNodes);
  title.append(button);
  const set = (open) => { button.setAttribute('aria-expanded', String(open)); body.hidden = !open; };
  set(false);
  button.addEventListener('click', () => set(body.hidden));
  toggles.set(op.id, set);
}
function openTarget() {
  let target = null;
  try { target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null; } catch (e) { target = null; }
  const op = target && target.closest('section.op');
  if (op && toggles.has(op.id)) { toggles.get(op.id)(true); target.scrollIntoView(); }
  const schema = target && target.closest('details.schema');
  if (schema) schema.open = true;
}
window.addEventListener('hashchange', openTarget);
document.querySelectorAll('a[href^="#"]').forEach((link) => link.addEventListener('click', () => { if (link.getAttribute('href') === location.hash) openTarget(); }));
openTarget();
const expandAll = document.getElementById('expand-all');
if (expandAll && expandAll.parentElement) {
  expandAll.parentElement.hidden = false;
  let all = false;
  expandAll.addEventListener('click', () => {
    all = !all;
    for (const set of toggles.values()) set(all);
    expandAll.textContent = all ? 'Collapse all operations' : 'Expand all operations';
  });
}

const filterBox = document.querySelector('.toc-filter');
const filter = document.getElementById('filter');
const filterStatus = document.getElementById('filter-status');
const ops = [...document.querySelectorAll('section.op')];
const noResults = document.getElementById('no-results');
if (filterBox && filter && filterStatus) {
  filterBox.hidden = false;
  filter.addEventListener('input', () => {
    const words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let shown = 0;
    for (const op of ops) {
      const match = words.every((w) => (op.dataset.search || '').includes(w));
      op.hidden = !match;
      const item = document.querySelector('[data-op="' + op.id + '"]');
      if (item) item.hidden = !match;
      if (match) shown++;
    }
    document.querySelectorAll('section.tag').forEach((tag) => { tag.hidden = words.length > 0 && !tag.querySelector('section.op:not([hidden])'); });
    document.querySelectorAll('.toc-tag').forEach((tag) => { const list = tag.querySelector('ul'); tag.hidden = words.length > 0 && (!list || !list.querySelector('li:not([hidden])')); });
    if (noResults) noResults.hidden = shown > 0;
    filterStatus.textContent = words.length === 0 ? '' : shown + ' of ' + ops.length + ' operations';
  });
}
`;
