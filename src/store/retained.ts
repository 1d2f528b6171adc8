import { Readable } from 'node:stream';
import { QlobberTrue } from 'qlobber';
import type { BatchWriter } from './batch-writer.ts';
import type { SqliteDatabase } from './database.ts';
import { decodePacket, encodePacket, rowBytes, type PacketFields, type StoredPacket } from './packet-codec.ts';

const MATCH_OPTIONS = { wildcard_one: '+', wildcard_some: '#', separator: '/' };

/**
 * A retained message in memory. The payload is kept as a latin1 string (byte for byte, one byte per
 * character) and not as the Buffer it came in: a small Buffer is a view of a shared 8 KB pool slab
 * (or of a socket read), and one kept view keeps the whole slab. Kept for hours by slow tags, those
 * views pinned tens of megabytes.
 * A topic's entry is updated in place by the next value with the same fields: an entry lives as long as
 * its tag's update period (a quarter of a second for 10,000 tags at 40,000 values/s), long enough for the
 * young generation to copy and promote it, and a new one per value was a quarter of what the main thread
 * promoted (a sampling heap profile of `bench:namespace`).
 */
interface RetainedEntry {
  fields: PacketFields & { payload: undefined };
  bytes: string;
  /** When it was stored: its number among all stores since the open (1 for the first; 0 for one loaded at open). */
  seq: number;
  /** Its topic waits in `dirty` (or in the slice taken from it) for a deferred write: no set operation per value. */
  deferred: boolean;
}

function entryOf(packet: StoredPacket, seq: number): RetainedEntry {
  // A spread that overrides the payload is V8's fast object clone: a rest pattern without it took 6 times longer.
  return { fields: { ...packet, payload: undefined }, bytes: packet.payload.toString('latin1'), seq, deferred: false };
}

/** The same fields as the entry's, so the packet can take its place. */
function sameFields(fields: PacketFields, packet: StoredPacket): boolean {
  let count = 0;
  for (const key in fields) {
    if (!(key in packet)) return false;
    count++;
  }
  for (const key in packet) count--;
  return count === 0;
}

/** A newer packet of the entry's topic in the entry itself; false when its fields differ (it needs an entry of its own). */
function refresh(entry: RetainedEntry, packet: StoredPacket, seq: number): boolean {
  const { fields } = entry;
  if (!sameFields(fields, packet)) return false;
  for (const key in packet) if (key !== 'payload') fields[key] = packet[key];
  entry.bytes = packet.payload.toString('latin1');
  entry.seq = seq;
  return true;
}

function toPacket(entry: RetainedEntry): StoredPacket {
  return { ...entry.fields, payload: Buffer.from(entry.bytes, 'latin1') };
}

/** How long a deferred retained value may wait for its write. */
const DEFER_MS = 5000;
/** Deferred writes go in slices of this many rows, one slice per staged batch, so no commit stalls the loop. */
const SLICE_ROWS = 1000;
const SLICE_GAP_MS = 50;

/** Retained messages: all held in memory for fast subscribe, written through to SQLite. */
export class RetainedStore {
  private readonly byTopic = new Map<string, RetainedEntry>();
  /** Stores so far: what a stream started at a given moment tells apart from later values. */
  private stores = 0;
  /** Topics whose latest value is not written yet. */
  private readonly dirty = new Set<string>();
  /** Deferred topics taken for writing, staged a slice at a time. */
  private slice: string[] = [];
  private deferTimer: NodeJS.Timeout | undefined;
  private readonly upsert;
  private readonly remove;

  constructor(
    db: SqliteDatabase,
    private readonly writer: BatchWriter,
    private readonly deferMs = DEFER_MS,
  ) {
    this.upsert = db.prepare('INSERT OR REPLACE INTO retained (topic, payload, meta) VALUES (?, ?, ?)');
    this.remove = db.prepare('DELETE FROM retained WHERE topic = ?');
    for (const row of db.prepare('SELECT payload, meta FROM retained').iterate() as Iterable<{ payload: Buffer; meta: string }>) {
      const packet = decodePacket(row.payload, row.meta);
      this.byTopic.set(packet.topic, entryOf(packet, 0));
    }
  }

  get(topic: string): StoredPacket | undefined {
    const entry = this.byTopic.get(topic);
    return entry && toPacket(entry);
  }

  get size(): number {
    return this.byTopic.size;
  }

  /**
   * An empty payload clears the topic [MQTT-3.3.1-10]. An `urgent` write (a client's QoS 1/2 publish,
   * whose journal entry goes in the same batch) is staged at once; others (the gateway's own tag values,
   * QoS 0) are written at most once per `deferMs` per topic, the latest value only: a tag that changes
   * ten times a second costs one row write every five seconds (SD cards wear), and its value is read
   * from the device again after a restart anyway.
   */
  store(packet: StoredPacket, urgent: boolean): void {
    const topic = packet.topic;
    const cleared = packet.payload.length === 0;
    this.stores++;
    let entry: RetainedEntry | undefined;
    if (cleared) this.byTopic.delete(topic);
    else {
      entry = this.byTopic.get(topic);
      if (entry !== undefined && entry.seq === 0) {
        // Loaded at open, it is keyed by a string read from the database. Keyed again by the one handed in now (a
        // tag's topic, the same string at each of its values), a lookup compares references, not characters.
        this.byTopic.delete(topic);
        this.byTopic.set(topic, entry);
      }
      if (entry === undefined || !refresh(entry, packet, this.stores)) {
        entry = entryOf(packet, this.stores);
        this.byTopic.set(topic, entry);
      }
    }
    if (urgent) {
      this.dirty.delete(topic);
      this.stageWrite(topic);
      return;
    }
    if (entry?.deferred !== true) {
      this.dirty.add(topic);
      if (entry) entry.deferred = true;
    }
    if (!this.deferTimer) this.defer(this.deferMs);
  }

  /** Deletes every retained message whose topic has a problem; returns the topics deleted, with the problem. */
  purge(topicProblem: (topic: string) => string | undefined): Array<{ topic: string; problem: string }> {
    const purged: Array<{ topic: string; problem: string }> = [];
    for (const topic of this.byTopic.keys()) {
      const problem = topicProblem(topic);
      if (problem === undefined) continue;
      purged.push({ topic, problem });
      this.byTopic.delete(topic);
      this.dirty.delete(topic);
      this.stageWrite(topic);
    }
    return purged;
  }

  /** Stages what is deferred now (before a clean stop). */
  writeDeferred(): void {
    clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    for (const topic of this.slice.splice(0)) this.stageWrite(topic);
    for (const topic of this.dirty) this.stageWrite(topic);
    this.dirty.clear();
  }

  private defer(ms: number): void {
    this.deferTimer = setTimeout(() => {
      this.deferTimer = undefined;
      this.writeSlice();
    }, ms);
    this.deferTimer.unref();
  }

  /**
   * Stages the next slice of deferred writes, then waits a little for the next: with 10,000 changing
   * tags, one batch of every row held the event loop for tens of milliseconds.
   * A round goes in topic order, the order of the table's B-tree: a slice then rewrites a run of
   * neighbouring pages instead of a row on nearly every page. In the order the values came, each row
   * cost 4–5 times as many bytes written to the WAL and the database at 10,000 tags (9–12 times at
   * 50,000), a commit took two to three times as long, and an SD card wears by what is written. The sort
   * takes 3–6 ms a round at 10,000 topics and 27–40 ms at 50,000 (plant-like names of 60 characters).
   * JavaScript orders UTF-16 code units and SQLite UTF-8 bytes; they differ only past U+D7FF, which costs
   * locality, not correctness.
   */
  private writeSlice(): void {
    if (this.slice.length === 0) {
      this.slice = [...this.dirty].sort();
      this.dirty.clear();
    }
    for (const topic of this.slice.splice(0, SLICE_ROWS)) this.stageWrite(topic);
    if (this.slice.length > 0) this.defer(SLICE_GAP_MS);
    else if (this.dirty.size > 0) this.defer(this.deferMs);
  }

  private stageWrite(topic: string): void {
    const entry = this.byTopic.get(topic);
    if (!entry) {
      this.writer.stage(() => this.remove.run(topic));
      return;
    }
    entry.deferred = false;
    const { seq } = entry;
    this.writer.stage(() => {
      // A later store of the same topic in this batch supersedes this one.
      if (this.byTopic.get(topic) !== entry || entry.seq !== seq) return;
      const encoded = encodePacket(toPacket(entry));
      this.upsert.run(topic, encoded.payload, encoded.meta);
    }, undefined, rowBytes(entry.bytes.length, topic));
  }

  /**
   * The retained messages of `patterns` as they are now, for a new subscription (aedes creates the stream once
   * the subscription is in place). The stream is read as the subscriber takes it, so it walks the live map: a
   * value stored after it started (a publish the subscriber gets live, as aedes stores a retained message
   * before routing it) is skipped, or the subscriber would get that same message a second time. A topic that
   * matches several of the patterns comes once.
   */
  stream(patterns: readonly string[]): Readable {
    const retained = this.byTopic;
    const startedAt = this.stores;
    const everything = patterns.includes('#');
    const matcher = new QlobberTrue(MATCH_OPTIONS);
    for (const pattern of patterns) matcher.add(pattern);
    function* matching(): Generator<StoredPacket> {
      for (const [topic, entry] of retained) if (entry.seq <= startedAt && (everything || matcher.test(topic))) yield toPacket(entry);
    }
    return Readable.from(matching());
  }
}
