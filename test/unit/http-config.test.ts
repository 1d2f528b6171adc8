import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../src/config/issues.ts';
import { loadConfig } from '../../src/config/load.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

let dir: TempDir | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

function load(yaml: string) {
  dir = makeTempDir();
  return loadConfig(dir.write('gateway.yaml', `id: gw\nbroker:\n  listeners:\n    - protocol: tcp\n      port: 0\n${yaml}`));
}

function errorsOf(yaml: string): string[] {
  try {
    load(yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => formatIssue(issue).replaceAll(`${dir?.path}/`, ''));
  }
  throw new Error('config loaded without error');
}

describe('the http: section', () => {
  it('defaults to /metrics, the probes and the web console on loopback port 9180', () => {
    expect(load('').gateway.http).toEqual({ enabled: true, host: '127.0.0.1', port: 9180, metrics: true, console: true });
    expect(load('http:\n  port: 0\n  metrics: false\n  console: false\n').gateway.http).toEqual({ enabled: true, host: '127.0.0.1', port: 0, metrics: false, console: false });
  });

  it('names file:line:col of a bad port and an unknown key', () => {
    expect(errorsOf('http:\n  port: 70000\n  metric: true\n')).toEqual([
      expect.stringMatching(/^gateway\.yaml:7:9 http\.port: Too big: expected number to be <=65535/),
      expect.stringMatching(/^gateway\.yaml:8:3 http\.metric: unknown key/),
    ]);
  });
});
