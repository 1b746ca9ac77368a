import { bindTable, koffi, sig, type Bound } from './native-library.ts';

type Window = bigint;

/** The GLFW 3.3 functions the window provider uses, as one declarative table (libglfw.so.3). */
export const GLFW_FUNCTIONS = {
  glfwInit: sig<() => number>('int ()'),
  glfwTerminate: sig<() => void>('void ()'),
  glfwGetVersionString: sig<() => string>('const char *()'),
  glfwGetError: sig<(description: [string | null] | null) => number>('int (_Out_ const char **description)'),
  glfwDefaultWindowHints: sig<() => void>('void ()'),
  glfwWindowHint: sig<(hint: number, value: number) => void>('void (int hint, int value)'),
  glfwCreateWindow: sig<(w: number, h: number, title: string, monitor: bigint | null, share: bigint | null) => Window | null>(
    'void *(int width, int height, const char *title, void *monitor, void *share)'),
  glfwDestroyWindow: sig<(w: Window) => void>('void (void *window)'),
  glfwMakeContextCurrent: sig<(w: Window | null) => void>('void (void *window)'),
  glfwSwapInterval: sig<(interval: number) => void>('void (int interval)'),
  glfwSwapBuffers: sig<(w: Window) => void>('void (void *window)'),
  glfwPollEvents: sig<() => void>('void ()'),
  glfwWindowShouldClose: sig<(w: Window) => number>('int (void *window)'),
  glfwSetWindowShouldClose: sig<(w: Window, value: number) => void>('void (void *window, int value)'),
  glfwSetWindowTitle: sig<(w: Window, title: string) => void>('void (void *window, const char *title)'),
  glfwGetFramebufferSize: sig<(w: Window, width: Int32Array, height: Int32Array) => void>('void (void *window, _Out_ int *width, _Out_ int *height)'),
  glfwGetPrimaryMonitor: sig<() => bigint | null>('void *()'),
  glfwGetVideoMode: sig<(monitor: bigint) => bigint | null>('const GLFWvidmode *(void *monitor)'),
  glfwSetKeyCallback: sig<(w: Window, cb: unknown) => unknown>('void *(void *window, GLFWkeyfun *callback)'),
};

export const GLFW_KEY_ESCAPE = 256;
export const GLFW_PRESS = 1;
export const GLFW_RELEASE = 0;
export const GLFW_REPEAT = 2;
export const GLFW_TRUE = 1;
export const GLFW_FALSE = 0;
export const GLFW_RESIZABLE = 0x00020003;
export const GLFW_VISIBLE = 0x00020004;
export const GLFW_CONTEXT_VERSION_MAJOR = 0x00022002;
export const GLFW_CONTEXT_VERSION_MINOR = 0x00022003;
export const GLFW_OPENGL_FORWARD_COMPAT = 0x00022006;
export const GLFW_OPENGL_PROFILE = 0x00022008;
export const GLFW_OPENGL_CORE_PROFILE = 0x00032001;
export const GLFW_DOUBLEBUFFER = 0x00021010;

export type GLFW = Bound<typeof GLFW_FUNCTIONS>;

export const LIBGLFW = { soname: 'libglfw.so.3', aptPackage: 'libglfw3', what: 'GLFW windows' } as const;

let glfw: GLFW | null = null;
export let GLFWkeyfun: ReturnType<typeof koffi.proto> | null = null;

export function loadGLFW(): GLFW {
  if (glfw) return glfw;
  // Types the table refers to by name must exist before binding.
  koffi.struct('GLFWvidmode', { width: 'int', height: 'int', redBits: 'int', greenBits: 'int', blueBits: 'int', refreshRate: 'int' });
  GLFWkeyfun = koffi.proto('void GLFWkeyfun(void *window, int key, int scancode, int action, int mods)');
  return (glfw = bindTable(LIBGLFW, GLFW_FUNCTIONS));
}
