/**
 * A waiting group's alerts as the UTF-8 bytes of their JSON, comma-separated, in one buffer
 * outside the JavaScript heap: what its notification carries between `"alerts":[` and `]`.
 *
 * Held as strings, every alert (about 480 bytes of heap each) was copied by each young-generation
 * collection it lived through and then promoted, and the flush joined the strings and encoded
 * them again. Here the collector sees one buffer per group, whatever it holds, and a flush copies
 * bytes.
 */
export class AlertArena {
  private bytes: Buffer = EMPTY;
  private used = 0;
  /** Where each alert's bytes end (exclusive); the next one starts after a comma. */
  private readonly ends: number[] = [];

  /** Alerts held. */
  get length(): number {
    return this.ends.length;
  }

  /** Appends one alert's JSON. */
  push(json: string): void {
    // a UTF-16 code unit takes at most 3 UTF-8 bytes (a surrogate pair: 4 bytes for 2 units)
    const most = json.length * 3 + 1;
    if (this.used + most > this.bytes.length) this.grow(this.used + most);
    if (this.ends.length > 0) this.bytes[this.used++] = COMMA;
    this.used += this.bytes.write(json, this.used, 'utf8');
    this.ends.push(this.used);
  }

  /** The byte length of alert `i`'s JSON. */
  size(i: number): number {
    return this.ends[i]! - this.start(i);
  }

  /** The bytes of alerts `from`..`to` (exclusive), comma-separated: a view, not a copy. */
  slice(from: number, to: number): Buffer {
    if (to <= from) return EMPTY;
    return this.bytes.subarray(this.start(from), this.ends[to - 1]);
  }

  private start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]! + 1;
  }

  private grow(needed: number): void {
    // its own allocation (not a slice of Node's shared pool, which one long-waiting group would keep)
    const next = Buffer.allocUnsafeSlow(Math.max(needed, this.bytes.length * 2, MIN_CAPACITY));
    this.bytes.copy(next, 0, 0, this.used);
    this.bytes = next;
  }
}

const COMMA = 0x2c;
const MIN_CAPACITY = 1024;
const EMPTY = Buffer.alloc(0);
