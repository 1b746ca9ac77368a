import { bindPointer, bindTable, sig, type Bound } from './native-library.ts';

type Display = bigint;

/** The EGL 1.5 functions the headless provider uses, as one declarative table (libEGL.so.1). */
export const EGL_FUNCTIONS = {
  eglGetError: sig<() => number>('int32_t ()'),
  eglQueryString: sig<(dpy: Display | null, name: number) => string | null>('const char *(void *dpy, int32_t name)'),
  eglGetProcAddress: sig<(name: string) => bigint | null>('void *(const char *name)'),
  eglGetPlatformDisplay: sig<(platform: number, native: bigint | null, attribs: BigInt64Array | null) => Display | null>(
    'void *(uint32_t platform, void *native_display, const intptr_t *attrib_list)'),
  eglInitialize: sig<(dpy: Display, major: Int32Array, minor: Int32Array) => number>('uint32_t (void *dpy, _Out_ int32_t *major, _Out_ int32_t *minor)'),
  eglTerminate: sig<(dpy: Display) => number>('uint32_t (void *dpy)'),
  eglBindAPI: sig<(api: number) => number>('uint32_t (uint32_t api)'),
  eglChooseConfig: sig<(dpy: Display, attribs: Int32Array, configs: BigUint64Array, size: number, num: Int32Array) => number>(
    'uint32_t (void *dpy, const int32_t *attrib_list, _Out_ void **configs, int32_t config_size, _Out_ int32_t *num_config)'),
  eglCreateContext: sig<(dpy: Display, config: bigint | null, share: bigint | null, attribs: Int32Array) => bigint | null>(
    'void *(void *dpy, void *config, void *share_context, const int32_t *attrib_list)'),
  eglDestroyContext: sig<(dpy: Display, ctx: bigint) => number>('uint32_t (void *dpy, void *ctx)'),
  eglMakeCurrent: sig<(dpy: Display, draw: bigint | null, read: bigint | null, ctx: bigint | null) => number>(
    'uint32_t (void *dpy, void *draw, void *read, void *ctx)'),
  eglReleaseThread: sig<() => number>('uint32_t ()'),
};

/** From EGL_EXT_device_enumeration, reached through eglGetProcAddress. */
export const eglQueryDevicesEXT = sig<(max: number, devices: BigUint64Array, num: Int32Array) => number>(
  'uint32_t (int32_t max_devices, _Out_ void **devices, _Out_ int32_t *num_devices)');
export const eglQueryDeviceStringEXT = sig<(device: bigint, name: number) => string | null>('const char *(void *device, int32_t name)');

export const EGL_EXTENSIONS = 0x3055;
export const EGL_VENDOR = 0x3053;
export const EGL_NONE = 0x3038;
export const EGL_SURFACE_TYPE = 0x3033;
export const EGL_PBUFFER_BIT = 0x0001;
export const EGL_RENDERABLE_TYPE = 0x3040;
export const EGL_OPENGL_BIT = 0x0008;
export const EGL_RED_SIZE = 0x3024;
export const EGL_GREEN_SIZE = 0x3023;
export const EGL_BLUE_SIZE = 0x3022;
export const EGL_ALPHA_SIZE = 0x3021;
export const EGL_OPENGL_API = 0x30a2;
export const EGL_CONTEXT_MAJOR_VERSION = 0x3098;
export const EGL_CONTEXT_MINOR_VERSION = 0x30fb;
export const EGL_CONTEXT_OPENGL_PROFILE_MASK = 0x30fd;
export const EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT = 0x0001;
export const EGL_PLATFORM_SURFACELESS_MESA = 0x31dd;
export const EGL_PLATFORM_DEVICE_EXT = 0x313f;
export const EGL_DRM_DEVICE_FILE_EXT = 0x3233;
export const EGL_EXTENSIONS_DEVICE = 0x3055;

export type EGL = Bound<typeof EGL_FUNCTIONS>;

export const LIBEGL = { soname: 'libEGL.so.1', aptPackage: 'libegl1 libgl1-mesa-dri', what: 'EGL (headless rendering)' } as const;

let egl: EGL | null = null;

export function loadEGL(): EGL {
  return (egl ??= bindTable(LIBEGL, EGL_FUNCTIONS));
}

export function eglExtension<F extends (...args: any[]) => any>(name: string, s: { proto: string; __type?: F }): F {
  return bindPointer(name, loadEGL().eglGetProcAddress(name), s);
}
