// Colour theme: "system" follows prefers-color-scheme; "light"/"dark" are the user's override,
// kept in localStorage so it survives reloads and applies before first paint.
export type ThemeMode = "system" | "light" | "dark";
export const THEME_STORAGE_KEY = "stratus-theme";
export const THEME_MODES: readonly ThemeMode[] = ["system", "light", "dark"];

export function isThemeMode(v: unknown): v is ThemeMode {
  return v === "system" || v === "light" || v === "dark";
}

/** Runs inline in <head> before the page paints, so a dark user never sees a white flash. */
export const THEME_BOOT_SCRIPT = `(function(){try{var m=localStorage.getItem(${JSON.stringify(THEME_STORAGE_KEY)});
var d=m==="dark"||((m!=="light")&&window.matchMedia("(prefers-color-scheme: dark)").matches);
document.documentElement.classList.toggle("dark",d);}catch(e){}})();`;
