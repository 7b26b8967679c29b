/** Two lowercase hex digits of each byte value. */
const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** 4 hex digits of a 16-bit integer (a table lookup per byte: ids and fingerprints are made per alert). */
export const hex16 = (v: number): string => HEX_BYTE[(v >>> 8) & 0xff]! + HEX_BYTE[v & 0xff]!;

/** 8 hex digits of an unsigned 32-bit integer. */
export const hex32 = (n: number): string => hex16(n >>> 16) + hex16(n & 0xffff);
