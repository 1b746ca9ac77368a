import {
  EGL_CONTEXT_MAJOR_VERSION, EGL_CONTEXT_MINOR_VERSION, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_CONTEXT_OPENGL_PROFILE_MASK,
  EGL_EXTENSIONS, EGL_NONE, EGL_OPENGL_API, EGL_OPENGL_BIT, EGL_PLATFORM_DEVICE_EXT, EGL_PLATFORM_SURFACELESS_MESA,
  EGL_RENDERABLE_TYPE, eglExtension, eglQueryDevicesEXT, loadEGL, type EGL,
} from '../gl/egl.ts';
import { loadGL, type GL } from '../gl/gl-functions.ts';
import { GL_RENDERER, GL_VERSION } from '../gl/gl-constants.ts';
import type { ContextProvider } from './context-provider.ts';

export type HeadlessPlatform = 'auto' | 'device' | 'surfaceless';

/**
 * An OpenGL 3.3 core context with no window system at all: EGL's device platform (NVIDIA, or Mesa's
 * software device) or Mesa's surfaceless platform. There is no default framebuffer; the renderer's
 * FBO is the picture, so `present` has nothing to do.
 */
export class EglHeadlessProvider implements ContextProvider {
  readonly kind: 'egl-surfaceless' | 'egl-device';
  readonly description: string;
  readonly gl: GL;
  private readonly egl: EGL;
  private readonly display: bigint;
  private context: bigint | null;

  constructor(platform: HeadlessPlatform = 'auto') {
    this.egl = loadEGL();
    const clientExt = this.egl.eglQueryString(null, EGL_EXTENSIONS) ?? '';
    const candidates: ('device' | 'surfaceless')[] = [];
    // The device platform first: on a machine with an NVIDIA driver it reaches the GPU, whereas
    // surfaceless goes to Mesa. Mesa's device platform also offers a software device.
    if ((platform === 'auto' || platform === 'device') && clientExt.includes('EGL_EXT_platform_device')) candidates.push('device');
    if ((platform === 'auto' || platform === 'surfaceless') && clientExt.includes('EGL_MESA_platform_surfaceless')) candidates.push('surfaceless');
    if (candidates.length === 0) {
      throw new Error(`EGL offers neither EGL_EXT_platform_device nor EGL_MESA_platform_surfaceless (client extensions: '${clientExt}'); install libegl1 and libgl1-mesa-dri or a GPU driver with EGL`);
    }
    const failures: string[] = [];
    for (const c of candidates) {
      for (const display of this.displays(c)) {
        const ctx = this.tryContext(display);
        if (typeof ctx === 'string') { failures.push(`${c}: ${ctx}`); continue; }
        this.display = display;
        this.context = ctx;
        this.kind = c === 'device' ? 'egl-device' : 'egl-surfaceless';
        this.gl = loadGL();
        this.description = `${this.kind}: ${this.gl.glGetString(GL_RENDERER)}, OpenGL ${this.gl.glGetString(GL_VERSION)}`;
        return;
      }
    }
    throw new Error(`no headless EGL context could be created (${failures.join('; ') || 'no EGL device found'})`);
  }

  private *displays(platform: 'device' | 'surfaceless'): Generator<bigint> {
    if (platform === 'surfaceless') {
      const d = this.egl.eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, null, null);
      if (d) yield d;
      return;
    }
    const query = eglExtension('eglQueryDevicesEXT', eglQueryDevicesEXT);
    const devices = new BigUint64Array(16);
    const num = new Int32Array(1);
    if (!query(devices.length, devices, num)) return;
    for (let i = 0; i < num[0]; i++) {
      const d = this.egl.eglGetPlatformDisplay(EGL_PLATFORM_DEVICE_EXT, devices[i], null);
      if (d) yield d;
    }
  }

  /** A current GL 3.3 core context on the display, or why not. */
  private tryContext(display: bigint): bigint | string {
    const egl = this.egl;
    const major = new Int32Array(1);
    const minor = new Int32Array(1);
    if (!egl.eglInitialize(display, major, minor)) return `eglInitialize failed (0x${egl.eglGetError().toString(16)})`;
    const displayExt = egl.eglQueryString(display, EGL_EXTENSIONS) ?? '';
    if (!displayExt.includes('EGL_KHR_surfaceless_context')) {
      egl.eglTerminate(display);
      return 'EGL_KHR_surfaceless_context missing';
    }
    egl.eglBindAPI(EGL_OPENGL_API);
    let config: bigint | null = null;
    const configs = new BigUint64Array(1);
    const num = new Int32Array(1);
    if (egl.eglChooseConfig(display, new Int32Array([EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE]), configs, 1, num) && num[0] > 0) config = configs[0];
    else if (!displayExt.includes('EGL_KHR_no_config_context') && !displayExt.includes('EGL_MESA_configless_context')) {
      egl.eglTerminate(display);
      return 'no EGL config renders OpenGL';
    }
    const ctx = egl.eglCreateContext(display, config, null, new Int32Array([
      EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 3,
      EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE,
    ]));
    if (!ctx) {
      const err = egl.eglGetError();
      egl.eglTerminate(display);
      return `eglCreateContext failed (0x${err.toString(16)})`;
    }
    if (!egl.eglMakeCurrent(display, null, null, ctx)) {
      const err = egl.eglGetError();
      egl.eglDestroyContext(display, ctx);
      egl.eglTerminate(display);
      return `eglMakeCurrent failed (0x${err.toString(16)})`;
    }
    return ctx;
  }

  makeCurrent(): void {
    if (this.context) this.egl.eglMakeCurrent(this.display, null, null, this.context);
  }

  present(): void {}
  pollEvents(): void {}
  shouldClose(): boolean { return false; }
  requestClose(): void {}

  destroy(): void {
    if (!this.context) return;
    this.egl.eglMakeCurrent(this.display, null, null, null);
    this.egl.eglDestroyContext(this.display, this.context);
    this.context = null;
    // eglTerminate is skipped on purpose: Mesa shares the display between every context created for
    // the same platform in this process, and terminating it would pull the rug from another provider.
  }
}
