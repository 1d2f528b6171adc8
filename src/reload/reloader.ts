import { ErrorCodes } from '../../shared/errors.ts';
import { ConfigError, formatIssue } from '../config/issues.ts';
import { loadConfig, type LoadedConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';
import { diffConfigs, isEmptyDiff, type ConfigDiff } from './config-diff.ts';
import { configFiles, configHash } from './config-hash.ts';
import type { ConfigStatus, ReloadTrigger } from './config-status.ts';
import { ConfigWatcher } from './config-watcher.ts';

/** What a reload changes in the running gateway. */
export interface ReloadTargets {
  /** Applies a change of the mappings (never called with settings that need a restart). */
  apply(next: LoadedConfig, diff: ConfigDiff): Promise<void>;
  publishStatus(status: ConfigStatus): Promise<void>;
}

/**
 * Takes a changed configuration while the gateway runs: on a change to its files (debounced), SIGHUP, or
 * `uns-gateway reload`. The new configuration is validated in full first; a bad one leaves the running
 * one in place. Changes that need a restart are reported and nothing of that reload is applied; a
 * mapping change is applied by `targets`. Every outcome is logged and published on the config status.
 * Reloads run one after the other.
 */
export class Reloader {
  private running: LoadedConfig;
  private hash: string;
  private since = Date.now();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly watcher: ConfigWatcher;
  private stopped = false;

  constructor(
    running: LoadedConfig,
    private readonly targets: ReloadTargets,
    private readonly log: Logger,
  ) {
    this.running = running;
    this.hash = configHash(running);
    this.watcher = new ConfigWatcher(() => void this.reload('watch'), running.gateway.reload.debounceMs);
  }

  get config(): LoadedConfig {
    return this.running;
  }

  async start(): Promise<void> {
    this.watchFiles();
    await this.publish({ state: 'running', trigger: 'start' });
  }

  stop(): void {
    this.stopped = true;
    this.watcher.close();
  }

  /** Loads the configuration again and applies what changed; resolves with the status published. */
  reload(trigger: ReloadTrigger): Promise<ConfigStatus | undefined> {
    const next = this.queue.then(() => (this.stopped ? undefined : this.run(trigger)));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(trigger: ReloadTrigger): Promise<ConfigStatus | undefined> {
    let next: LoadedConfig;
    try {
      next = loadConfig(this.running.file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const errors = error.issues.map(formatIssue);
      this.log.error({ code: ErrorCodes.CONFIG_REJECTED, trigger, errors }, 'configuration change rejected; the running configuration stays');
      return this.publish({ state: 'rejected', trigger, errors });
    }
    const hash = configHash(next);
    if (hash === this.hash && trigger === 'watch') return undefined;
    const diff = diffConfigs(this.running, next);
    if (diff.restartRequired.length > 0) {
      this.log.warn({ code: ErrorCodes.CONFIG_RESTART_REQUIRED, trigger, restartRequired: diff.restartRequired }, 'configuration change needs a restart; nothing of it was applied');
      return this.publish({ state: 'restart-required', trigger, restartRequired: diff.restartRequired });
    }
    this.log.level = next.gateway.log.level;
    if (!isEmptyDiff(diff)) await this.targets.apply(next, diff);
    this.running = next;
    this.hash = hash;
    this.since = Date.now();
    this.watchFiles();
    const { restartRequired: _none, ...changes } = diff;
    this.log.info({ trigger, ...changes }, 'configuration reloaded');
    return this.publish({ state: 'applied', trigger, changes });
  }

  private watchFiles(): void {
    const settings = this.running.gateway.reload;
    if (settings.watch && !this.stopped) this.watcher.watch(configFiles(this.running), settings.debounceMs);
    else this.watcher.close();
  }

  private async publish(outcome: Omit<ConfigStatus, 'timestamp' | 'running'>): Promise<ConfigStatus> {
    const status: ConfigStatus = { ...outcome, timestamp: Date.now(), running: { hash: this.hash, since: this.since, files: [this.running.file, ...this.running.mappingFiles] } };
    await this.targets.publishStatus(status).catch((error: unknown) => {
      this.log.error({ err: (error as Error).message }, 'config status publish failed');
    });
    return status;
  }
}
