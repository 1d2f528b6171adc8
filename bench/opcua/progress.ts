/** A progress line of bench:opcua, on stderr so that the report on stdout stays clean. */
export function progress(message: string): void {
  process.stderr.write(`[bench:opcua] ${message}\n`);
}
