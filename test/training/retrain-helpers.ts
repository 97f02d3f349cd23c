/** Shared by the retraining tests: labeled flows with event times, and a retrainer over a temp registry. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelEvent } from "../../sidecar/contract/index.ts";
import type { ArchitectureConfig, TrainingConfig } from "../../sidecar/registry/metadata.ts";
import { ModelHolder } from "../../sidecar/scoring/holder.ts";
import type { NetEvent } from "../../sidecar/sources/event.ts";
import { ModelEventLog } from "../../sidecar/training/model-events.ts";
import { Retrainer } from "../../sidecar/training/retrainer.ts";

const architecture: ArchitectureConfig = { hidden: [{ units: 8, activation: "relu", dropout: 0 }], learning_rate: 0.02 };
const training: TrainingConfig = { epochs: 8, batch_size: 64, validation_fraction: 0.2, patience: 5, class_weights: true, seed: 7 };

/** Flows whose label is a rule of transport and bytes; `time` ascends. Older rows' labels shuffled when asked. */
export function flows(rows: number, opts: { shuffleOlder?: boolean; seed?: number; t0?: number } = {}): NetEvent[] {
  let s = opts.seed ?? 12345;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const events: NetEvent[] = Array.from({ length: rows }, (_, i) => {
    const transport = r() < 0.5 ? "udp" : "tcp";
    const bytes = Math.floor(Math.exp(r() * 12));
    const label = transport === "udp" && bytes > 3000 ? 1 : 0;
    return { fields: { transport, bytes_out: bytes, duration: Number((r() * 10).toFixed(3)) }, label, time: (opts.t0 ?? 1_700_000_000) + i, origin: { kind: "file", file: "flows", line: i + 1, raw: `${i}` } };
  });
  if (opts.shuffleOlder) {
    const older = events.slice(0, Math.floor(rows * 0.8));
    const labels = older.map((e) => e.label);
    for (let i = labels.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [labels[i], labels[j]] = [labels[j]!, labels[i]!];
    }
    older.forEach((e, i) => (e.label = labels[i]));
  }
  return events;
}

export function setup(mode: "worker" | "inline" = "inline") {
  const dir = mkdtempSync(join(tmpdir(), "retrain-"));
  const holder = new ModelHolder({ registryDir: dir, name: "m", backend: "wasm", workers: 0 });
  const sent: ModelEvent[] = [];
  const retrainer = new Retrainer({
    name: "m",
    registryDir: dir,
    backend: "wasm",
    spec: (data) => {
      if (!data) throw new Error("no data");
      return { data, feedback: null, registryDir: dir, name: "m", architecture, training, holdoutFraction: 0.2, minRows: 100 };
    },
    rule: { metric: "pr_auc", tolerance: 0.005, benignHighTolerance: 0.01 },
    promote: (v, actor) => holder.promote(v, actor),
    events: new ModelEventLog(dir, (e) => {
      sent.push(e);
      return Promise.resolve();
    }),
    keepVersions: 10,
    mode,
  });
  return { dir, holder, retrainer, sent };
}

