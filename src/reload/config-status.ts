import type { ConfigDiff } from './config-diff.ts';

/** What started a reload. */
export type ReloadTrigger = 'start' | 'watch' | 'signal' | 'command';

/**
 * The retained `_gateway/<id>/config/status`: what the last reload did, and which configuration runs
 * (since when, and its files' hash), so that an engineer sees at once whether an edit was taken.
 */
export interface ConfigStatus {
  state: 'running' | 'applied' | 'rejected' | 'restart-required';
  trigger: ReloadTrigger;
  timestamp: number;
  running: { hash: string; since: number; files: string[] };
  /** `rejected`: every problem, as `file:line:col key: message`. */
  errors?: string[];
  /** `applied`: what changed. */
  changes?: Omit<ConfigDiff, 'restartRequired'>;
  /** `restart-required`: the settings that changed and need a restart. */
  restartRequired?: string[];
}

export const configStatusTopic = (gatewayId: string) => `_gateway/${gatewayId}/config/status`;
