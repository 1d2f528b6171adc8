/** A sample of the Prometheus text format: a series name, its labels, its value. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
const TYPE = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/;

function number(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  if (Number.isNaN(value) && text !== 'NaN') throw new Error(`not a sample value: ${text}`);
  return value;
}

function labels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined || text === '') return out;
  LABEL.lastIndex = 0;
  let end = 0;
  for (let match = LABEL.exec(text); match; match = LABEL.exec(text)) {
    out[match[1] ?? ''] = (match[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    end = LABEL.lastIndex;
  }
  if (end !== text.length) throw new Error(`labels not in the text format: {${text}}`);
  return out;
}

/** A parsed scrape: every sample, and each metric family's type. Throws on a line not in the text format. */
export class Scrape {
  readonly samples: PromSample[] = [];
  readonly types = new Map<string, string>();

  constructor(text: string) {
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ')) continue;
      const type = TYPE.exec(line);
      if (type) {
        this.types.set(type[1] ?? '', type[2] ?? '');
        continue;
      }
      const sample = SAMPLE.exec(line);
      if (!sample) throw new Error(`not a line of the Prometheus text format: ${line}`);
      this.samples.push({ name: sample[1] ?? '', labels: labels(sample[2]), value: number(sample[3] ?? '') });
    }
  }

  /** The samples of `name` whose labels include `match`. */
  find(name: string, match: Record<string, string> = {}): PromSample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(match).every(([key, value]) => s.labels[key] === value));
  }

  /** The value of the one sample of `name` matching `match`; 0 when there is none. */
  value(name: string, match: Record<string, string> = {}): number {
    const found = this.find(name, match);
    if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(match)}`);
    return found[0]?.value ?? 0;
  }
}

/** GETs /metrics from the gateway's HTTP listener and parses it. */
export async function scrape(port: number): Promise<Scrape> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return new Scrape(await response.text());
}

/** Scrapes until `condition` holds on a scrape, or `withinMs` has passed; returns the last scrape. */
export async function scrapeUntil(port: number, condition: (s: Scrape) => boolean, withinMs = 5000): Promise<Scrape> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const s = await scrape(port);
    if (condition(s) || Date.now() > deadline) return s;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
