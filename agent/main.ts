// The compute agent (nova-compute): `npx tsx agent/main.ts`, configured by STRATUS_* variables
// or flags (see agent/config.ts, or run with --help).
import { initLogging } from "@/server/logs/logger";
import { ComputeService } from "./compute-service";
import { ConfigError, HelpRequested, loadConfig, type AgentConfig } from "./config";

function configOrExit(): AgentConfig {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(e.message + "\n");
      process.exit(0);
    }
    const message = e instanceof ConfigError ? e.message : `cannot load configuration: ${e}`;
    process.stderr.write(`stratus-compute: ${message}\n`);
    process.exit(2);
  }
}

const config = configOrExit();
const log = initLogging("stratus-compute", config.host).child({ module: "stratus.compute.main" });
const service = new ComputeService(config);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info(`Caught ${signal}, stopping the compute service`);
  try {
    await service.stop();
  } catch (err) {
    log.error({ err }, "Error while stopping");
  }
  process.exit(0);
}
// A bug in one task must not take down every instance's agent: log it loudly and carry on.
process.on("unhandledRejection", (err) => log.error({ err }, "Unhandled promise rejection"));
process.on("SIGTERM", (s) => void shutdown(s));
process.on("SIGINT", (s) => void shutdown(s));

try {
  await service.start();
  log.info(`Compute service started for host ${config.host}`);
} catch (err) {
  log.fatal({ err }, `Cannot start the compute service on ${config.libvirtUri}`);
  await service.stop().catch(() => undefined);
  process.exit(1);
}
