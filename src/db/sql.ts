// Our own statements, beside Prisma, for the paths that run per event and per delivery (the queue,
// recording events). Prisma costs about a millisecond of CPU per statement here; a prepared
// statement on the same connection costs tens of microseconds.
//
// Statements name their parameters (:now) and are prepared once per text. On SQLite they run on
// the very connection Prisma's adapter uses (one connection; better-sqlite3 is synchronous), so a
// gate keeps our transactions and Prisma's interactive transactions from interleaving: each waits
// for the other, and Prisma's statements outside a transaction wait while one of ours is open. On
// PostgreSQL they run on the pool Prisma's adapter shares, as named prepared statements.
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import type { Provider } from './client.ts';
import { resolveEach, type Outcome } from './together.ts';

export type Row = Record<string, unknown>;

/**
 * A time as a statement parameter: epoch milliseconds in SQLite (client.ts stores dates so), an
 * ISO timestamp for PostgreSQL's timestamptz.
 */
export function timeParam(provider: Provider, ms: number): number | string {
  return provider === 'sqlite' ? ms : new Date(ms).toISOString();
}

/** A time read back from either database (epoch ms in SQLite, a Date from PostgreSQL) as epoch ms. */
export function epochMs(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  return Number(value);
}

export interface SqlRunner {
  /** The rows a statement returns (SELECT or RETURNING); [] for one that returns none. */
  query(template: string, params?: Record<string, unknown>): Promise<Row[]>;
  /**
   * The statement once per row, the row's fields its parameters (then `shared`'s), and what each
   * returns, in order. For SQLite, where a statement per row costs less than one over a JSON array
   * (queue-sql.ts): the rows run one after the other in the same turn, the statement prepared once.
   */
  queryEach(template: string, rows: readonly Row[], shared?: Row): Promise<Row[]>;
}

/** queryEach over query: a statement per row, one after the other. */
async function eachInTurn(runner: Pick<SqlRunner, 'query'>, template: string, rows: readonly Row[], shared: Row): Promise<Row[]> {
  const returned: Row[] = [];
  for (const row of rows) for (const one of await runner.query(template, { ...shared, ...row })) returned.push(one);
  return returned;
}

/** What runs raw statements in Prisma: the client or an interactive transaction's client. */
export interface RawQueries {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/**
 * Our statements inside a Prisma transaction on PostgreSQL (the paths that are not hot keep
 * Prisma's). SQLite needs none: Prisma's transaction is on our connection (SqliteSql.held).
 */
export function prismaRunner(client: RawQueries): SqlRunner {
  const runner: SqlRunner = {
    query: (template, params = {}) => client.$queryRawUnsafe<Row[]>(...bind('numbered', template, params)),
    queryEach: (template, rows, shared = {}) => eachInTurn(runner, template, rows, shared),
  };
  return runner;
}

export interface TransactionOptions {
  /**
   * Commit without waiting for the log to reach the disk (PostgreSQL's synchronous_commit off; on
   * SQLite, whose commits in WAL mode never wait for the disk, nothing changes). A crash of the
   * database server can lose the last fraction of a second of such commits, never a part of one:
   * only for what is safe to do again, like recording attempts (the delivery is then sent again).
   */
  lazyCommit?: boolean;
  /**
   * PostgreSQL plans each statement for its parameters and the tables as they are now, instead of
   * reusing the plan it cached for the connection (plan_cache_mode force_custom_plan). For
   * statements that join a few rows by id to a table that grows from empty: a plan cached while
   * the table was small reads all of it (a hash join), and keeps doing so as it grows, until the
   * table's statistics are next gathered. Planning costs tens of microseconds per statement.
   */
  planEachTime?: boolean;
}

export interface Sql extends SqlRunner {
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

interface Compiled {
  text: string;
  /** The parameter of each placeholder, in order. */
  names: string[];
}

/**
 * :name → ? (SQLite) or $n (PostgreSQL, the same number for a repeated name). "::type" casts
 * are left alone.
 */
export function compile(template: string, placeholders: 'question' | 'numbered'): Compiled {
  const names: string[] = [];
  const text = template.replace(/(?<!:):([A-Za-z]\w*)/g, (_match, name: string) => {
    if (placeholders === 'question') {
      names.push(name);
      return '?';
    }
    let index = names.indexOf(name);
    if (index < 0) index = names.push(name) - 1;
    return `$${index + 1}`;
  });
  return { text, names };
}

/** A statement and its values, for Prisma's $queryRawUnsafe. */
export function bind(placeholders: 'question' | 'numbered', template: string, params: Record<string, unknown>): [string, ...unknown[]] {
  const compiled = compile(template, placeholders);
  return [compiled.text, ...valuesOf(compiled, params, (value) => value)];
}

function valuesOf(compiled: Compiled, params: Record<string, unknown>, convert: (value: unknown) => unknown, shared: Record<string, unknown> = {}): unknown[] {
  return compiled.names.map((name) => {
    if (name in params) return convert(params[name]);
    if (name in shared) return convert(shared[name]);
    throw new Error(`no value for :${name}`);
  });
}

/** Who holds the SQLite connection's transaction: nobody, a Prisma transaction or one of ours. */
type Holder = 'prisma' | 'ours';

/** A fair lock over the one SQLite connection's transaction. */
export class TransactionGate {
  #holder: Holder | null = null;
  #waiting: Array<{ holder: Holder; resolve: () => void }> = [];
  #ourTransactionEnded: Array<() => void> = [];

  get holder(): Holder | null {
    return this.#holder;
  }

  async acquire(holder: Holder): Promise<() => void> {
    if (this.#holder === null && this.#waiting.length === 0) this.#holder = holder;
    else await new Promise<void>((resolve) => this.#waiting.push({ holder, resolve }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (this.#holder === 'ours') for (const resolve of this.#ourTransactionEnded.splice(0)) resolve();
      const next = this.#waiting.shift();
      this.#holder = next ? next.holder : null;
      next?.resolve();
    };
  }

  /** Resolves once none of our transactions holds the connection. */
  async outsideOurTransaction(): Promise<void> {
    while (this.#holder === 'ours') await new Promise<void>((resolve) => this.#ourTransactionEnded.push(resolve));
  }
}

function sqliteValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  return value;
}

/** Transactions one SQLite commit carries at most. */
const MAX_GROUP = 64;

interface Queued {
  fn: (tx: SqlRunner) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface SqliteSql extends Sql {
  /**
   * The statements inside a transaction the caller already holds on this connection (one of
   * Prisma's): they run on the connection at once, as that transaction's own statements do.
   */
  held: SqlRunner;
}

export function createSqliteSql(connection: BetterSqlite3.Database, gate: TransactionGate): SqliteSql {
  const statements = new Map<string, { compiled: Compiled; statement: BetterSqlite3.Statement }>();
  const begin = connection.prepare('BEGIN IMMEDIATE');
  const commit = connection.prepare('COMMIT');
  const rollback = connection.prepare('ROLLBACK');
  const savepoint = connection.prepare('SAVEPOINT member');
  const releaseSavepoint = connection.prepare('RELEASE member');
  const rollbackToSavepoint = connection.prepare('ROLLBACK TO member');

  function prepare(template: string) {
    let prepared = statements.get(template);
    if (!prepared) {
      const compiled = compile(template, 'question');
      // The adapter turns 64-bit integers on for the connection; ours are all well within 2^53.
      prepared = { compiled, statement: connection.prepare(compiled.text).safeIntegers(false) };
      statements.set(template, prepared);
    }
    return prepared;
  }

  function run(template: string, params: Record<string, unknown>): Row[] {
    const { compiled, statement } = prepare(template);
    const values = valuesOf(compiled, params, sqliteValue);
    if (statement.reader) return statement.all(...values) as Row[];
    statement.run(...values);
    return [];
  }

  function runEach(template: string, rows: readonly Row[], shared: Row): Row[] {
    const { compiled, statement } = prepare(template);
    const returned: Row[] = [];
    for (const row of rows) {
      const values = valuesOf(compiled, row, sqliteValue, shared);
      if (statement.reader) for (const one of statement.all(...values) as Row[]) returned.push(one);
      else statement.run(...values);
    }
    return returned;
  }

  const inTransaction: SqlRunner = {
    query: async (template, params = {}) => run(template, params),
    queryEach: async (template, rows, shared = {}) => runEach(template, rows, shared),
  };

  /**
   * Runs a group of transactions as one: each in a savepoint (one that throws is rolled back
   * alone), all committed together. A commit writes every page it changed to the log, so one
   * commit for many small transactions writes shared pages once and costs a fraction of theirs.
   * When SQLite itself ends the transaction (an I/O error, a full disk), none of the group
   * committed and each is told so.
   */
  async function runGroup(group: readonly Queued[]): Promise<void> {
    const outcomes: Array<Outcome<unknown>> = [];
    const shared = group.length > 1;
    try {
      begin.run();
      for (const member of group) {
        if (shared) savepoint.run();
        try {
          const value = await member.fn(inTransaction);
          if (shared) releaseSavepoint.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          if (!connection.inTransaction) throw error;
          if (shared) {
            rollbackToSavepoint.run();
            releaseSavepoint.run();
          }
          outcomes.push({ ok: false, error });
        }
      }
      if (outcomes.every((outcome) => !outcome.ok)) rollback.run();
      else commit.run();
    } catch (error) {
      if (connection.inTransaction) rollback.run();
      for (const member of group) member.reject(error);
      return;
    }
    resolveEach(group, outcomes);
  }

  const queued: Queued[] = [];
  let draining = false;

  /** Transactions asked for while the connection is busy, or in the same turn of the event loop, share a commit. */
  async function drain(): Promise<void> {
    try {
      while (queued.length > 0) {
        const release = await gate.acquire('ours');
        try {
          await runGroup(queued.splice(0, MAX_GROUP));
        } finally {
          release();
        }
      }
    } finally {
      draining = false;
    }
  }

  /** Outside any transaction it runs at once; otherwise it would land inside that transaction. */
  async function outside<T>(work: () => T): Promise<T> {
    if (gate.holder === null) return work();
    const release = await gate.acquire('ours');
    try {
      return work();
    } finally {
      release();
    }
  }

  return {
    held: inTransaction,
    query: (template, params = {}) => outside(() => run(template, params)),
    queryEach: (template, rows, shared = {}) => outside(() => runEach(template, rows, shared)),
    transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queued.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        if (draining) return;
        draining = true;
        setImmediate(drain);
      });
    },
  };
}

function postgresValue(value: unknown): unknown {
  return value === undefined ? null : value;
}

export function createPostgresSql(pool: pg.Pool): Sql {
  const statements = new Map<string, { compiled: Compiled; name: string }>();

  function prepared(template: string) {
    let found = statements.get(template);
    if (!found) {
      found = { compiled: compile(template, 'numbered'), name: `hw_${statements.size + 1}` };
      statements.set(template, found);
    }
    return found;
  }

  async function run(client: pg.Pool | pg.PoolClient, template: string, params: Record<string, unknown>): Promise<Row[]> {
    const { compiled, name } = prepared(template);
    const result = await client.query({ name, text: compiled.text, values: valuesOf(compiled, params, postgresValue) });
    return result.rows as Row[];
  }

  const sql: Sql = {
    query: (template, params = {}) => run(pool, template, params),
    queryEach: (template, rows, shared = {}) => eachInTurn(sql, template, rows, shared),
    async transaction(fn, options = {}) {
      const client = await pool.connect();
      let broken: unknown;
      try {
        const settings = [
          ...(options.lazyCommit ? ['SET LOCAL synchronous_commit TO OFF'] : []),
          ...(options.planEachTime ? ['SET LOCAL plan_cache_mode TO force_custom_plan'] : []),
        ];
        await client.query(['BEGIN', ...settings].join('; '));
        try {
          const tx: SqlRunner = {
            query: (template, params = {}) => run(client, template, params),
            queryEach: (template, rows, shared = {}) => eachInTurn(tx, template, rows, shared),
          };
          const result = await fn(tx);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch((rollbackError: unknown) => {
            broken = rollbackError;
          });
          throw error;
        }
      } finally {
        // A connection whose rollback failed is not given back to the pool.
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
  };
  return sql;
}
