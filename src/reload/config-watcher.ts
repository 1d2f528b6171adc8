import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Watches the folders of the configuration's files and calls `changed` once the files have been quiet for
 * `debounceMs`: editors and copies write a file in several steps (truncate, write, rename), and a
 * half-written file must not be loaded. Folders, not files: an editor that saves by renaming replaces
 * the file a watch would follow, and a new mapping file matching a `*` appears beside the others.
 */
export class ConfigWatcher {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly changed: () => void,
    private debounceMs: number,
  ) {}

  /** Watches the folders of `files` (again, after a reload that changed them). */
  watch(files: readonly string[], debounceMs: number): void {
    this.close();
    this.debounceMs = debounceMs;
    for (const folder of new Set(files.map((file) => dirname(file)))) {
      const watcher = watch(folder, (_event, name) => {
        if (name === null || /\.ya?ml$/i.test(name)) this.poke();
      });
      watcher.on('error', () => undefined);
      this.watchers.push(watcher);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }

  private poke(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed();
    }, this.debounceMs);
    this.timer.unref();
  }
}
