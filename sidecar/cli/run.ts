/** `soc-assistant run [--config config.yaml] [--once]`: the main job. Exits on SIGINT/SIGTERM after a clean shutdown. */
import { configureLogging } from "../telemetry/log.ts";
import { loadConfig } from "../config/load.ts";
import { Service } from "../service.ts";
import { parse, UserError } from "./args.ts";

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: "string" }, once: { type: "boolean" } }, "run");
  const config = loadConfig(values.config ?? "config.yaml");
  configureLogging(config.logging);
  let service: Service;
  try {
    service = new Service(config);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (values.once) {
    await service.start({ once: true });
    await service.shutdown();
    return 0;
  }
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      void service.shutdown().then(resolve);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  try {
    await service.start();
  } catch (e) {
    await service.shutdown();
    throw new UserError((e as Error).message);
  }
  await stopped;
  return 0;
}
