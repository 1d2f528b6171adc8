/** Scrapes a gateway's /metrics on an interval, as Prometheus does, and counts what it got. */
export class Scraper {
  scrapes = 0;
  failures = 0;
  bytes = 0;
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly port: number, everyMs: number) {
    this.timer = setInterval(() => (this.running = this.once()), everyMs);
    this.running = this.once();
  }

  /** Stops scraping, once the scrape in progress is done. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async once(): Promise<void> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/metrics`);
      const text = await response.text();
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      this.scrapes++;
      this.bytes += text.length;
    } catch {
      this.failures++;
    }
  }
}
