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
  if (values.once) {
    try {
      const ok = await sidecar.start({ once: true }).catch((e: unknown) => {
        if (e instanceof StateLockError) throw new UserError(e.message);
        throw e;
      });
      const reason = ok ? null : sidecar.notReadyReason();
      if (!ok) process.stderr.write(`soc-assistant: the run did not complete${reason ? `: ${reason}` : "; see the log above"}\n`);
      return ok ? 0 : 1;
    } finally {
      await sidecar.shutdown();
    }
  }
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      void sidecar.shutdown().then(resolve);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  try {
    await sidecar.start();
  } catch (e) {
    await sidecar.shutdown();
    throw new UserError((e as Error).message);
  }
  await stopped;
  return 0;
}
