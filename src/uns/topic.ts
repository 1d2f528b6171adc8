import { topicLevelProblem, topicPathProblem } from '../../schemas/topic-level.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';

/** The ISA-95 parts of a tag's topic `[root/]site/area/asset/tag[/sub…]`. */
export interface TopicPath {
  root?: string | undefined;
  site: string;
  area: string;
  asset: string;
  /** One or more levels: `temperature` or `motor/temperature`. */
  tag: string;
}

/** Prefix of the gateway's own topics. */
const GATEWAY_PREFIX = '_gateway/';

function check(part: string, value: string, problem: string | undefined): void {
  if (problem !== undefined) {
    throw new GatewayError(ErrorCodes.TOPIC_INVALID, `${part} "${value}": ${problem}`, { part, value });
  }
}

function validateTopicPath(path: TopicPath): void {
  if (path.root !== undefined) check('root', path.root, topicPathProblem(path.root));
  check('site', path.site, topicLevelProblem(path.site));
  check('area', path.area, topicLevelProblem(path.area));
  check('asset', path.asset, topicLevelProblem(path.asset));
  check('tag', path.tag, topicPathProblem(path.tag));
}

export function buildTopic(path: TopicPath): string {
  validateTopicPath(path);
  const levels = [path.site, path.area, path.asset, path.tag];
  if (path.root !== undefined) levels.unshift(path.root);
  return levels.join('/');
}

/** Splits a topic into its ISA-95 parts under `root`; throws when it does not fit. */
export function parseTopic(topic: string, root?: string): TopicPath {
  let rest = topic;
  if (root !== undefined) {
    if (!topic.startsWith(`${root}/`)) {
      throw new GatewayError(ErrorCodes.TOPIC_INVALID, `topic "${topic}" is not under root "${root}"`, { topic });
    }
    rest = topic.slice(root.length + 1);
  }
  const [site, area, asset, ...tag] = rest.split('/');
  if (site === undefined || area === undefined || asset === undefined || tag.length === 0) {
    throw new GatewayError(ErrorCodes.TOPIC_INVALID, `topic "${topic}" has fewer than site/area/asset/tag levels`, {
      topic,
    });
  }
  const path: TopicPath = { root, site, area, asset, tag: tag.join('/') };
  validateTopicPath(path);
  return path;
}

export function gatewayStatusTopic(gatewayId: string): string {
  return `${GATEWAY_PREFIX}${gatewayId}/status`;
}

export function deviceStatusTopic(gatewayId: string, device: string): string {
  return `${GATEWAY_PREFIX}${gatewayId}/devices/${device}/status`;
}
