import { koffi } from '../gl/native-library.ts';
import {
  GLFW_CONTEXT_VERSION_MAJOR, GLFW_CONTEXT_VERSION_MINOR, GLFW_FALSE, GLFW_KEY_ESCAPE, GLFW_OPENGL_CORE_PROFILE,
  GLFW_OPENGL_FORWARD_COMPAT, GLFW_OPENGL_PROFILE, GLFW_PRESS, GLFW_RELEASE, GLFW_RESIZABLE, GLFW_TRUE, GLFWkeyfun, loadGLFW, type GLFW,
} from '../gl/glfw.ts';
import { loadGL, type GL } from '../gl/gl-functions.ts';
import {
  GL_BACK, GL_COLOR_BUFFER_BIT, GL_DRAW_FRAMEBUFFER, GL_LINEAR, GL_READ_FRAMEBUFFER, GL_RENDERER, GL_SCISSOR_TEST, GL_VERSION,
} from '../gl/gl-constants.ts';
import type { ContextProvider, KeyEvent } from './context-provider.ts';
import { letterbox } from '../renderer/letterbox.ts';

export interface GlfwWindowOptions {
  title: string;
  width: number;
  height: number;
  fullscreen?: boolean;
  vsync?: boolean;
  resizable?: boolean;
  onKey?: (e: KeyEvent) => void;
}

let glfwUsers = 0;

/**
 * A GLFW window with an OpenGL 3.3 core context. Needs a display (X11 or Wayland); under CI that is
 * Xvfb. All calls must come from the thread that created it: Node's main thread.
 */
export class GlfwWindowProvider implements ContextProvider {
  readonly kind = 'glfw-window' as const;
  readonly description: string;
  readonly gl: GL;
  private readonly glfw: GLFW;
  private window: bigint | null;
  private keyCallback: unknown = null;
  private readonly fbSize = [new Int32Array(1), new Int32Array(1)] as const;

  constructor(options: GlfwWindowOptions) {
    this.glfw = loadGLFW();
    const glfw = this.glfw;
    if (glfwUsers === 0 && !glfw.glfwInit()) throw new Error(`glfwInit failed: ${this.lastError()} (is DISPLAY or WAYLAND_DISPLAY set to a running display?)`);
    glfwUsers++;
    glfw.glfwDefaultWindowHints();
    glfw.glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfw.glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfw.glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfw.glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfw.glfwWindowHint(GLFW_RESIZABLE, options.resizable === false ? GLFW_FALSE : GLFW_TRUE);
    let monitor: bigint | null = null;
    let { width, height } = options;
    if (options.fullscreen) {
      monitor = glfw.glfwGetPrimaryMonitor();
      const modePtr = monitor ? glfw.glfwGetVideoMode(monitor) : null;
      if (modePtr) {
        const mode = koffi.decode(modePtr, 'GLFWvidmode') as { width: number; height: number };
        width = mode.width;
        height = mode.height;
      }
    }
    this.window = glfw.glfwCreateWindow(width, height, options.title, monitor, null);
    if (!this.window) {
      const why = this.lastError();
      this.release();
      throw new Error(`glfwCreateWindow failed: ${why}`);
    }
    glfw.glfwMakeContextCurrent(this.window);
    glfw.glfwSwapInterval(options.vsync ? 1 : 0);
    const onKey = options.onKey;
    this.keyCallback = koffi.register((_win: unknown, key: number, scancode: number, action: number, mods: number) => {
      // Esc closes the window, as in Holoviz; the operator turns that into a clean app stop.
      if (key === GLFW_KEY_ESCAPE && action === GLFW_PRESS) this.requestClose();
      onKey?.({ key, scancode, mods, action: action === GLFW_PRESS ? 'press' : action === GLFW_RELEASE ? 'release' : 'repeat' });
    }, koffi.pointer(GLFWkeyfun!));
    glfw.glfwSetKeyCallback(this.window, this.keyCallback);
    this.gl = loadGL();
    this.description = `glfw-window (GLFW ${glfw.glfwGetVersionString()}): ${this.gl.glGetString(GL_RENDERER)}, OpenGL ${this.gl.glGetString(GL_VERSION)}`;
  }

  private lastError(): string {
    const desc: [string | null] = [null];
    const code = this.glfw.glfwGetError(desc);
    return code ? `${desc[0]} (GLFW error 0x${code.toString(16)})` : 'unknown GLFW error';
  }

  get handle(): bigint {
    if (!this.window) throw new Error('the window is destroyed');
    return this.window;
  }

  makeCurrent(): void {
    if (this.window) this.glfw.glfwMakeContextCurrent(this.window);
  }

  framebufferSize(): { width: number; height: number } {
    this.glfw.glfwGetFramebufferSize(this.handle, this.fbSize[0], this.fbSize[1]);
    return { width: this.fbSize[0][0], height: this.fbSize[1][0] };
  }

  /** Blits the rendered FBO into the window, letterboxed, then swaps. The FBO is top-down, GL is bottom-up: the blit flips. */
  present(framebuffer: number, width: number, height: number): void {
    if (!this.window) return;
    const gl = this.gl;
    const { width: fw, height: fh } = this.framebufferSize();
    if (fw === 0 || fh === 0) return; // minimized
    const r = letterbox(width, height, fw, fh);
    gl.glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    gl.glDisable(GL_SCISSOR_TEST);
    gl.glClearColor(0, 0, 0, 1);
    gl.glClear(GL_COLOR_BUFFER_BIT);
    gl.glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer);
    gl.glBlitFramebuffer(0, 0, width, height, r.x, fh - r.y, r.x + r.w, fh - r.y - r.h, GL_COLOR_BUFFER_BIT, GL_LINEAR);
    gl.glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    this.glfw.glfwSwapBuffers(this.window);
  }

  pollEvents(): void {
    if (this.window) this.glfw.glfwPollEvents();
  }

  shouldClose(): boolean {
    return !this.window || this.glfw.glfwWindowShouldClose(this.window) !== 0;
  }

  requestClose(): void {
    if (this.window) this.glfw.glfwSetWindowShouldClose(this.window, GLFW_TRUE);
  }

  setTitle(title: string): void {
    if (this.window) this.glfw.glfwSetWindowTitle(this.window, title);
  }

  destroy(): void {
    if (!this.window) return;
    this.glfw.glfwDestroyWindow(this.window);
    this.window = null;
    this.release();
  }

  private release(): void {
    if (this.keyCallback) koffi.unregister(this.keyCallback as bigint);
    this.keyCallback = null;
    // glfwTerminate only when the last window goes: GLFW is process-global.
    if (--glfwUsers === 0) this.glfw.glfwTerminate();
  }
}
