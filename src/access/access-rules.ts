import { covers, intersects, parsePattern, type Pattern } from './topic-pattern.ts';

/** How a subscription is granted: wholly, only for the topics the rules let through (checked per message), or not at all. */
export type SubscriptionGrant = 'granted' | 'filtered' | 'denied';

/** The names a pattern's %u and %c stand for; undefined when the client has none (an anonymous client has no username). */
export interface PatternVariables {
  username: string | undefined;
  clientId: string;
}

/**
 * A value fit to stand for a whole pattern level or part of one: a name holding "/", "+" or "#" would
 * widen the pattern (client id "+" turning `clients/%c/#` into `clients/+/#`), so it stands for nothing.
 */
const usable = (value: string | undefined): value is string => value !== undefined && value !== '' && !/[/+#]/.test(value);

/**
 * `pattern` with its variables filled in. An allow pattern whose variable has no usable value allows
 * nothing (undefined); a deny pattern's level holding one becomes "+", so that it denies more, never less.
 */
function expand(pattern: string, variables: PatternVariables, kind: 'allow' | 'deny'): Pattern | undefined {
  if (!pattern.includes('%')) return parsePattern(pattern);
  const levels: string[] = [];
  for (const level of parsePattern(pattern)) {
    let unusable = false;
    const filled = level.replaceAll(/%[uc]/g, (variable) => {
      const value = variable === '%u' ? variables.username : variables.clientId;
      if (!usable(value)) unusable = true;
      return value ?? '';
    });
    if (!unusable) levels.push(filled);
    else if (kind === 'allow') return undefined;
    else levels.push('+');
  }
  return levels;
}

const DOLLAR = 0x24;
/** Up to this many literal levels under one level are compared in place; more are looked up in a map. */
const FEW_LITERALS = 8;

/**
 * Patterns merged level by level into a tree, so that a topic is matched against all of them in one walk
 * down its levels: the cost grows with the topic's depth and the wildcards met on the way, not with the
 * number of patterns, and nothing is remembered per topic. It matches as MQTT matches each pattern alone
 * (test/helpers/topic-match.ts is the reference it is tested against).
 */
class PatternTree {
  private readonly literal = new Map<string, PatternTree>();
  /** The literal levels as an array, compared in place while there are few: no substring made per topic level. */
  private literals: Array<[string, PatternTree]> | undefined = [];
  private plus: PatternTree | undefined;
  /** A pattern ends here: it matches topics of exactly this many levels. */
  private end = false;
  /** A pattern ends here with "#": it matches topics of this many levels or more. */
  private rest = false;

  constructor(patterns: readonly Pattern[] = []) {
    for (const pattern of patterns) this.add(pattern, 0);
  }

  private add(pattern: Pattern, from: number): void {
    const level = pattern[from];
    if (level === undefined) this.end = true;
    else if (level === '#') this.rest = true;
    else if (level === '+') (this.plus ??= new PatternTree()).add(pattern, from + 1);
    else {
      let next = this.literal.get(level);
      if (next === undefined) {
        this.literal.set(level, (next = new PatternTree()));
        this.literals = this.literal.size <= FEW_LITERALS ? [...this.literal] : undefined;
      }
      next.add(pattern, from + 1);
    }
  }

  /** Whether some pattern matches `topic` (a topic name). */
  matches(topic: string): boolean {
    // As in MQTT matching [MQTT-4.7.2-1], a wildcard first level does not reach topics starting with "$".
    return this.walk(topic, 0, topic.charCodeAt(0) !== DOLLAR);
  }

  /** The level starting at `start` and those below it; past the end of `topic` when all levels are matched. */
  private walk(topic: string, start: number, wildcards: boolean): boolean {
    if (this.rest && wildcards) return true;
    if (start > topic.length) return this.end;
    const slash = topic.indexOf('/', start);
    const end = slash < 0 ? topic.length : slash;
    const next = this.literalAt(topic, start, end);
    if (next !== undefined && next.walk(topic, end + 1, true)) return true;
    return wildcards && this.plus !== undefined && this.plus.walk(topic, end + 1, true);
  }

  /** The subtree of the literal level `topic[start, end)`, if a pattern has it. */
  private literalAt(topic: string, start: number, end: number): PatternTree | undefined {
    const literals = this.literals;
    if (literals === undefined) return this.literal.get(topic.slice(start, end));
    for (const [level, next] of literals) if (level.length === end - start && topic.startsWith(level, start)) return next;
    return undefined;
  }
}

export interface RuleList {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/** Allow and deny topic patterns, with the variables filled in for one client: a deny wins over any allow. */
export class AccessRules {
  private readonly allow: Pattern[];
  private readonly deny: Pattern[];
  private readonly allowTree: PatternTree;
  private readonly denyTree: PatternTree;

  constructor(lists: readonly RuleList[], variables: PatternVariables) {
    const expanded = (patterns: readonly string[], kind: 'allow' | 'deny') =>
      patterns.flatMap((pattern) => {
        const levels = expand(pattern, variables, kind);
        return levels === undefined ? [] : [levels];
      });
    this.allow = lists.flatMap((list) => expanded(list.allow, 'allow'));
    this.deny = lists.flatMap((list) => expanded(list.deny, 'deny'));
    this.allowTree = new PatternTree(this.allow);
    this.denyTree = new PatternTree(this.deny);
  }

  /** Whether the rules let every topic through: `#` and `$SYS/#` allowed, nothing denied. */
  allowsEverything(): boolean {
    const has = (pattern: string) => this.allow.some((levels) => levels.join('/') === pattern);
    return this.deny.length === 0 && has('#') && has('$SYS/#');
  }

  /** Whether the rules let `topic` (a topic name) through. */
  allows(topic: string): boolean {
    return !this.denyTree.matches(topic) && this.allowTree.matches(topic);
  }

  /** How a subscription to `filter` is granted. */
  subscription(filter: string): SubscriptionGrant {
    const levels = parsePattern(filter);
    if (this.deny.some((pattern) => covers(pattern, levels))) return 'denied';
    if (!this.allow.some((pattern) => intersects(pattern, levels))) return 'denied';
    const whole = this.allow.some((pattern) => covers(pattern, levels)) && !this.deny.some((pattern) => intersects(pattern, levels));
    return whole ? 'granted' : 'filtered';
  }
}
