import { bindTable, koffi, sig, type Bound } from './native-library.ts';

// GL's scalar types as koffi aliases, so prototypes below read like the GL headers.
for (const [name, type] of [
  ['GLenum', 'uint32_t'], ['GLbitfield', 'uint32_t'], ['GLuint', 'uint32_t'], ['GLint', 'int32_t'],
  ['GLsizei', 'int32_t'], ['GLboolean', 'uint8_t'], ['GLfloat', 'float'], ['GLsizeiptr', 'intptr_t'], ['GLintptr', 'intptr_t'],
] as const) {
  try { koffi.alias(name, type); } catch { /* already declared by an earlier import */ }
}

type Ptr = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float32Array | Buffer | null;

/**
 * The OpenGL 3.3 core functions the renderer uses, as one declarative table. They are bound from the
 * exports of libGL.so.1 (libglvnd), which dispatch to whichever context is current, GLX or EGL alike.
 */
export const GL_FUNCTIONS = {
  glGetString: sig<(name: number) => string | null>('const char *(GLenum name)'),
  glGetError: sig<() => number>('GLenum ()'),
  glGetIntegerv: sig<(pname: number, data: Int32Array) => void>('void (GLenum pname, _Out_ GLint *data)'),
  glViewport: sig<(x: number, y: number, w: number, h: number) => void>('void (GLint x, GLint y, GLsizei w, GLsizei h)'),
  glScissor: sig<(x: number, y: number, w: number, h: number) => void>('void (GLint x, GLint y, GLsizei w, GLsizei h)'),
  glClearColor: sig<(r: number, g: number, b: number, a: number) => void>('void (GLfloat r, GLfloat g, GLfloat b, GLfloat a)'),
  glClear: sig<(mask: number) => void>('void (GLbitfield mask)'),
  glEnable: sig<(cap: number) => void>('void (GLenum cap)'),
  glDisable: sig<(cap: number) => void>('void (GLenum cap)'),
  glBlendFuncSeparate: sig<(srcRGB: number, dstRGB: number, srcA: number, dstA: number) => void>('void (GLenum srcRGB, GLenum dstRGB, GLenum srcA, GLenum dstA)'),
  glPixelStorei: sig<(pname: number, param: number) => void>('void (GLenum pname, GLint param)'),
  glFinish: sig<() => void>('void ()'),
  glFlush: sig<() => void>('void ()'),

  glGenTextures: sig<(n: number, out: Uint32Array) => void>('void (GLsizei n, GLuint *textures)'),
  glDeleteTextures: sig<(n: number, ids: Uint32Array) => void>('void (GLsizei n, const GLuint *textures)'),
  glBindTexture: sig<(target: number, tex: number) => void>('void (GLenum target, GLuint texture)'),
  glActiveTexture: sig<(unit: number) => void>('void (GLenum texture)'),
  glTexParameteri: sig<(target: number, pname: number, param: number) => void>('void (GLenum target, GLenum pname, GLint param)'),
  glTexImage2D: sig<(target: number, level: number, internalFormat: number, w: number, h: number, border: number, format: number, type: number, data: Ptr) => void>(
    'void (GLenum target, GLint level, GLint internalformat, GLsizei width, GLsizei height, GLint border, GLenum format, GLenum type, const void *pixels)'),
  glTexSubImage2D: sig<(target: number, level: number, x: number, y: number, w: number, h: number, format: number, type: number, data: Ptr) => void>(
    'void (GLenum target, GLint level, GLint xoffset, GLint yoffset, GLsizei width, GLsizei height, GLenum format, GLenum type, const void *pixels)'),

  glGenFramebuffers: sig<(n: number, out: Uint32Array) => void>('void (GLsizei n, GLuint *ids)'),
  glDeleteFramebuffers: sig<(n: number, ids: Uint32Array) => void>('void (GLsizei n, const GLuint *ids)'),
  glBindFramebuffer: sig<(target: number, fb: number) => void>('void (GLenum target, GLuint framebuffer)'),
  glFramebufferTexture2D: sig<(target: number, attachment: number, textarget: number, tex: number, level: number) => void>(
    'void (GLenum target, GLenum attachment, GLenum textarget, GLuint texture, GLint level)'),
  glCheckFramebufferStatus: sig<(target: number) => number>('GLenum (GLenum target)'),
  glBlitFramebuffer: sig<(sx0: number, sy0: number, sx1: number, sy1: number, dx0: number, dy0: number, dx1: number, dy1: number, mask: number, filter: number) => void>(
    'void (GLint srcX0, GLint srcY0, GLint srcX1, GLint srcY1, GLint dstX0, GLint dstY0, GLint dstX1, GLint dstY1, GLbitfield mask, GLenum filter)'),
  glReadBuffer: sig<(mode: number) => void>('void (GLenum mode)'),
  glReadPixels: sig<(x: number, y: number, w: number, h: number, format: number, type: number, out: Uint8Array) => void>(
    'void (GLint x, GLint y, GLsizei width, GLsizei height, GLenum format, GLenum type, void *pixels)'),

  glCreateShader: sig<(type: number) => number>('GLuint (GLenum type)'),
  glShaderSource: sig<(shader: number, count: number, sources: string[], lengths: null) => void>('void (GLuint shader, GLsizei count, const char **string, const GLint *length)'),
  glCompileShader: sig<(shader: number) => void>('void (GLuint shader)'),
  glGetShaderiv: sig<(shader: number, pname: number, out: Int32Array) => void>('void (GLuint shader, GLenum pname, _Out_ GLint *params)'),
  glGetShaderInfoLog: sig<(shader: number, max: number, len: Int32Array | null, log: Buffer) => void>('void (GLuint shader, GLsizei maxLength, GLsizei *length, char *infoLog)'),
  glDeleteShader: sig<(shader: number) => void>('void (GLuint shader)'),
  glCreateProgram: sig<() => number>('GLuint ()'),
  glAttachShader: sig<(program: number, shader: number) => void>('void (GLuint program, GLuint shader)'),
  glBindAttribLocation: sig<(program: number, index: number, name: string) => void>('void (GLuint program, GLuint index, const char *name)'),
  glLinkProgram: sig<(program: number) => void>('void (GLuint program)'),
  glGetProgramiv: sig<(program: number, pname: number, out: Int32Array) => void>('void (GLuint program, GLenum pname, _Out_ GLint *params)'),
  glGetProgramInfoLog: sig<(program: number, max: number, len: Int32Array | null, log: Buffer) => void>('void (GLuint program, GLsizei maxLength, GLsizei *length, char *infoLog)'),
  glDeleteProgram: sig<(program: number) => void>('void (GLuint program)'),
  glUseProgram: sig<(program: number) => void>('void (GLuint program)'),
  glGetUniformLocation: sig<(program: number, name: string) => number>('GLint (GLuint program, const char *name)'),
  glUniform1i: sig<(loc: number, v: number) => void>('void (GLint location, GLint v0)'),
  glUniform1f: sig<(loc: number, v: number) => void>('void (GLint location, GLfloat v0)'),
  glUniform2f: sig<(loc: number, a: number, b: number) => void>('void (GLint location, GLfloat v0, GLfloat v1)'),
  glUniform3f: sig<(loc: number, a: number, b: number, c: number) => void>('void (GLint location, GLfloat v0, GLfloat v1, GLfloat v2)'),
  glUniform4f: sig<(loc: number, a: number, b: number, c: number, d: number) => void>('void (GLint location, GLfloat v0, GLfloat v1, GLfloat v2, GLfloat v3)'),
  glUniformMatrix3fv: sig<(loc: number, count: number, transpose: number, m: Float32Array) => void>('void (GLint location, GLsizei count, GLboolean transpose, const GLfloat *value)'),

  glGenVertexArrays: sig<(n: number, out: Uint32Array) => void>('void (GLsizei n, GLuint *arrays)'),
  glDeleteVertexArrays: sig<(n: number, ids: Uint32Array) => void>('void (GLsizei n, const GLuint *arrays)'),
  glBindVertexArray: sig<(vao: number) => void>('void (GLuint array)'),
  glGenBuffers: sig<(n: number, out: Uint32Array) => void>('void (GLsizei n, GLuint *buffers)'),
  glDeleteBuffers: sig<(n: number, ids: Uint32Array) => void>('void (GLsizei n, const GLuint *buffers)'),
  glBindBuffer: sig<(target: number, buf: number) => void>('void (GLenum target, GLuint buffer)'),
  glBufferData: sig<(target: number, size: number, data: Float32Array | null, usage: number) => void>('void (GLenum target, GLsizeiptr size, const void *data, GLenum usage)'),
  glBufferSubData: sig<(target: number, offset: number, size: number, data: Float32Array) => void>('void (GLenum target, GLintptr offset, GLsizeiptr size, const void *data)'),
  glVertexAttribPointer: sig<(index: number, size: number, type: number, normalized: number, stride: number, offset: number) => void>(
    // The last argument is a byte offset into the bound buffer, hence an integer rather than a pointer.
    'void (GLuint index, GLint size, GLenum type, GLboolean normalized, GLsizei stride, intptr_t pointer)'),
  glEnableVertexAttribArray: sig<(index: number) => void>('void (GLuint index)'),
  glDrawArrays: sig<(mode: number, first: number, count: number) => void>('void (GLenum mode, GLint first, GLsizei count)'),
};

export type GL = Bound<typeof GL_FUNCTIONS>;

export const LIBGL = { soname: 'libGL.so.1', aptPackage: 'libgl1 libgl1-mesa-dri', what: 'OpenGL' } as const;

let gl: GL | null = null;

/** The GL bindings (bound once per process; the functions dispatch to the current context). */
export function loadGL(): GL {
  return (gl ??= bindTable(LIBGL, GL_FUNCTIONS));
}
