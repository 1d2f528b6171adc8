/**
 * A bench's options from its command line: the options, or, after `--help` (the usage on stdout) or a bad
 * option (the error and the usage on stderr), the exit code to end with.
 */
export function optionsOrExitCode<T>(parse: (argv: string[]) => T | null, usage: string): { options: T } | { exitCode: number } {
  let options: T | null;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return { exitCode: 2 };
  }
  if (options === null) {
    process.stdout.write(`${usage}\n`);
    return { exitCode: 0 };
  }
  return { options };
}
