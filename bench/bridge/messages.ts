/**
 * The messages every phase sends: topics under bench/ (the filter the bridges forward) spread over 1,000
 * tags, and a 60-byte JSON payload that carries a sequence number at a fixed place, and optionally the
 * publisher's clock, so that a subscriber can count, order and time them without parsing JSON.
 */
export const FORWARD_FILTER = 'bench/#';
export const PAYLOAD_BYTES = 60;
const TAGS = 1000;
const SEQ_AT = 7;
const SEQ_DIGITS = 10;
const SENT_AT = SEQ_AT + SEQ_DIGITS + ',"t":'.length;
const SENT_DIGITS = 16;

/** `root` other than bench: a topic no bridge forwards. */
export function topicOf(seq: number, root = 'bench'): string {
  return `${root}/area/asset/tag${seq % TAGS}`;
}

/**
 * `{"seq":        42,"t":       1234.5678,"v":21.5,"q":"good"}` padded to 60 bytes (numbers space-padded); `t` is
 * performance.now() at publish (0 when not timed).
 */
export function payloadOf(seq: number, sentAt = 0): Buffer {
  const seqText = String(seq).padStart(SEQ_DIGITS, ' ');
  const atText = sentAt.toFixed(4).padStart(SENT_DIGITS, ' ');
  const json = `{"seq":${seqText},"t":${atText},"v":21.5,"q":"good"`;
  return Buffer.from(`${json.padEnd(PAYLOAD_BYTES - 1, ' ')}}`, 'latin1');
}

export function seqOf(payload: Buffer): number {
  return Number(payload.toString('latin1', SEQ_AT, SEQ_AT + SEQ_DIGITS));
}

export function sentAtOf(payload: Buffer): number {
  return Number(payload.toString('latin1', SENT_AT, SENT_AT + SENT_DIGITS));
}
