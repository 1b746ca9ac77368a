import type { ContextProvider } from './context-provider.ts';
import { EglHeadlessProvider, type HeadlessPlatform } from './egl-headless.ts';
import { GlfwWindowProvider, type GlfwWindowOptions } from './glfw-window.ts';

/** The window's options, plus how to choose between a window and headless rendering. */
export interface ProviderOptions extends GlfwWindowOptions {
  /** 'auto': headless when no display exists (no DISPLAY / WAYLAND_DISPLAY). */
  headless: 'auto' | boolean;
  headlessPlatform?: HeadlessPlatform;
  /** Told when 'auto' chose headless. */
  log?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

export function hasDisplay(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** Opens the window or the headless context the options ask for. */
export function createContextProvider(o: ProviderOptions): ContextProvider {
  let headless = o.headless;
  if (headless === 'auto') {
    headless = !hasDisplay(o.env);
    if (headless) o.log?.('no display (DISPLAY and WAYLAND_DISPLAY unset): rendering headless through EGL');
  }
  if (headless) return new EglHeadlessProvider(o.headlessPlatform ?? 'auto');
  return new GlfwWindowProvider(o);
}
