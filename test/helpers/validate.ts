import { runCli, type CliResult } from './cli.ts';
import type { TempDir } from './temp-dir.ts';

/** Runs `uns-gateway validate` on a config that loads one mapping file with `mapping` in it. */
export function validateCommandOutput(dir: TempDir, mapping: string): Promise<CliResult> {
  dir.write('validate/mappings/generated.yaml', mapping);
  const config = dir.write('validate/gateway.yaml', 'id: check\nmappings:\n  - mappings/generated.yaml\n');
  return runCli(['validate', '--config', config]);
}
