import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../../src/errors.ts';
import { buildTopic, deviceStatusTopic, gatewayStatusTopic, parseTopic } from '../../src/uns/topic.ts';

describe('TopicPath', () => {
  it('builds site/area/asset/tag with an optional root and tag sub-levels', () => {
    expect(buildTopic({ site: 'plant', area: 'line1', asset: 'pump-101', tag: 'pressure' })).toBe('plant/line1/pump-101/pressure');
    expect(buildTopic({ root: 'acme/uns', site: 'plant', area: 'line1', asset: 'pump-101', tag: 'motor/temperature' })).toBe(
      'acme/uns/plant/line1/pump-101/motor/temperature',
    );
  });

  it('parses a topic back into its parts under a root', () => {
    expect(parseTopic('acme/plant/line1/pump-101/motor/temperature', 'acme')).toEqual({
      root: 'acme',
      site: 'plant',
      area: 'line1',
      asset: 'pump-101',
      tag: 'motor/temperature',
    });
  });

  it.each([
    [{ site: 'pl+ant', area: 'a', asset: 'b', tag: 't' }, 'site "pl+ant": topic level "pl+ant" holds the wildcard "+"'],
    [{ site: 'p', area: 'a#', asset: 'b', tag: 't' }, 'area "a#": topic level "a#" holds the wildcard "#"'],
    [{ site: 'p', area: 'a', asset: 'b/c', tag: 't' }, 'asset "b/c": topic level "b/c" holds "/"'],
    [{ site: 'p', area: 'a', asset: '$b', tag: 't' }, 'asset "$b": topic level "$b" starts with "$"'],
    [{ site: 'p', area: 'a', asset: 'b', tag: 't//u' }, 'tag "t//u": empty topic level'],
    [{ site: 'p', area: 'a', asset: 'b', tag: 't/set' }, 'tag "t/set": level "set" is reserved for write commands'],
    [{ site: 'p', area: 'a', asset: 'b', tag: 'x'.repeat(65) }, `tag "${'x'.repeat(65)}": topic level "xxxxxxxxxxxxxxxx…" is longer than 64 characters`],
  ])('refuses %j', (path, message) => {
    let caught: unknown;
    try {
      buildTopic(path);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    expect((caught as GatewayError).code).toBe(ErrorCodes.TOPIC_INVALID);
    expect((caught as GatewayError).message).toBe(message);
  });

  it('refuses to parse a topic with too few levels or outside the root', () => {
    expect(() => parseTopic('plant/line1/pump')).toThrow('fewer than site/area/asset/tag levels');
    expect(() => parseTopic('other/plant/line1/pump/t', 'acme')).toThrow('is not under root "acme"');
  });

  it('names the gateway status topics', () => {
    expect(gatewayStatusTopic('edge-1')).toBe('_gateway/edge-1/status');
    expect(deviceStatusTopic('edge-1', 'plc-7')).toBe('_gateway/edge-1/devices/plc-7/status');
  });
});
