/**
 * `soc-assistant run [--config config.yaml] [--once]`: the main job. Exits on SIGINT/SIGTERM after a clean
 * shutdown. With `--once`, exits 1 when a window could not be scored and committed (or no model can score),
 * so cron and CI see it.
 */
import { configureLogging } from "../telemetry/log.ts";
import { loadConfig } from "../config/load.ts";
import { Sidecar } from "../service/sidecar.ts";
import { StateLockError } from "../pipeline/state-lock.ts";
import { parse, UserError } from "./args.ts";

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: "string" }, once: { type: "boolean" } }, "run");
  const config = loadConfig(values.config ?? "config.yaml");
  configureLogging(config.logging);
  let sidecar: Sidecar;
  try {
    sidecar = new Sidecar(config);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  // First SIGINT/SIGTERM: stop scheduling, let the run in flight finish its window, shut down cleanly. A
  // second: stop that run at its next safe point (between batches; nothing torn, the rest is scored next time).
  let signals = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = () => {
      signals++;
      if (signals === 1) {
        const waiting = sidecar.waitingFor();
        if (waiting) process.stderr.write(`soc-assistant: stopping: waiting for ${waiting} (press Ctrl-C again to stop it at the next safe point)\n`);
        void sidecar.shutdown().then(resolve);
      } else {
        process.stderr.write("soc-assistant: stopping the run in flight at the next safe point; what it did not commit is scored again by the next run\n");
        sidecar.interrupt();
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  if (values.once) {
    try {
      const ok = await sidecar.start({ once: true }).catch((e: unknown) => {
        if (e instanceof StateLockError) throw new UserError(e.message);
        throw e;
      });
      if (signals > 0) {
        process.stderr.write("soc-assistant: interrupted; the checkpoint holds what was committed\n");
        return 130;
      }
      const reason = ok ? null : sidecar.notReadyReason();
      if (!ok) process.stderr.write(`soc-assistant: the run did not complete${reason ? `: ${reason}` : "; see the log above"}\n`);
      return ok ? 0 : 1;
    } finally {
      await sidecar.shutdown();
    }
  }
  try {
    await sidecar.start();
  } catch (e) {
    await sidecar.shutdown();
    throw new UserError((e as Error).message);
  }
  await stopped;
  return 0;
}
