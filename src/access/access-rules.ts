import { covers, intersects, matchesTopic, parsePattern, type Pattern } from './topic-pattern.ts';

/** How a subscription is granted: wholly, only for the topics the rules let through (checked per message), or not at all. */
export type SubscriptionGrant = 'granted' | 'filtered' | 'denied';

/** The names a pattern's %u and %c stand for; undefined when the client has none (an anonymous client has no username). */
export interface PatternVariables {
  username: string | undefined;
  clientId: string;
}

/** Decisions remembered per topic, up to this many; then the memory starts again. */
const DECISION_CACHE_SIZE = 4096;

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

export interface RuleList {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/** Allow and deny topic patterns, with the variables filled in for one client: a deny wins over any allow. */
export class AccessRules {
  private readonly allow: Pattern[];
  private readonly deny: Pattern[];
  private readonly decisions = new Map<string, boolean>();

  constructor(lists: readonly RuleList[], variables: PatternVariables) {
    const expanded = (patterns: readonly string[], kind: 'allow' | 'deny') =>
      patterns.flatMap((pattern) => {
        const levels = expand(pattern, variables, kind);
        return levels === undefined ? [] : [levels];
      });
    this.allow = lists.flatMap((list) => expanded(list.allow, 'allow'));
    this.deny = lists.flatMap((list) => expanded(list.deny, 'deny'));
  }

  /** Whether the rules let every topic through: `#` and `$SYS/#` allowed, nothing denied. */
  allowsEverything(): boolean {
    const has = (pattern: string) => this.allow.some((levels) => levels.join('/') === pattern);
    return this.deny.length === 0 && has('#') && has('$SYS/#');
  }

  /** Whether the rules let `topic` (a topic name) through. */
  allows(topic: string): boolean {
    const known = this.decisions.get(topic);
    if (known !== undefined) return known;
    const levels = topic.split('/');
    const allowed = !this.deny.some((pattern) => matchesTopic(pattern, levels)) && this.allow.some((pattern) => matchesTopic(pattern, levels));
    if (this.decisions.size >= DECISION_CACHE_SIZE) this.decisions.clear();
    this.decisions.set(topic, allowed);
    return allowed;
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
