import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';

// koffi ships CommonJS; createRequire keeps this ESM module free of interop surprises on Node 20-24.
const require = createRequire(import.meta.url);
export const koffi: typeof KoffiModule = require('koffi');

/**
 * A function binding declared once in a table: the C prototype (without the name, which is the table
 * key) and, as a phantom type, the TypeScript signature callers see. Pointers are bigint in koffi 3;
 * typed arrays may be passed wherever C takes a pointer.
 */
export interface Sig<F extends (...args: any[]) => any> {
  readonly proto: string;
  readonly __type?: F;
}

export function sig<F extends (...args: any[]) => any>(proto: string): Sig<F> {
  return { proto };
}

export type SigTable = Record<string, Sig<(...args: any[]) => any>>;
export type Bound<T extends SigTable> = { [K in keyof T]: T[K] extends Sig<infer F> ? F : never };

/** The library and the Debian package that provides it, for the error a missing library raises. */
export interface LibrarySource {
  readonly soname: string;
  readonly aptPackage: string;
  readonly what: string;
}

const loaded = new Map<string, KoffiModule.LibraryHandle>();

export function loadLibrary(src: LibrarySource): KoffiModule.LibraryHandle {
  let lib = loaded.get(src.soname);
  if (lib) return lib;
  try {
    lib = koffi.load(src.soname);
  } catch (err) {
    throw new Error(
      `cannot load ${src.soname} (${src.what}): ${(err as Error).message}. ` +
        `Install it with: sudo apt-get install ${src.aptPackage}`,
    );
  }
  loaded.set(src.soname, lib);
  return lib;
}

/**
 * Binds every entry of a signature table from one library. All symbols are bound up front so that a
 * library too old for a function fails at start with its name, not in the middle of a frame.
 */
export function bindTable<T extends SigTable>(src: LibrarySource, table: T): Bound<T> {
  const lib = loadLibrary(src);
  const out: Record<string, unknown> = {};
  for (const [name, { proto }] of Object.entries(table)) {
    const open = proto.indexOf('(');
    if (open < 0) throw new Error(`signature of ${name} has no argument list: '${proto}'`);
    const cdecl = `${proto.slice(0, open).trim()} ${name}${proto.slice(open)}`;
    try {
      out[name] = lib.func(cdecl);
    } catch (err) {
      throw new Error(`${src.soname} has no usable ${name} (${(err as Error).message}); is ${src.aptPackage} too old?`);
    }
  }
  return out as Bound<T>;
}

/** Binds a function pointer obtained at run time (eglGetProcAddress) with the same table syntax. */
const protos = new Map<string, KoffiModule.TypeObject>();

export function bindPointer<F extends (...args: any[]) => any>(name: string, ptr: unknown, s: Sig<F>): F {
  if (!ptr) throw new Error(`function ${name} is not available`);
  let proto = protos.get(name);
  if (!proto) {
    const open = s.proto.indexOf('(');
    // koffi type names are process-global: declare each prototype once.
    proto = koffi.proto(`${s.proto.slice(0, open).trim()} ${name}_t${s.proto.slice(open)}`);
    protos.set(name, proto);
  }
  return koffi.decode(ptr, proto) as F;
}
