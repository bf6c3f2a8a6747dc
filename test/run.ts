/**
 * npm test: every test file under test/ through node:test (Node 20 has no --test globs), on SQLite.
 * Arguments narrow the run to files whose path contains one of them: npm test -- idempotency audit
 *
 * With RAMPART_TEST_DATABASE_URL=postgres://... only the files that exercise the database run (on PostgreSQL),
 * since the others do the same on either; `--all` runs every file anyway. A file exercises the database when it
 * imports test/helpers/db.ts or test/helpers/app.ts (every test database and test Rampart comes from there), or
 * says so with a line `// test-database: yes` near its top (one that reaches a database some other way).
 *
 * Fails when a test fails, when no file matches, and when no test ran at all.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureConsoleBuilt } from './helpers/console-build.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' || name === 'helpers' ? [] : findTests(path);
    return name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const DATABASE_HELPER = /^import\s+(?!type\b)[^;]*from\s+'\.\.\/helpers\/(db|app)\.js'/m;
const DATABASE_MARKER = /^\/\/ test-database: yes$/m;

/** Whether a test file exercises the database (see the header). */
function exercisesDatabase(source: string): boolean {
  return DATABASE_HELPER.test(source) || DATABASE_MARKER.test(source);
}

const args = process.argv.slice(2);
const all = args.includes('--all');
const filters = args.filter((a) => a !== '--all');
const onPostgres = Boolean(process.env.RAMPART_TEST_DATABASE_URL);
const matching = findTests(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const files = onPostgres && !all ? matching.filter((f) => exercisesDatabase(readFileSync(join(root, f), 'utf8'))) : matching;
if (files.length === 0) {
  console.error(`no test files match ${JSON.stringify(filters)}${onPostgres && !all ? ' among those that exercise the database' : ''}`);
  process.exit(1);
}
const skipped = matching.length - files.length;
console.log(
  `running ${files.length} test files against ${onPostgres ? 'PostgreSQL' : 'SQLite'}` +
    (skipped ? ` (${skipped} database-independent files left out: they ran on SQLite; --all runs them too)` : ''),
);

// The tests start `rampart` (bin/rampart.js) as users do, from the compiled build: compile it when src/ changed.
execFileSync(process.execPath, ['scripts/build-server.js', '--if-stale'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

// The browser tests drive the built console: built here, once, when its sources changed since the last build.
if (files.some((f) => f.startsWith('test/browser/'))) ensureConsoleBuilt();

// The spec reporter for people, and a TAP copy whose summary says how many tests ran.
const tapDir = mkdtempSync(join(tmpdir(), 'rampart-test-run-'));
const tapFile = join(tapDir, 'results.tap');
const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx', '--test', '--test-concurrency=2',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: process.env },
);
const ran = testsRun(tapFile);
printSlowest(tapFile, 12);
rmSync(tapDir, { recursive: true, force: true });
if (result.status === 0 && ran === 0) {
  console.error('no test ran: every file was empty, skipped everything, or failed to load');
  process.exit(1);
}
process.exit(result.status ?? 1);

/** The "# tests N" line of the TAP summary, less the skipped ones; 0 when there is none. */
function testsRun(file: string): number {
  let tap = '';
  try {
    tap = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  return count('tests') - count('skipped') - count('todo');
}

/** The slowest top-level suites, so the run's time budget (CI's 40 minutes) shows where it goes. */
function printSlowest(file: string, count: number): void {
  let tap = '';
  try {
    tap = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const suites = [...tap.matchAll(/^(?:not )?ok \d+ - (.*)\n  ---\n  duration_ms: ([\d.]+)$/gm)]
    .map((m) => ({ name: m[1]!, ms: Number(m[2]) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count);
  if (suites.length === 0) return;
  console.log(`slowest suites:\n${suites.map((t) => `  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.name}`).join('\n')}`);
}
