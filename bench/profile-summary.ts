// Reads a V8 .cpuprofile (node --cpu-prof) and aggregates self time by function (name + file:line)
// and by area (a package, a src/ file, node internals), optionally only inside a time window on
// the monotonic clock (the bench records each phase's window in its results JSON).
//
//   npx tsx bench/profile-summary.ts <file.cpuprofile> [--from <µs>] [--to <µs>] [--top 15]
//   npx tsx bench/profile-summary.ts --results bench/results/<run>.json [--phase dispatch] [--database sqlite] [--top 15]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { renderTable } from './stats.ts';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  window: { fromUs: number; toUs: number } | null;
  /** Sampled time inside the window, and how much of it was idle, GC, or unattributed (program). */
  totalMs: number;
  idleMs: number;
  gcMs: number;
  programMs: number;
  /** Busy = total − idle; percentages below are of busy time. */
  busyMs: number;
  functions: ProfileEntry[];
  areas: Array<{ area: string; selfMs: number; percent: number }>;
  /** Our own functions (src/) by inclusive time: the time spent in them and everything they called. */
  ours: Array<{ name: string; where: string; totalMs: number; percent: number }>;
}

const REPO = path.resolve(import.meta.dirname, '..');

function shortUrl(url: string): string {
  if (!url) return '';
  let text = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const modules = text.lastIndexOf('/node_modules/');
  if (modules >= 0) return text.slice(modules + 1);
  if (text.startsWith(REPO + '/')) text = text.slice(REPO.length + 1);
  return text;
}

// Our TypeScript runs through tsx, which hands V8 esbuild's output on one line: positions in a
// profile are columns of that. The same transform (tsx's options) gives the same code and a source
// map back to the .ts line.
type Mapper = (line: number, column: number) => number | null;
const mappers = new Map<string, Mapper | null>();
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeMappings(mappings: string): Array<Array<[number, number]>> {
  const lines: Array<Array<[number, number]>> = [];
  let sourceLine = 0;
  for (const text of mappings.split(';')) {
    const segments: Array<[number, number]> = [];
    let column = 0;
    for (const segment of text.split(',')) {
      if (!segment) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0];
      if (values.length >= 4) {
        sourceLine += values[2];
        segments.push([column, sourceLine]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

function mapperFor(file: string): Mapper | null {
  if (mappers.has(file)) return mappers.get(file)!;
  let mapper: Mapper | null = null;
  try {
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const result = esbuild.transformSync(fs.readFileSync(file, 'utf8'), {
      loader: file.endsWith('.tsx') ? 'tsx' : 'ts',
      format: 'esm',
      target: `node${process.versions.node}`,
      sourcemap: true,
      minifyWhitespace: true,
      keepNames: true,
      sourcefile: file,
    });
    const lines = decodeMappings((JSON.parse(result.map) as { mappings: string }).mappings);
    mapper = (line, column) => {
      let found: number | null = null;
      for (const [col, source] of lines[line] ?? []) {
        if (col > column) break;
        found = source;
      }
      return found;
    };
  } catch {
    mapper = null;
  }
  mappers.set(file, mapper);
  return mapper;
}

/** file:line of a frame, with our .ts files mapped back to their source lines (1-based). */
function locate(frame: CallFrame): string {
  const url = shortUrl(frame.url);
  if (!url) return '';
  if (/^(src|bench|test)\/.*\.tsx?$/.test(url)) {
    const line = mapperFor(path.join(REPO, url))?.(frame.lineNumber, frame.columnNumber);
    if (line !== null && line !== undefined) return `${url}:${line + 1}`;
    return `${url}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`;
  }
  return `${url}:${frame.lineNumber + 1}`;
}

function areaOf(frame: CallFrame): string {
  const url = shortUrl(frame.url);
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native / V8 builtins)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url.startsWith('wasm://')) return 'wasm (the Prisma query compiler, the one wasm module loaded)';
  if (url.startsWith('node_modules/')) {
    const parts = url.split('/');
    return parts[1].startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1];
  }
  return url;
}

export function summarizeProfile(file: string, options: { fromUs?: number; toUs?: number; top?: number } = {}): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const inclusive = new Map<string, { name: string; where: string; us: number }>();
  const oursOf = new Map<number, string[]>();
  /** The distinct src/ frames on a node's stack, as keys into `inclusive`. */
  const ourStack = (id: number): string[] => {
    const known = oursOf.get(id);
    if (known) return known;
    const keys = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = frames.get(at)!;
      if (!shortUrl(frame.url).startsWith('src/')) continue;
      const where = locate(frame);
      const name = frame.functionName || '(anonymous)';
      const key = `${name}\u0000${where}`;
      if (!inclusive.has(key)) inclusive.set(key, { name, where, us: 0 });
      keys.add(key);
    }
    const list = [...keys];
    oursOf.set(id, list);
    return list;
  };
  const from = options.fromUs ?? -Infinity;
  const to = options.toUs ?? Infinity;
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let gc = 0;
  let program = 0;
  let at = profile.startTime;
  const times: number[] = [];
  for (const delta of profile.timeDeltas) times.push((at += delta));
  for (let i = 0; i < profile.samples.length; i += 1) {
    const t = times[i];
    if (t < from || t > to) continue;
    // A sample stands for the time until the next one.
    const us = i + 1 < times.length ? times[i + 1] - t : 0;
    if (us <= 0) continue;
    const frame = frames.get(profile.samples[i])!;
    total += us;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    if (frame.functionName === '(garbage collector)') gc += us;
    if (frame.functionName === '(program)') program += us;
    const where = locate(frame);
    const name = frame.functionName || '(anonymous)';
    const key = `${name}\u0000${where}`;
    const entry = byFunction.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    const area = areaOf(frame);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    for (const key of ourStack(profile.samples[i])) inclusive.get(key)!.us += us;
  }
  const busy = total - idle;
  const pct = (us: number) => (busy > 0 ? Number(((us / busy) * 100).toFixed(1)) : 0);
  const ms = (us: number) => Number((us / 1000).toFixed(1));
  const top = options.top ?? 15;
  return {
    file: path.relative(REPO, file),
    window: Number.isFinite(from) || Number.isFinite(to) ? { fromUs: from, toUs: to } : null,
    totalMs: ms(total),
    idleMs: ms(idle),
    gcMs: ms(gc),
    programMs: ms(program),
    busyMs: ms(busy),
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, selfMs: ms(e.us), percent: pct(e.us) })),
    areas: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, selfMs: ms(us), percent: pct(us) })),
    ours: [...inclusive.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, totalMs: ms(e.us), percent: pct(e.us) })),
  };
}

export function renderSummary(summary: ProfileSummary): string {
  const head = `${summary.file}: ${summary.totalMs} ms sampled, ${summary.busyMs} ms busy (idle ${summary.idleMs} ms, GC ${summary.gcMs} ms, (program) ${summary.programMs} ms)`;
  const functions = renderTable([
    ['#', 'self ms', '% busy', 'function', 'where'],
    ...summary.functions.map((e, i) => [String(i + 1), e.selfMs.toFixed(1), e.percent.toFixed(1), e.name, e.where]),
  ]);
  const areas = renderTable([['self ms', '% busy', 'area'], ...summary.areas.map((a) => [a.selfMs.toFixed(1), a.percent.toFixed(1), a.area])]);
  const ours = renderTable([
    ['total ms', '% busy', 'our function (inclusive)', 'where'],
    ...summary.ours.map((e) => [e.totalMs.toFixed(1), e.percent.toFixed(1), e.name, e.where]),
  ]);
  return `${head}\n\nTop functions by self time:\n${functions}\n\nBy area (self time):\n${areas}\n\nOur code by inclusive time (it and all it calls):\n${ours}`;
}

/** The main thread's profile among those a process wrote (the largest one: tsx's loader thread writes a small one). */
export function mainProfileIn(dir: string): string | null {
  if (!fs.existsSync(dir)) return null;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f));
  if (!files.length) return null;
  return files.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
}

interface ResultsFile {
  databases: Record<string, { phases: Record<string, { cost?: { window: { startUs: number; endUs: number }; serviceLabel: string } }>; profiles?: Record<string, string> }>;
}

function cli(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      top: { type: 'string', default: '15' },
      results: { type: 'string' },
      phase: { type: 'string', default: 'dispatch' },
      database: { type: 'string' },
    },
  });
  const top = Number(values.top);
  if (values.results) {
    const results = JSON.parse(fs.readFileSync(values.results, 'utf8')) as ResultsFile;
    for (const [database, db] of Object.entries(results.databases)) {
      if (values.database && values.database !== database) continue;
      const cost = db.phases[values.phase!]?.cost;
      const profile = cost && db.profiles?.[cost.serviceLabel];
      if (!cost || !profile) {
        process.stderr.write(`${database}: no profile for phase ${values.phase}\n`);
        continue;
      }
      console.log(`== ${database} / ${values.phase} ==`);
      console.log(renderSummary(summarizeProfile(path.resolve(REPO, profile), { fromUs: cost.window.startUs, toUs: cost.window.endUs, top })));
    }
    return;
  }
  if (positionals.length !== 1) {
    process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [--from µs] [--to µs] [--top n] | --results <json> [--phase p] [--database d]\n');
    process.exitCode = 2;
    return;
  }
  console.log(
    renderSummary(
      summarizeProfile(positionals[0], {
        fromUs: values.from ? Number(values.from) : undefined,
        toUs: values.to ? Number(values.to) : undefined,
        top,
      }),
    ),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) cli(process.argv.slice(2));
