import { createInterface } from 'node:readline';
import { hashPassword } from '../broker/passwords.ts';

/** Prints the hash to put in access.users[].password; reads the password from standard input. */
export async function passwdCommand(): Promise<number> {
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const lines = createInterface({ input: process.stdin });
  const password = await new Promise<string | undefined>((resolve) => {
    lines.once('line', resolve);
    lines.once('close', () => resolve(undefined));
  });
  lines.close();
  if (!password) {
    process.stderr.write('no password given on standard input\n');
    return 1;
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}
