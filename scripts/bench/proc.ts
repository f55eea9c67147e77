import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { nowMs } from './stats';

/**
 * A child process read line by line with the arrival time of each line, for timing what
 * a user would see on the terminal.
 */
export class TimedProcess {
  readonly lines: Array<{ text: string; atMs: number }> = [];
  readonly startedAtMs: number;
  private readonly child: ChildProcessWithoutNullStreams;
  private partial = '';
  private waiters: Array<() => void> = [];
  exitCode: number | null | undefined;
  stderr = '';

  constructor(args: readonly string[], env: Record<string, string> = {}) {
    this.startedAtMs = nowMs();
    // BENCH_CHILD_CPU_PROF=<dir>: each process writes a V8 CPU profile there when it exits
    // (Node refuses --cpu-prof in NODE_OPTIONS, so it goes on the command line).
    const profileDir = process.env['BENCH_CHILD_CPU_PROF'];
    const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...args] : args;
    this.child = spawn(process.execPath, nodeArgs, { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      const at = nowMs();
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop()!;
      for (const text of parts) this.lines.push({ text, atMs: at });
      this.wake();
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.child.on('exit', (code) => {
      this.exitCode = code;
      this.wake();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  /** Resolves with the index of the first line from `from` on that satisfies `match`. */
  async waitLine(match: (text: string) => boolean, from = 0, timeoutMs = 20_000): Promise<number> {
    const deadline = nowMs() + timeoutMs;
    for (;;) {
      for (let i = from; i < this.lines.length; i++) if (match(this.lines[i]!.text)) return i;
      if (this.exitCode !== undefined) throw new Error(`process exited (${this.exitCode}); stdout: ${this.lines.map((l) => l.text).join(' | ')}; stderr: ${this.stderr}`);
      const left = deadline - nowMs();
      if (left <= 0) throw new Error(`timed out waiting for a line; last lines: ${this.lines.slice(-5).map((l) => l.text).join(' | ')}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once `count` lines from `from` on satisfy `match`; returns the time the last arrived. */
  async waitCount(match: (text: string) => boolean, count: number, from = 0, timeoutMs = 20_000): Promise<number> {
    const deadline = nowMs() + timeoutMs;
    for (;;) {
      let n = 0;
      for (let i = from; i < this.lines.length; i++) {
        if (match(this.lines[i]!.text) && ++n === count) return this.lines[i]!.atMs;
      }
      if (this.exitCode !== undefined || nowMs() > deadline) throw new Error(`saw ${n} of ${count} lines; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - nowMs()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resident set size (bytes) from /proc. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
    return kb * 1024;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.exitCode !== undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
