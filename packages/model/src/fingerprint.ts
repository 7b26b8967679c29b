const encoder = new TextEncoder();
const TWO_32 = 4294967296;

/**
 * Alertmanager's alert fingerprint (reference alertmanager.md §2.1): 64-bit FNV-1a over the
 * label names sorted byte-wise, each name and value followed by a 0xFF byte; rendered as 16
 * lowercase hex digits. The 64-bit state is kept in two unsigned 32-bit halves so every
 * intermediate product stays exact in a double (no BigInt on the hot path).
 */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  // Offset basis 0xcbf29ce484222325.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const step = (byte: number): void => {
    lo ^= byte;
    lo >>>= 0;
    // state * 0x100000001b3 = state * 0x1b3 + (state << 40)   (mod 2^64)
    const loProduct = lo * 0x1b3;
    const carry = Math.floor(loProduct / TWO_32);
    const newLo = loProduct % TWO_32;
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) % TWO_32;
    lo = newLo;
  };
  // the UTF-8 bytes of s: ASCII straight from its code units, anything else through the encoder
  const bytes = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        for (const b of encoder.encode(s.slice(i))) step(b);
        return;
      }
      step(c);
    }
  };
  const names = Object.keys(labels).sort(compareBytes);
  for (const name of names) {
    bytes(name);
    step(0xff);
    bytes(labels[name]!);
    step(0xff);
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** Byte-wise (UTF-8) order, which is Go's string order; it equals code-point order. */
function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order is code-point order except where a surrogate (U+10000 and up) meets U+E000–U+FFFF
    if ((x & 0xf800) === 0xd800 || (y & 0xf800) === 0xd800) return compareCodePoints(a, b);
    return x - y;
  }
  return a.length - b.length;
}

function compareCodePoints(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i]!.codePointAt(0)!;
    const y = cb[i]!.codePointAt(0)!;
    if (x !== y) return x - y;
  }
  return ca.length - cb.length;
}
