import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/** Run `fn` under the V8 sampling profiler of this thread and write a .cpuprofile (open in Chrome DevTools). */
export async function withCpuProfile<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as Record<string, unknown>))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}
