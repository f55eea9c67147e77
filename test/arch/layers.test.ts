import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../src');

interface SourceFile {
  readonly file: string;
  readonly layer: string;
  readonly imports: string[];
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

function read(file: string): SourceFile {
  const text = fs.readFileSync(file, 'utf8');
  const imports = [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => (m[1] ?? m[2])!);
  return { file, layer: path.relative(SRC, file).split(path.sep)[0]!, imports };
}

function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return path.resolve(path.dirname(from), spec) + '.ts';
}

const files = sourceFiles(SRC).map(read);

describe('architecture: layer rules of ARCHITECTURE.md', () => {
  it('the domain imports only other domain files: no node:, inversify, timers, clock or randomness', () => {
    for (const f of files.filter((x) => x.layer === 'domain')) {
      for (const spec of f.imports) {
        const target = resolveLocal(f.file, spec);
        expect(target, `${f.file} imports ${spec}`).to.not.equal(undefined);
        expect(path.relative(SRC, target!).startsWith('domain'), `${f.file} imports ${spec}`).to.equal(true);
      }
      const text = fs.readFileSync(f.file, 'utf8');
      expect(text, f.file).to.not.match(/Date\.now\(|Math\.random\(|setTimeout\(|setInterval\(|console\.|process\./);
    }
  });

  it('the application imports only the domain, itself and inversify; no sockets, files or console', () => {
    for (const f of files.filter((x) => x.layer === 'application')) {
      for (const spec of f.imports) {
        const target = resolveLocal(f.file, spec);
        if (!target) {
          expect(spec, `${f.file} imports ${spec}`).to.equal('inversify');
          continue;
        }
        const layer = path.relative(SRC, target).split(path.sep)[0];
        expect(['domain', 'application'], `${f.file} imports ${spec}`).to.include(layer);
      }
      const text = fs.readFileSync(f.file, 'utf8');
      expect(text, f.file).to.not.match(/Date\.now\(|Math\.random\(|setTimeout\(|console\.|process\./);
    }
  });

  it('an adapter imports no other adapter (except the shared wire codec) and never the composition', () => {
    for (const f of files.filter((x) => x.layer === 'adapters')) {
      const own = path.relative(path.join(SRC, 'adapters'), f.file).split(path.sep)[0];
      for (const spec of f.imports) {
        const target = resolveLocal(f.file, spec);
        if (!target) continue;
        const rel = path.relative(SRC, target).split(path.sep);
        expect(rel[0], `${f.file} imports ${spec}`).to.not.equal('composition');
        if (rel[0] === 'adapters') expect([own, 'wire'], `${f.file} imports ${spec}`).to.include(rel[1]);
      }
    }
  });

  it('has no index.ts barrels and no circular imports', () => {
    expect(files.filter((f) => path.basename(f.file) === 'index.ts')).to.deep.equal([]);
    const graph = new Map(files.map((f) => [f.file, f.imports.map((s) => resolveLocal(f.file, s)).filter((t): t is string => t !== undefined && fs.existsSync(t))]));
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, stack: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'visiting') {
        cycles.push([...stack.slice(stack.indexOf(node)), node].map((p) => path.relative(SRC, p)).join(' -> '));
        return;
      }
      state.set(node, 'visiting');
      for (const next of graph.get(node) ?? []) visit(next, [...stack, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).to.deep.equal([]);
  });
});
