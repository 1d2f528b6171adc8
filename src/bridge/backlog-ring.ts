/**
 * The size and time of every message in an outbox, by sequence number, for the bounds: 12 bytes a
 * message (12 MB for a million), so that dropping the oldest or the expired needs no database read.
 * Holds the contiguous range [floor, head).
 */
export class BacklogRing {
  private sizes = new Uint32Array(1024);
  private times = new Float64Array(1024);
  private mask = 1023;
  /** Oldest sequence number held. */
  floor: number;
  /** Next sequence number. */
  head: number;
  /** Bytes of the messages held. */
  bytes = 0;

  constructor(first: number) {
    this.floor = first;
    this.head = first;
  }

  get count(): number {
    return this.head - this.floor;
  }

  push(size: number, at: number): number {
    if (this.count > this.mask) this.grow();
    const seq = this.head++;
    this.sizes[seq & this.mask] = size;
    this.times[seq & this.mask] = at;
    this.bytes += size;
    return seq;
  }

  /** Replaces a held message's size and time (a newer value in its place). */
  replace(seq: number, size: number, at: number): void {
    const slot = seq & this.mask;
    this.bytes += size - (this.sizes[slot] ?? 0);
    this.sizes[slot] = size;
    this.times[slot] = at;
  }

  /** When the oldest message was appended; undefined when empty. */
  oldestAt(): number | undefined {
    return this.count === 0 ? undefined : this.times[this.floor & this.mask];
  }

  /** Forgets the oldest message. */
  shift(): void {
    this.bytes -= this.sizes[this.floor & this.mask] ?? 0;
    this.floor++;
  }

  /** Forgets every message up to `seq`. */
  shiftTo(seq: number): void {
    while (this.floor <= seq && this.floor < this.head) this.shift();
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const sizes = new Uint32Array(capacity);
    const times = new Float64Array(capacity);
    for (let seq = this.floor; seq < this.head; seq++) {
      sizes[seq & (capacity - 1)] = this.sizes[seq & this.mask] ?? 0;
      times[seq & (capacity - 1)] = this.times[seq & this.mask] ?? 0;
    }
    this.sizes = sizes;
    this.times = times;
    this.mask = capacity - 1;
  }
}
