/**
 * Content type sniffing as Go's `net/http.DetectContentType` does it (the WHATWG MIME Sniffing
 * algorithm's subset Go implements, Go 1.24): `cosign upload blob` names a layer's media type
 * after it (`strings.Split(DetectContentType(b), ";")[0]`), so the same file must get the same
 * type — and the manifest the same digest — as with cosign.
 *
 * @module
 */

/** Go looks at no more than this many leading bytes. */
export const SNIFF_LENGTH = 512;

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

type Sig = (data: Uint8Array, firstNonWS: number) => string | undefined;

const isWS = (b: number) => b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20;

function exact(sig: string, ct: string): Sig {
  const p = enc(sig);
  return (d) => (d.length >= p.length && p.every((b, i) => d[i] === b) ? ct : undefined);
}

function masked(mask: string, pat: string, ct: string, skipWS = false): Sig {
  const m = enc(mask);
  const p = enc(pat);
  return (data, first) => {
    const d = skipWS ? data.subarray(first) : data;
    if (d.length < p.length) return undefined;
    for (let i = 0; i < p.length; i++) if ((d[i] & m[i]) !== p[i]) return undefined;
    return ct;
  };
}

function html(tag: string): Sig {
  const h = enc(tag);
  return (data, first) => {
    const d = data.subarray(first);
    if (d.length < h.length + 1) return undefined;
    for (let i = 0; i < h.length; i++) {
      let db = d[i];
      if (h[i] >= 0x41 && h[i] <= 0x5a) db &= 0xdf;
      if (db !== h[i]) return undefined;
    }
    const tt = d[h.length];
    return tt === 0x20 || tt === 0x3e ? "text/html; charset=utf-8" : undefined;
  };
}

const mp4: Sig = (d) => {
  if (d.length < 12) return undefined;
  const boxSize = new DataView(d.buffer, d.byteOffset, 4).getUint32(0);
  if (d.length < boxSize || boxSize % 4 !== 0) return undefined;
  if (d[4] !== 0x66 || d[5] !== 0x74 || d[6] !== 0x79 || d[7] !== 0x70) return undefined; // ftyp
  for (let st = 8; st < boxSize; st += 4) {
    if (st === 12) continue; // the minor version
    if (d[st] === 0x6d && d[st + 1] === 0x70 && d[st + 2] === 0x34) return "video/mp4";
  }
  return undefined;
};

const text: Sig = (d, first) => {
  for (let i = first; i < d.length; i++) {
    const b = d[i];
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) {
      return undefined;
    }
  }
  return "text/plain; charset=utf-8";
};

const Z4 = "\x00\x00\x00\x00";
const SIGNATURES: Sig[] = [
  ...[
    "<!DOCTYPE HTML",
    "<HTML",
    "<HEAD",
    "<SCRIPT",
    "<IFRAME",
    "<H1",
    "<DIV",
    "<FONT",
    "<TABLE",
    "<A",
    "<STYLE",
    "<TITLE",
    "<B",
    "<BODY",
    "<BR",
    "<P",
    "<!--",
  ].map(html),
  masked("\xff\xff\xff\xff\xff", "<?xml", "text/xml; charset=utf-8", true),
  exact("%PDF-", "application/pdf"),
  exact("%!PS-Adobe-", "application/postscript"),
  masked("\xff\xff\x00\x00", "\xfe\xff\x00\x00", "text/plain; charset=utf-16be"),
  masked("\xff\xff\x00\x00", "\xff\xfe\x00\x00", "text/plain; charset=utf-16le"),
  masked("\xff\xff\xff\x00", "\xef\xbb\xbf\x00", "text/plain; charset=utf-8"),
  exact("\x00\x00\x01\x00", "image/x-icon"),
  exact("\x00\x00\x02\x00", "image/x-icon"),
  exact("BM", "image/bmp"),
  exact("GIF87a", "image/gif"),
  exact("GIF89a", "image/gif"),
  masked(`\xff\xff\xff\xff${Z4}\xff\xff\xff\xff\xff\xff`, `RIFF${Z4}WEBPVP`, "image/webp"),
  exact("\x89PNG\x0d\x0a\x1a\x0a", "image/png"),
  exact("\xff\xd8\xff", "image/jpeg"),
  masked(`\xff\xff\xff\xff${Z4}\xff\xff\xff\xff`, `FORM${Z4}AIFF`, "audio/aiff"),
  masked("\xff\xff\xff", "ID3", "audio/mpeg"),
  masked("\xff\xff\xff\xff\xff", "OggS\x00", "application/ogg"),
  masked("\xff".repeat(8), "MThd\x00\x00\x00\x06", "audio/midi"),
  masked(`\xff\xff\xff\xff${Z4}\xff\xff\xff\xff`, `RIFF${Z4}AVI `, "video/avi"),
  masked(`\xff\xff\xff\xff${Z4}\xff\xff\xff\xff`, `RIFF${Z4}WAVE`, "audio/wave"),
  mp4,
  exact("\x1a\x45\xdf\xa3", "video/webm"),
  masked(`${"\x00".repeat(34)}\xff\xff`, `${"\x00".repeat(34)}LP`, "application/vnd.ms-fontobject"),
  exact("\x00\x01\x00\x00", "font/ttf"),
  exact("OTTO", "font/otf"),
  exact("ttcf", "font/collection"),
  exact("wOFF", "font/woff"),
  exact("wOF2", "font/woff2"),
  exact("\x1f\x8b\x08", "application/x-gzip"),
  exact("PK\x03\x04", "application/zip"),
  exact("Rar!\x1a\x07\x00", "application/x-rar-compressed"),
  exact("Rar!\x1a\x07\x01\x00", "application/x-rar-compressed"),
  exact("\x00\x61\x73\x6d", "application/wasm"),
  text,
];

/**
 * Go's `http.DetectContentType`.
 *
 * @param bytes the content (only the first 512 bytes are looked at)
 * @returns a MIME type, e.g. `text/plain; charset=utf-8`; `application/octet-stream` otherwise
 */
export function detectContentType(bytes: Uint8Array): string {
  const data = bytes.subarray(0, SNIFF_LENGTH);
  let first = 0;
  while (first < data.length && isWS(data[first])) first++;
  for (const sig of SIGNATURES) {
    const ct = sig(data, first);
    if (ct !== undefined) return ct;
  }
  return "application/octet-stream";
}
