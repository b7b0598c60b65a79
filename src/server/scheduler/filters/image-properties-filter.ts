// ImagePropertiesFilter (nova/scheduler/filters/image_props_filter.py): when the image names an
// architecture (hw_architecture, else image_properties_default_architecture), a hypervisor type
// (img_hv_type) or a VM mode (hw_vm_mode), the host must advertise a supported_instances triple
// holding every one of them (membership, as Nova tests it), and img_hv_requested_version must be
// satisfied by the host's hypervisor version. Glance's legacy names (architecture,
// hypervisor_type, vm_mode, hypervisor_version_requires) are read too. Results are cached per host.
import { canonicalArchitecture, canonicalHvType, canonicalVmMode } from "./canonical";
import type { HostFilter, PreparedFilter, Reason } from "./types";
import { predicateFilter, reason, staticMemo } from "./types";
import { compileVersionPredicate, hypervisorVersionString } from "./version-predicate";

function prop(image: Readonly<Record<string, string>>, name: string, legacy: string): string | null {
  const v = image[name] ?? image[legacy];
  return v === undefined || v === null || v === "" ? null : String(v);
}

function rejectAll(why: Reason): PreparedFilter {
  return { filter: () => 0, reason: () => why };
}

export const imagePropertiesFilter: HostFilter = {
  name: "ImagePropertiesFilter",
  oncePerRequest: true,
  prepare(req, t, options) {
    const arch = prop(req.image, "hw_architecture", "architecture") ?? options.imagePropertiesDefaultArchitecture;
    const hvType = prop(req.image, "img_hv_type", "hypervisor_type");
    const vmMode = prop(req.image, "hw_vm_mode", "vm_mode");
    const versionSpec = prop(req.image, "img_hv_requested_version", "hypervisor_version_requires");
    let wanted: string[];
    try {
      wanted = [arch ? canonicalArchitecture(arch) : null, hvType ? canonicalHvType(hvType) : null, vmMode ? canonicalVmMode(vmMode) : null].filter(
        (x): x is string => x !== null,
      );
    } catch (err) {
      // Nova raises here and the request fails; no host can run such an image.
      return rejectAll(reason("image-invalid", `unable to run the image: ${(err as Error).message}`));
    }
    if (wanted.length === 0) return null;
    const predicate = versionSpec ? compileVersionPredicate(versionSpec) : null;
    const described = [
      arch && `hw_architecture=${arch}`,
      hvType && `img_hv_type=${hvType}`,
      vmMode && `hw_vm_mode=${vmMode}`,
      versionSpec && `img_hv_requested_version ${versionSpec}`,
    ]
      .filter(Boolean)
      .join(", ");
    const why = reason(`image:${described}`, `not supporting the image's ${described}`);
    // Hosts share a handful of hypervisor versions: decide each version once per request.
    const byVersion = new Map<number, boolean>();
    const versionOk = (i: number): boolean => {
      const hv = t.hypervisorVersion[i]!;
      if (!hv || !versionSpec) return true;
      let ok = byVersion.get(hv);
      if (ok === undefined) byVersion.set(hv, (ok = predicate !== null && predicate(hypervisorVersionString(hv))));
      return ok;
    };
    const supports = (i: number): boolean => {
      for (const triple of t.supportedInstances[i]!) {
        let all = true;
        for (const w of wanted) if (!triple.includes(w)) all = false;
        if (all) return versionOk(i); // the version is the host's, the same for every triple
      }
      return false;
    };
    const memo = staticMemo(t, `image\0${wanted.join("\0")}\0${versionSpec ?? ""}`);
    return predicateFilter(
      (i) => {
        let v = memo[i]!;
        if (v < 0) {
          v = supports(i) ? 1 : 0;
          memo[i] = v;
        }
        return v === 1;
      },
      () => why,
    );
  },
};
