/** One line of the bench table: a figure, its same-run baseline and their ratio. */
export interface BenchRow {
  readonly section: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  /** What was measured as the physical limit in this run, in the same unit. */
  readonly baseline?: number;
  readonly baselineLabel?: string;
  /** value / baseline (or baseline / value for rates, so > 1 always means "slower than raw"). */
  readonly ratio?: number;
  readonly target?: string;
  /** Whether the target was met; undefined when the line has no target. */
  readonly met?: boolean;
  readonly note?: string;
}

export interface SectionResult {
  readonly id: number;
  /** Shown after the number: '' for the stores and logger the chatapp command runs, 'm' for in-memory stores and no logger. */
  readonly tag?: string;
  readonly title: string;
  /** Which stores and logger the section's nodes used (every section says). */
  readonly setup: string;
  readonly rows: BenchRow[];
  readonly notes: string[];
  readonly seconds: number;
  readonly error?: string;
}

function fmt(value: number | undefined, unit = ''): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : abs >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit ? `${text} ${unit}` : text;
}

/** The whole run as a fixed-width text table. */
export function formatTable(sections: readonly SectionResult[]): string {
  const header = ['#', 'figure', 'value', 'raw baseline (same run)', 'ratio', 'target', 'ok'];
  // A failed section's line is printed whole, outside the columns, so its message does not widen them.
  const lines: Array<string[] | string> = [];
  for (const s of sections) {
    const key = `${s.id}${s.tag ?? ''}`;
    if (s.error) lines.push(`${key.padEnd(2)}  ${s.title}: FAILED: ${s.error}`);
    for (const r of s.rows) {
      lines.push([
        key,
        r.figure,
        fmt(r.value, r.unit),
        r.baseline === undefined ? '-' : `${fmt(r.baseline, r.unit)}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`,
        r.ratio === undefined ? '-' : `${fmt(r.ratio)}×`,
        r.target ?? '',
        r.met === undefined ? '' : r.met ? 'yes' : 'NO',
      ]);
    }
  }
  const cells = lines.filter((l): l is string[] => typeof l !== 'string');
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((l) => l[i]!.length)));
  const row = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [row(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const l of lines) out.push(typeof l === 'string' ? l : row(l));
  out.push('', 'Stores and logger of each section:', ...sections.map((s) => `  [${s.id}${s.tag ?? ''}] ${s.setup}`));
  const notes = sections.flatMap((s) => s.notes.map((n) => `  [${s.id}${s.tag ?? ''}] ${n}`));
  if (notes.length > 0) out.push('', 'Notes:', ...notes);
  return out.join('\n');
}
