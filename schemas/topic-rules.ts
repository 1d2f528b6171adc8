/**
 * MQTT 3.1.1 rules for topic names and topic filters, as strings (the UTF-8 well-formedness of the bytes
 * they came from is checked where the packet is parsed, see packet-guard.ts).
 */

/** The most levels a topic or filter may have: aedes' own ceiling, which its matchers are safe up to. */
const MAX_TOPIC_LEVELS = 100;

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const NUL = 0x00;

/** Why `topic` cannot be the topic of a PUBLISH (or a will), or undefined when it can. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'the topic is empty [MQTT-4.7.3-1]';
  let levels = 1;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === SLASH) levels++;
    else if (c === PLUS || c === HASH) return 'a topic name holds a wildcard [MQTT-3.3.2-2]';
    else if (c === NUL) return 'the topic holds U+0000 [MQTT-1.5.3-2]';
  }
  return levels > MAX_TOPIC_LEVELS ? `the topic has more than ${MAX_TOPIC_LEVELS} levels` : undefined;
}

/** Why `filter` cannot be a SUBSCRIBE or UNSUBSCRIBE topic filter, or undefined when it can. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'the topic filter is empty [MQTT-4.7.3-1]';
  const last = filter.length - 1;
  let levels = 1;
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c === SLASH) levels++;
    if (c === NUL) return 'the topic filter holds U+0000 [MQTT-1.5.3-2]';
    const alone = (i === 0 || filter.charCodeAt(i - 1) === SLASH) && (i === last || filter.charCodeAt(i + 1) === SLASH);
    if (c === PLUS && !alone) return '"+" must fill a whole level [MQTT-4.7.1-3]';
    if (c === HASH && (!alone || i !== last)) return '"#" must be the last level, alone [MQTT-4.7.1-2]';
  }
  return levels > MAX_TOPIC_LEVELS ? `the topic filter has more than ${MAX_TOPIC_LEVELS} levels` : undefined;
}
