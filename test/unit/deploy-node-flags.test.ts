import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startNodeFlags } from '../../bench/shared/start-flags.ts';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

describe("the deployments' node flags", () => {
  it("are npm start's: the Docker image's entry point and the systemd unit's default", () => {
    const start = startNodeFlags(root.pathname, 'start');
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1] ?? '[]') as string[];
    expect(entrypoint).toEqual(['node', ...start, '/opt/uns-gateway/bin/uns-gateway.js']);
    const unitFlags = /^Environment=UNS_GATEWAY_NODE_FLAGS=(.*)$/m.exec(read('deploy/uns-gateway.service'))?.[1] ?? '';
    expect(unitFlags.split(' ').filter((flag) => flag !== '')).toEqual(start);
  });
});
