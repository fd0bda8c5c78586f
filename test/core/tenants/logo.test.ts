import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/core/shared/index.ts';
import { MAX_LOGO_BYTES, validateLogo } from '../../../functions/core/tenants/index.ts';
import { aPng, PNG_SIGNATURE, pngChunk, SIMPLE_SVG, svgBytes, textChunk } from '../../helpers/brand-fakes.ts';

/** The message of the ValidationError that `validateLogo` throws. */
function rejection(bytes: Uint8Array, contentType: string): string {
  try {
    validateLogo(bytes, contentType);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.field).toBe('brand/logo');
    return issues[0]!.message;
  }
  throw new Error('the logo was accepted');
}

const svg = (inner: string, rootAttributes = '') =>
  svgBytes(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"${rootAttributes}>${inner}</svg>`);
const svgRejection = (text: string) => rejection(svgBytes(text), 'image/svg+xml');
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('validateLogo: PNG', () => {
  it('accepts a PNG and keeps its image data when it is well formed', () => {
    const png = aPng();

    const logo = validateLogo(png, 'image/png');

    expect(logo.contentType).toBe('image/png');
    expect(Buffer.from(logo.bytes).equals(Buffer.from(png))).toBe(true);
  });

  it('drops text and metadata chunks and keeps colour chunks when a PNG carries them', () => {
    const gamma = pngChunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f]));
    const png = aPng({ before: [textChunk('Author', 'Jane Doe'), gamma, pngChunk('eXIf', Buffer.from('MM\0*'))], after: [textChunk('Software', 'Editor 1.0')] });

    const logo = validateLogo(png, 'image/png');

    const text = Buffer.from(logo.bytes).toString('latin1');
    expect(text).not.toContain('Jane Doe');
    expect(text).not.toContain('Editor');
    expect(text).not.toContain('eXIf');
    expect(text).toContain('gAMA');
    expect(Buffer.from(logo.bytes).equals(Buffer.from(aPng({ before: [gamma] })))).toBe(true);
  });

  it('accepts a content type with parameters and any case', () => {
    expect(validateLogo(aPng(), 'Image/PNG; charset=binary').contentType).toBe('image/png');
  });

  it('rejects a file without the PNG signature', () => {
    const bytes = aPng();
    bytes[1] = 0x51;

    expect(rejection(bytes, 'image/png')).toMatch(/not a PNG file/);
    expect(rejection(svgBytes(SIMPLE_SVG), 'image/png')).toMatch(/not a PNG file/);
  });

  it('rejects a logo over 100 KB, whatever its type', () => {
    const big = aPng({ before: [textChunk('Comment', 'x'.repeat(MAX_LOGO_BYTES))] });

    expect(rejection(big, 'image/png')).toMatch(/limit is 102400 bytes \(100 KB\)/);
    expect(svgRejection(`<svg xmlns="http://www.w3.org/2000/svg"><desc>${'x'.repeat(MAX_LOGO_BYTES)}</desc></svg>`)).toMatch(/100 KB/);
  });

  it('rejects a PNG whose dimensions exceed 4096 pixels', () => {
    expect(rejection(aPng({ width: 5000, height: 10 }), 'image/png')).toMatch(/5000×10 pixels; the limit is 4096×4096/);
  });

  it('rejects a truncated, corrupted or padded PNG', () => {
    const png = aPng();
    const corrupted = png.slice();
    corrupted[PNG_SIGNATURE.length + 8 + 2] = 0xff; // inside IHDR (the width was 0): the CRC no longer matches

    expect(rejection(png.slice(0, png.length - 6), 'image/png')).toMatch(/truncated/);
    expect(rejection(corrupted, 'image/png')).toMatch(/checksum error in its IHDR chunk/);
    expect(rejection(new Uint8Array([...png, 0x3c, 0x73]), 'image/png')).toMatch(/data after its end/);
  });

  it('rejects an unknown critical chunk and an image without data', () => {
    const noData = new Uint8Array(Buffer.concat([Buffer.from(aPng().slice(0, PNG_SIGNATURE.length + 25)), pngChunk('IEND')]));

    expect(rejection(aPng({ before: [pngChunk('ABCD', Buffer.from('x'))] }), 'image/png')).toMatch(/unsupported critical chunk \(ABCD\)/);
    expect(rejection(noData, 'image/png')).toMatch(/without image data/);
  });

  it('rejects other types, empty files, and a PNG declared as SVG', () => {
    expect(rejection(aPng(), 'image/gif')).toMatch(/must be image\/png or image\/svg\+xml/);
    expect(rejection(new Uint8Array(), 'image/png')).toMatch(/empty/);
    expect(rejection(aPng(), 'image/svg+xml')).toMatch(/PNG file but was declared as image\/svg\+xml/);
  });
});

describe('validateLogo: SVG', () => {
  it('accepts shapes, text, gradients and local references, re-serialised without comments', () => {
    const source = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- Generator: Some Editor, /home/jane/logo.svg -->\n'
      + '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
      + '<title>Acme &amp; Co</title><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>'
      + '<path id="p" d="M0 0h10v10z"/></defs><use xlink:href="#p" fill="url(#g)"/><use href="#p" style="fill: rgb(1, 2, 3); stroke: url(\'#g\')"/>'
      + "<text x='1' y='8' font-family=\"'Helvetica Neue', Arial\">A &lt; B</text></svg>";

    const logo = validateLogo(svgBytes(source), 'image/svg+xml');

    expect(logo.contentType).toBe('image/svg+xml');
    const out = decode(logo.bytes);
    expect(out).toBe('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
      + '<title>Acme &amp; Co</title><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>'
      + '<path id="p" d="M0 0h10v10z"/></defs><use xlink:href="#p" fill="url(#g)"/><use href="#p" style="fill: rgb(1, 2, 3); stroke: url(\'#g\')"/>'
      + '<text x="1" y="8" font-family="\'Helvetica Neue\', Arial">A &lt; B</text></svg>');
    // What we store passes again unchanged: the output is in the accepted subset.
    expect(decode(validateLogo(logo.bytes, 'image/svg+xml').bytes)).toBe(out);
  });

  it('rejects an SVG with a <script> element', () => {
    expect(svgRejection('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'))
      .toBe('is not an acceptable SVG: the <script> element is not allowed (a logo cannot contain scripts)');
  });

  it('rejects event handler attributes in any case', () => {
    expect(rejection(svg('', ' onload="alert(1)"'), 'image/svg+xml')).toMatch(/event handler attributes such as onload are not allowed/);
    expect(rejection(svg('<rect OnClick="alert(1)"/>'), 'image/svg+xml')).toMatch(/OnClick/);
  });

  it('rejects javascript: and external hrefs, and hrefs outside <use> and gradients', () => {
    expect(rejection(svg('<use href="javascript:alert(1)"/>'), 'image/svg+xml')).toMatch(/must point inside the file \("#id"\), not to "javascript:alert\(1\)"/);
    expect(rejection(svg('<use href="&#106;avascript:alert(1)"/>'), 'image/svg+xml')).toMatch(/not to "javascript:alert\(1\)"/);
    expect(rejection(svg('<use href="https://evil.example/sprite.svg#logo"/>'), 'image/svg+xml')).toMatch(/must point inside the file/);
    expect(rejection(svg('<use xlink:href="//evil.example/x#a"/>', ' xmlns:xlink="http://www.w3.org/1999/xlink"'), 'image/svg+xml')).toMatch(/must point inside the file/);
    expect(rejection(svg('<rect href="#a"/>'), 'image/svg+xml')).toMatch(/attribute href of <rect> is not allowed/);
  });

  it('rejects elements that embed, link or animate', () => {
    expect(rejection(svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>'), 'image/svg+xml')).toMatch(/<foreignObject> element is not allowed \(it embeds HTML\)/);
    expect(rejection(svg('<image href="https://evil.example/pixel.gif"/>'), 'image/svg+xml')).toMatch(/<image> element is not allowed/);
    expect(rejection(svg('<a href="#x"><rect/></a>'), 'image/svg+xml')).toMatch(/<a> element is not allowed/);
    expect(rejection(svg('<rect><animate attributeName="x"/></rect>'), 'image/svg+xml')).toMatch(/animation \(<animate>\) is not allowed/);
    expect(rejection(svg('<rect><set attributeName="x"/></rect>'), 'image/svg+xml')).toMatch(/animation \(<set>\)/);
    expect(rejection(svg('<style>rect{fill:red}</style>'), 'image/svg+xml')).toMatch(/<style> element is not allowed; use presentation attributes/);
    expect(rejection(svg('<iframe/>'), 'image/svg+xml')).toMatch(/<iframe>/);
  });

  it('rejects DOCTYPE and ENTITY declarations, CDATA and processing instructions', () => {
    expect(svgRejection('<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'))
      .toMatch(/DOCTYPE and ENTITY declarations are not allowed/);
    expect(rejection(svg('<text><![CDATA[<script>alert(1)</script>]]></text>'), 'image/svg+xml')).toMatch(/CDATA sections are not allowed/);
    expect(svgRejection('<?xml-stylesheet href="https://evil.example/x.css"?><svg xmlns="http://www.w3.org/2000/svg"/>')).toMatch(/XML declaration/);
    expect(rejection(svg('<?php echo 1 ?>'), 'image/svg+xml')).toMatch(/processing instructions/);
    expect(rejection(svg('<text>&nbsp;</text>'), 'image/svg+xml')).toMatch(/entity &nbsp; in text is not allowed/);
  });

  it('rejects styles and values that reach outside the file', () => {
    expect(rejection(svg('<rect style="fill:url(http://evil.example/x)"/>'), 'image/svg+xml')).toMatch(/attribute style of <rect> refers outside the file; only url\(#id\) is allowed/);
    expect(rejection(svg('<rect fill="url(https://evil.example/x#g)"/>'), 'image/svg+xml')).toMatch(/attribute fill of <rect> refers outside/);
    expect(rejection(svg('<rect fill="&#x75;rl(//evil.example/x)"/>'), 'image/svg+xml')).toMatch(/refers outside/);
    expect(rejection(svg('<rect style="fill:u\\72l(http://evil.example/x)"/>'), 'image/svg+xml')).toMatch(/character that is not allowed/);
    expect(rejection(svg('<rect style="background:image-set(\'https://evil.example/x\' 1x)"/>'), 'image/svg+xml')).toMatch(/uses image-set\(\)/);
    expect(rejection(svg('<rect style="width:expression(alert(1))"/>'), 'image/svg+xml')).toMatch(/not allowed/);
    expect(rejection(svg('<rect style="@import \'https://evil.example/x.css\'"/>'), 'image/svg+xml')).toMatch(/character that is not allowed/);
  });

  it('rejects malformed or non-SVG documents with a reason', () => {
    expect(svgRejection('<html><body/></html>')).toMatch(/<html> element is not allowed/);
    expect(svgRejection('<svg viewBox="0 0 1 1"/>')).toMatch(/needs xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(rejection(svg('<g><rect/>'), 'image/svg+xml')).toMatch(/<\/svg> does not close <g>/);
    expect(rejection(svg('<rect x=1/>'), 'image/svg+xml')).toMatch(/attribute values must be quoted/);
    expect(rejection(svg('<rect x="1" x="2"/>'), 'image/svg+xml')).toMatch(/appears twice/);
    expect(rejection(new Uint8Array([0x3c, 0x73, 0xff, 0xfe]), 'image/svg+xml')).toMatch(/not UTF-8/);
    expect(svgRejection(`${SIMPLE_SVG}<svg xmlns="http://www.w3.org/2000/svg"/>`)).toMatch(/more than one root element/);
  });

  it('rejects <use> of an element that itself contains <use> (exponential rendering)', () => {
    expect(rejection(svg('<defs><g id="a"><path d="M0 0"/></g><g id="b"><use href="#a"/><use href="#a"/></g></defs><use href="#b"/><use href="#b"/>'), 'image/svg+xml'))
      .toMatch(/<use> may only refer to elements that do not themselves contain <use>/);
    expect(rejection(svg('<g id="loop"><use href="#loop"/></g>'), 'image/svg+xml')).toMatch(/<use> may only refer/);
  });
});
