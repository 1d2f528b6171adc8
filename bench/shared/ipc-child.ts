/** A bench child process forked through tsx, spoken to over its IPC channel (plain JSON messages). */
import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import { trackChild } from './cleanup.ts';
import { isAlive } from './process.ts';

export function forkTsx(entry: string, cwd: string, stdio: StdioOptions): ChildProcess {
  return trackChild(fork(entry, [], { cwd, execArgv: ['--import', 'tsx'], stdio }));
}

export function post(child: ChildProcess, message: unknown): void {
  if (child.connected) child.send(message as object);
}

/** Requests over the channel whose answers carry the request's id. */
export class IpcRequests<A> {
  private next = 1;
  private readonly pending = new Map<number, (answer: A) => void>();

  /** `name` as error messages call the child ("simulator process"); `tail` its last output, if kept. */
  constructor(
    private readonly child: ChildProcess,
    private readonly name: string,
    private readonly tail: () => string = () => '',
  ) {}

  /** Posts `message(requestId)`; resolves with the answer handed to `answer` with that id. */
  request(message: (requestId: number) => unknown, timeoutMs: number): Promise<A> {
    return new Promise<A>((resolve, reject) => {
      if (!isAlive(this.child)) {
        const tail = this.tail();
        reject(new Error(`${this.name} is gone${tail ? `\n${tail}` : ''}`));
        return;
      }
      const requestId = this.next++;
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`${this.name} did not answer a request within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(requestId, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      post(this.child, message(requestId));
    });
  }

  answer(requestId: number, value: A): void {
    const done = this.pending.get(requestId);
    this.pending.delete(requestId);
    done?.(value);
  }
}

/** Posts `stopMessage` and waits for the exit; SIGKILL after `timeoutMs`. */
export async function stopIpcChild(child: ChildProcess, stopMessage: unknown, timeoutMs: number): Promise<void> {
  if (!isAlive(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  post(child, stopMessage);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
