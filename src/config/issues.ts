import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';

/** One thing wrong with the configuration, located in its file. */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Key path such as `devices[0].tags[3].dataType`; empty for the whole file. */
  path: string;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** `config/mappings/x.yaml:14:7 devices[0].tags[3].name: message` */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

export class ConfigError extends GatewayError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map(formatIssue);
    super(
      ErrorCodes.CONFIG_INVALID,
      `configuration has ${issues.length} error${issues.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
      { issues },
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
