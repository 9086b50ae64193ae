/**
 * The scoring log in a PostgreSQL table instead of a file: the same lines
 * (scoring-log.ts), inserted in batches by one connection in the background.
 * Recording a line is a push onto a bounded queue — it never waits for the database, so
 * a slow or stopped server never slows a request; when the queue is full, new lines are
 * dropped and counted (a sample is a sample), which bounds memory however long the
 * database stays away. A failed batch is kept and retried with growing pauses; the
 * connection is made again as needed. pg loads on first use, so a service that logs to a
 * file never loads it.
 *
 *   CREATE TABLE scoring_log (time timestamptz NOT NULL, model text NOT NULL,
 *                             features jsonb NOT NULL, probability double precision NOT NULL);
 */
import { pgConnection, quoteTable, redact, type Env } from '../../core/index.ts';
import type { ScoringLogLine } from './scoring-log.ts';

export interface PostgresScoringLogOptions {
  table: string;
  env?: Env;
  /** Lines held while the database is slow or away; more are dropped. */
  maxQueue?: number;
  /** Lines per INSERT. */
  batchRows?: number;
  /** A partial batch is written this long after its first line. */
  flushMs?: number;
  /** Longest pause between retries after a failure. */
  maxBackoffMs?: number;
  /** Told (without secrets) when writing starts failing, recovers, or drops lines. */
  onEvent?: (event: 'failing' | 'recovered' | 'dropping', detail: string) => void;
}

export interface ScoringLogStats {
  written: number;
  dropped: number;
  queued: number;
  failures: number;
}

interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'error', fn: (e: Error) => void): void;
}

export class PostgresScoringLog {
  private readonly queue: ScoringLogLine[] = [];
  private readonly opts: Required<Omit<PostgresScoringLogOptions, 'env' | 'onEvent'>> &
    Pick<PostgresScoringLogOptions, 'env' | 'onEvent'>;
  private client: PgClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private backoff = 0;
  private failing = false;
  private dropNoticeAt = 0;
  private closed = false;
  private readonly stats_: ScoringLogStats = { written: 0, dropped: 0, queued: 0, failures: 0 };
  private readonly insert: string;

  constructor(opts: PostgresScoringLogOptions) {
    this.opts = { maxQueue: 10_000, batchRows: 500, flushMs: 1000, maxBackoffMs: 30_000, ...opts };
    const table = quoteTable(opts.table);
    // One statement per batch: four arrays unnested into rows.
    this.insert = `INSERT INTO ${table} (time, model, features, probability) SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::jsonb[], $4::float8[])`;
  }

  /** Queues a line; O(1), never waits. */
  write(line: ScoringLogLine): void {
    if (this.closed) return;
    if (this.queue.length >= this.opts.maxQueue) {
      this.stats_.dropped++;
      const now = Date.now();
      if (now - this.dropNoticeAt > 60_000) {
        this.dropNoticeAt = now;
        this.opts.onEvent?.(
          'dropping',
          `queue full (${this.opts.maxQueue} lines): ${this.stats_.dropped} dropped so far`,
        );
      }
      return;
    }
    this.queue.push(line);
    if (this.queue.length >= this.opts.batchRows && this.backoff === 0) this.kick(0);
    else this.kick(this.backoff || this.opts.flushMs);
  }

  stats(): ScoringLogStats {
    return { ...this.stats_, queued: this.queue.length };
  }

  /** Writes what is queued (trying for up to `deadlineMs`), then closes the connection. */
  async close(deadlineMs = 5000): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const until = Date.now() + deadlineMs;
    while (this.queue.length > 0 && Date.now() < until) {
      await (this.writing ?? this.flush());
      if (this.queue.length > 0 && this.failing)
        await new Promise((r) => setTimeout(r, Math.min(200, until - Date.now())));
    }
    await this.writing;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  private kick(delay: number): void {
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
    // A pending flush never keeps the process alive; close() writes what is left.
    this.timer.unref();
  }

  private flush(): Promise<void> {
    if (this.writing || this.queue.length === 0) return this.writing ?? Promise.resolve();
    this.writing = this.writeBatch().finally(() => {
      this.writing = null;
      if (!this.closed && this.queue.length > 0)
        this.kick(this.backoff || (this.queue.length >= this.opts.batchRows ? 0 : this.opts.flushMs));
    });
    return this.writing;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.queue.slice(0, this.opts.batchRows);
    const conn = pgConnection(this.opts.env);
    try {
      const client = await this.connected(conn.config);
      await client.query(this.insert, [
        batch.map((l) => l.time),
        batch.map((l) => l.model),
        batch.map((l) => JSON.stringify(l.features)),
        batch.map((l) => l.probability),
      ]);
      this.queue.splice(0, batch.length);
      this.stats_.written += batch.length;
      this.backoff = 0;
      if (this.failing) {
        this.failing = false;
        this.opts.onEvent?.('recovered', `writing to ${this.opts.table} again (${conn.label})`);
      }
    } catch (e) {
      this.stats_.failures++;
      const old = this.client;
      this.client = null;
      void old?.end().catch(() => undefined);
      this.backoff = Math.min(this.opts.maxBackoffMs, Math.max(250, this.backoff * 2));
      if (!this.failing) {
        this.failing = true;
        this.opts.onEvent?.(
          'failing',
          `cannot write to ${this.opts.table} (${conn.label}): ${redact(String((e as Error).message ?? e), conn.secrets)}; retrying, up to ${this.opts.maxQueue} lines are kept`,
        );
      }
    }
  }

  private async connected(config: Record<string, unknown>): Promise<PgClient> {
    if (this.client) return this.client;
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      ...config,
      application_name: 'credit-risk-gitops scoring log',
      connectionTimeoutMillis: 5000,
      query_timeout: 10_000,
    }) as unknown as PgClient;
    client.on('error', () => undefined);
    await client.connect();
    this.client = client;
    return client;
  }
}
