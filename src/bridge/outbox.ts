import type { BatchWriter } from '../store/batch-writer.ts';
import type { SqliteDatabase } from '../store/database.ts';
import { BacklogRing } from './backlog-ring.ts';

export interface OutboxEntry {
  seq: number;
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** When it was appended (ms since the epoch). */
  at: number;
}

export type DropReason = 'maxMessages' | 'maxSizeMB' | 'maxAgeS';

export interface OutboxBounds {
  maxMessages: number;
  maxBytes: number;
  maxAgeMs: number;
  /** latest: a waiting message is replaced by a newer one on its topic. */
  mode: 'history' | 'latest';
}

/** Newest messages kept in memory too, while the sender is near them, so that it sends live values without reading them back. */
const RECENT_MAX = 8192;
/** Rows read from the database at once while draining a backlog, whatever the sender asks for. */
const READ_AHEAD = 1024;
/** About what a row costs beyond its topic and payload, for the store's space keeper. */
const ROW_OVERHEAD = 40;

/**
 * One bridge's store-and-forward queue, in the `bridge_outbox` table. Appends go into the store's group
 * commit (the same batches as everything else the store writes); a message leaves only when the upstream
 * acknowledged it (`acknowledge`) or a bound drops it, the oldest first, counted by bound.
 */
export class BridgeOutbox {
  readonly drops: Record<DropReason, number> = { maxMessages: 0, maxSizeMB: 0, maxAgeS: 0 };
  private readonly ring: BacklogRing;
  /** The newest entries, contiguous, ending at the head; `recentStart` is the index of the first live one. */
  private recent: OutboxEntry[] = [];
  private recentStart = 0;
  /** The highest sequence number handed out by `read` since the last `rewind`: those may be in flight. */
  private readUpTo: number;
  /** Every message up to this sequence number has its row committed; a read past it first commits. */
  private committedSeq: number;
  /** latest mode: replacements staged and not committed yet (a read from the database would miss them). */
  private uncommittedReplaces = 0;
  /** Rows read from the database ahead of the sender, contiguous. */
  private ahead: OutboxEntry[] = [];
  /** latest mode: the sequence number of each topic's waiting message. */
  private readonly waitingByTopic = new Map<string, number>();
  private readonly insert;
  private readonly update;
  private readonly deleteBelow;
  private readonly select;

  constructor(
    db: SqliteDatabase,
    private readonly writer: BatchWriter,
    readonly name: string,
    private readonly bounds: OutboxBounds,
    private readonly dropped: (reason: DropReason, count: number) => void,
  ) {
    this.insert = db.prepare('INSERT INTO bridge_outbox (bridge, seq, topic, payload, retain, at) VALUES (?, ?, ?, ?, ?, ?)');
    this.update = db.prepare('UPDATE bridge_outbox SET payload = ?, retain = ?, at = ? WHERE bridge = ? AND seq = ?');
    this.deleteBelow = db.prepare('DELETE FROM bridge_outbox WHERE bridge = ? AND seq < ?');
    this.select = db.prepare('SELECT seq, topic, payload, retain, at FROM bridge_outbox WHERE bridge = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.ring = this.load(db);
    this.readUpTo = this.ring.floor - 1;
    this.committedSeq = this.ring.head - 1;
  }

  /** Messages waiting (sent and unacknowledged ones included). */
  get depth(): number {
    return this.ring.count;
  }

  get bytes(): number {
    return this.ring.bytes;
  }

  /** When the oldest waiting message was appended; undefined when none waits. */
  oldestAt(): number | undefined {
    return this.ring.oldestAt();
  }

  /** The sequence number of the oldest waiting message (the next one appended when none waits). */
  get floor(): number {
    return this.ring.floor;
  }

  append(topic: string, payload: Buffer, retain: boolean, at = Date.now()): void {
    const size = Buffer.byteLength(topic) + payload.length;
    if (this.bounds.mode === 'latest' && this.replaceWaiting(topic, payload, retain, size, at)) return;
    const seq = this.ring.push(size, at);
    this.remember({ seq, topic, payload, retain, at });
    if (this.bounds.mode === 'latest') this.waitingByTopic.set(topic, seq);
    this.stage(
      () => this.insert.run(this.name, seq, topic, payload, retain ? 1 : 0, at),
      size,
      () => {
        this.committedSeq = seq;
      },
    );
    this.enforceBounds();
  }

  /**
   * Up to `limit` waiting messages after sequence number `after`, in order (from the oldest waiting one
   * when `after` was dropped meanwhile).
   */
  read(after: number, limit: number): OutboxEntry[] {
    const from = Math.max(after + 1, this.ring.floor);
    if (from >= this.ring.head || limit <= 0) return [];
    const first = this.recent[this.recentStart]?.seq ?? this.ring.head;
    let entries: OutboxEntry[];
    if (from >= first) {
      const start = this.recentStart + (from - first);
      entries = this.recent.slice(start, start + limit);
    } else {
      entries = this.readStored(from, Math.min(limit, first - from), first);
    }
    const last = entries.at(-1);
    if (last !== undefined && last.seq > this.readUpTo) this.readUpTo = last.seq;
    return entries;
  }

  /** Messages from `from` on that are no longer in memory: from the rows read ahead, else from the database. */
  private readStored(from: number, limit: number, recentFirst: number): OutboxEntry[] {
    const aheadFirst = this.ahead[0]?.seq;
    if (aheadFirst === undefined || from < aheadFirst || from >= aheadFirst + this.ahead.length) {
      // Only rows still staged (inserted or replaced) need a commit before the read; the rest of the lane waits.
      const needed = Math.min(from + READ_AHEAD, recentFirst) - 1;
      if (this.committedSeq < needed || this.uncommittedReplaces > 0) this.writer.flush();
      const rows = this.select.all(this.name, from - 1, Math.max(limit, READ_AHEAD)) as Array<{ seq: number; topic: string; payload: Buffer; retain: number; at: number }>;
      this.ahead = rows.map((row) => ({ seq: row.seq, topic: row.topic, payload: row.payload, retain: row.retain === 1, at: row.at }));
    }
    const start = from - (this.ahead[0]?.seq ?? from);
    return this.ahead.slice(start, start + limit);
  }

  /** Whether a message after `after` waits. */
  hasAfter(after: number): boolean {
    return Math.max(after + 1, this.ring.floor) < this.ring.head;
  }

  /** Nothing read is in flight any more (a new connection): the next read starts after `after`. */
  rewind(after: number): void {
    this.readUpTo = after;
  }

  /** The upstream acknowledged every message up to `seq`: they leave the outbox. */
  acknowledge(seq: number): void {
    if (seq < this.ring.floor) return;
    this.ring.shiftTo(seq);
    this.stageDelete();
  }

  /** Drops the messages older than maxAgeS. */
  expire(now = Date.now()): void {
    const cutoff = now - this.bounds.maxAgeMs;
    let count = 0;
    for (let at = this.ring.oldestAt(); at !== undefined && at < cutoff; at = this.ring.oldestAt()) {
      this.ring.shift();
      count++;
    }
    this.noteDrops('maxAgeS', count);
  }

  private replaceWaiting(topic: string, payload: Buffer, retain: boolean, size: number, at: number): boolean {
    const seq = this.waitingByTopic.get(topic);
    if (seq === undefined || seq <= this.readUpTo || seq < this.ring.floor) return false;
    this.ring.replace(seq, size, at);
    const first = this.recent[this.recentStart]?.seq;
    const entry = first === undefined || seq < first ? undefined : this.recent[this.recentStart + (seq - first)];
    if (entry !== undefined) Object.assign(entry, { payload, retain, at });
    const aheadFirst = this.ahead[0]?.seq;
    const read = aheadFirst === undefined || seq < aheadFirst ? undefined : this.ahead[seq - aheadFirst];
    if (read !== undefined) Object.assign(read, { payload, retain, at });
    this.uncommittedReplaces++;
    this.stage(() => this.update.run(payload, retain ? 1 : 0, at, this.name, seq), size, () => {
      this.uncommittedReplaces--;
    });
    this.enforceBounds();
    return true;
  }

  private enforceBounds(): void {
    let count = 0;
    while (this.ring.count > this.bounds.maxMessages) {
      this.ring.shift();
      count++;
    }
    this.noteDrops('maxMessages', count);
    count = 0;
    while (this.ring.bytes > this.bounds.maxBytes && this.ring.count > 0) {
      this.ring.shift();
      count++;
    }
    this.noteDrops('maxSizeMB', count);
  }

  private noteDrops(reason: DropReason, count: number): void {
    if (count === 0) return;
    this.drops[reason] += count;
    this.stageDelete();
    this.dropped(reason, count);
  }

  private stageDelete(): void {
    // The floor as it is now: a later append is staged after this delete and must survive it.
    const floor = this.ring.floor;
    this.stage(() => this.deleteBelow.run(this.name, floor), 0);
  }

  private stage(op: () => void, size: number, committed?: () => void): void {
    this.writer.stage(op, committed, size + ROW_OVERHEAD);
  }

  /**
   * Keeps a new message in memory while the sender reads near the head, where it will take it from
   * memory. A sender far behind (or none: the upstream is away) reads from the database anyway, and
   * messages kept meanwhile would only be held long enough to age into the old heap as garbage.
   */
  private remember(entry: OutboxEntry): void {
    if (this.readUpTo < entry.seq - RECENT_MAX) {
      if (this.recent.length > 0) {
        this.recent = [];
        this.recentStart = 0;
      }
      return;
    }
    this.recent.push(entry);
    if (this.recent.length - this.recentStart > RECENT_MAX) this.trimRecent();
  }

  private trimRecent(): void {
    this.recentStart = this.recent.length - RECENT_MAX;
    if (this.recentStart >= RECENT_MAX) {
      this.recent = this.recent.slice(this.recentStart);
      this.recentStart = 0;
    }
  }

  /** The ring of sizes and times (and, in latest mode, the waiting topics) from what a previous run left. */
  private load(db: SqliteDatabase): BacklogRing {
    const latest = this.bounds.mode === 'latest';
    const rows = db
      .prepare(`SELECT seq, length(CAST(topic AS BLOB)) + length(payload) AS size, at${latest ? ', topic' : ''} FROM bridge_outbox WHERE bridge = ? ORDER BY seq`)
      .iterate(this.name) as IterableIterator<{ seq: number; size: number; at: number; topic?: string }>;
    let ring: BacklogRing | undefined;
    for (const row of rows) {
      ring ??= new BacklogRing(row.seq);
      // A gap (none is ever written) is held as an empty message, so that sequence numbers stay contiguous.
      while (ring.head < row.seq) ring.push(0, row.at);
      ring.push(row.size, row.at);
      if (row.topic !== undefined) this.waitingByTopic.set(row.topic, row.seq);
    }
    return ring ?? new BacklogRing(1);
  }
}
