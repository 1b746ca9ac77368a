import type { GL } from '../gl/gl-functions.ts';
import { GL_COMPILE_STATUS, GL_FRAGMENT_SHADER, GL_LINK_STATUS, GL_VERTEX_SHADER } from '../gl/gl-constants.ts';

/** Compiles and links a vertex + fragment shader pair; a compile error carries the driver's log. */
export function createProgram(gl: GL, label: string, vertex: string, fragment: string): number {
  const status = new Int32Array(1);
  const log = Buffer.alloc(4096);
  const compile = (type: number, src: string): number => {
    const s = gl.glCreateShader(type);
    gl.glShaderSource(s, 1, [src], null);
    gl.glCompileShader(s);
    gl.glGetShaderiv(s, GL_COMPILE_STATUS, status);
    if (!status[0]) {
      gl.glGetShaderInfoLog(s, log.length, null, log);
      gl.glDeleteShader(s);
      throw new Error(`${label}: ${type === GL_VERTEX_SHADER ? 'vertex' : 'fragment'} shader failed to compile: ${cString(log)}`);
    }
    return s;
  };
  const vs = compile(GL_VERTEX_SHADER, vertex);
  const fs = compile(GL_FRAGMENT_SHADER, fragment);
  const p = gl.glCreateProgram();
  gl.glAttachShader(p, vs);
  gl.glAttachShader(p, fs);
  gl.glLinkProgram(p);
  gl.glDeleteShader(vs);
  gl.glDeleteShader(fs);
  gl.glGetProgramiv(p, GL_LINK_STATUS, status);
  if (!status[0]) {
    gl.glGetProgramInfoLog(p, log.length, null, log);
    gl.glDeleteProgram(p);
    throw new Error(`${label}: program failed to link: ${cString(log)}`);
  }
  return p;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.toString('utf8', 0, end < 0 ? b.length : end).trim();
}
