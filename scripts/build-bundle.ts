import { build, type BuildOptions, type Plugin } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLE_WRAPPER } from '../src/composition/run-bundle';

const ROOT = path.resolve(__dirname, '..');

/**
 * The Redis client library and its dependencies (about a quarter of the whole) go to a bundle
 * of their own, dist/bundle/ioredis.js, which only a server started with --redis loads. In the
 * main bundle their source was read, kept as a string and held in memory by every client and
 * every server without Redis: 1.5 MiB of an idle server's resident memory, 0.9 MiB of a
 * client's. Unbundled from node_modules instead, loading ioredis took a --redis server 85 ms.
 */
const IOREDIS_BUNDLE = 'ioredis.js';

const ioredisApart: Plugin = {
  name: 'ioredis-apart',
  setup(b) {
    b.onResolve({ filter: /^ioredis$/ }, () => ({ path: `./${IOREDIS_BUNDLE}`, external: true }));
  },
};

/**
 * The second step of `npm run build`: the `chatapp` command as one file, dist/bundle/chatapp.js,
 * which bin/chatapp.js runs. One file instead of some 500 (inversify alone is ~370 ES modules)
 * is most of the start-up: resolving and compiling them cost more than the whole client does.
 *
 * It bundles tsc's output in dist, not the TypeScript sources: esbuild emits no decorator
 * metadata, and Inversify resolves constructor parameters through it. Every file of dist stays
 * a lazily initialised module inside the bundle, so a module required only where it is used
 * (winston, the server's stores) costs nothing until then. The Redis client library is the
 * exception (see IOREDIS_BUNDLE): a second file beside it.
 */
/** What both bundles are built with. */
const COMMON = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Minified, the source V8 keeps in memory and compiles is less than half: a client holds
  // about 4 MiB less and starts faster. Stack traces then name minified functions; the
  // unbundled build (node dist/composition/cli.js) runs the same code with readable ones.
  minify: true,
  // The dependencies' licence comments go to a .LEGAL.txt file beside each bundle.
  legalComments: 'external',
  logLevel: 'warning',
} as const satisfies BuildOptions;

async function main(): Promise<void> {
  await build({
    ...COMMON,
    stdin: { contents: "module.exports = require('ioredis');", resolveDir: ROOT, sourcefile: 'ioredis-entry.js' },
    outfile: path.join('dist/bundle', IOREDIS_BUNDLE),
  });
  await build({
    ...COMMON,
    entryPoints: { chatapp: 'dist/composition/cli.js' },
    outdir: 'dist/bundle',
    // A native addon: it loads its prebuilt binary from its own folder in node_modules.
    external: ['sodium-native'],
    plugins: [ioredisApart],
    // Selects the no-op build of winston's internal debug channel (@dabh/diagnostics), which
    // otherwise loads a colour library at the first log line; nothing else here reads it.
    define: { 'process.env.NODE_ENV': '"production"' },
    // The file is the CommonJS wrapper function itself (BUNDLE_WRAPPER), which run-bundle.ts
    // compiles as it is: wrapping it at run time made a second copy of the 600 KB source, which
    // stayed resident until a full collection.
    banner: { js: BUNDLE_WRAPPER.head },
    footer: { js: BUNDLE_WRAPPER.tail },
  });
  // The Redis adapters read their Lua scripts beside the running module at run time (see
  // lua-script.ts), and in the bundle that module is dist/bundle/chatapp.js.
  const lua = path.join(ROOT, 'src/adapters/redis');
  for (const file of fs.existsSync(lua) ? fs.readdirSync(lua).filter((f) => f.endsWith('.lua')) : []) {
    fs.copyFileSync(path.join(lua, file), path.join(ROOT, 'dist/bundle', file));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`build-bundle: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
