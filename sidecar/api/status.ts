/** The body of `GET /api/v1/status`, as the composition root fills it. */
import type { RunReport } from "../pipeline/run-once.ts";
import type { Retrainer } from "../training/retrainer.ts";

export interface JobStatus {
  running: boolean;
  /** The job in flight, or the last one. */
  current: { id: string; started_at: string; request: Record<string, unknown> } | null;
  last: { id: string; started_at: string; finished_at: string; ok: boolean; result?: unknown; error?: string } | null;
}

export interface ScheduleStatus {
  cron: string;
  runs: number;
  skipped: number;
  running: boolean;
  next_run: string | null;
}

export interface SidecarStatus {
  ready: boolean;
  /** Why not ready (component: reason and fix), or null. */
  reason: string | null;
  model: { name: string; version: string | null; kind: "supervised"; runtime: string | null; feature_schema: string | null; problem: string | null };
  /** Per source (search name, or `file`): its checkpoint, or null before the first commit. */
  checkpoints: Record<string, unknown>;
  /** Per source: seconds between its last run's start and the end of the window it scored (Splunk), or null. */
  lag_seconds: Record<string, number | null>;
  /** Newest first, at most 10. */
  last_runs: Omit<RunReport, "top">[];
  schedule: { scoring: ScheduleStatus; retraining?: ScheduleStatus };
  /** The retraining in flight (one at a time) and the last outcome. */
  retrain: ReturnType<Retrainer["status"]>;
  backfill: JobStatus;
  /** What works but degrades a guarantee, with the fix (e.g. HEC gives no acks); ready stays true. */
  warnings: string[];
}
