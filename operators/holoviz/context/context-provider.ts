import type { GL } from '../gl/gl-functions.ts';

/** A key event from the window, as Holoviz reports it (GLFW key codes). */
export interface KeyEvent {
  key: number;
  scancode: number;
  action: 'press' | 'release' | 'repeat';
  mods: number;
}

/**
 * Where GL runs: a window or a headless context. The renderer always draws into its own framebuffer
 * object; a provider only owns the context and shows that framebuffer (or not, headless).
 */
export interface ContextProvider {
  readonly kind: 'glfw-window' | 'egl-surfaceless' | 'egl-device';
  /** One line naming the GL implementation, for logs. */
  readonly description: string;
  readonly gl: GL;
  makeCurrent(): void;
  /** Shows the rendered picture: the window letterboxes it and swaps; headless does nothing. */
  present(framebuffer: number, width: number, height: number): void;
  /** Processes window events; key events go to the listener given at creation. */
  pollEvents(): void;
  /** The user closed the window (or pressed Esc). Headless: never. */
  shouldClose(): boolean;
  requestClose(): void;
  destroy(): void;
}
