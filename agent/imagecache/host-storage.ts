// Assembles one host's instance storage from the agent's configuration: the paths under the
// instances path, the shared lock files, the image cache fed by the controller's image service,
// and its periodic cache pass. The compute service wires `storage` into the compute manager.
import type { AgentConfig } from "../config";
import type { InstanceStorage } from "../storage";
import { ImageCacheManager } from "./cache-manager";
import { CachePaths } from "./cache-paths";
import { FileLocks } from "./file-lock";
import { ImageCache } from "./image-cache";
import { ControllerImageSource, type ImageSource } from "./image-source";
import { ImageCacheStorage } from "./instance-storage";

export interface HostStorage {
  storage: InstanceStorage;
  cache: ImageCache;
  cacheManager: ImageCacheManager;
}

type StorageConfig = Pick<
  AgentConfig,
  "controllerUrl" | "host" | "token" | "instancesPath" | "imageCacheIntervalMs" | "removeUnusedOriginalMinimumAgeMs" | "imageDownloadStallMs"
>;

export function createHostStorage(config: StorageConfig, source?: ImageSource): HostStorage {
  const paths = new CachePaths(config.instancesPath);
  const locks = new FileLocks(paths.lockDir);
  const cache = new ImageCache({
    paths,
    locks,
    source:
      source ??
      new ControllerImageSource({
        controllerUrl: config.controllerUrl,
        host: config.host,
        token: config.token,
        stallTimeoutMs: config.imageDownloadStallMs,
      }),
  });
  const cacheManager = new ImageCacheManager({
    paths,
    cache,
    locks,
    minimumAgeMs: config.removeUnusedOriginalMinimumAgeMs,
    intervalMs: config.imageCacheIntervalMs,
  });
  return { storage: new ImageCacheStorage(paths, cache), cache, cacheManager };
}
