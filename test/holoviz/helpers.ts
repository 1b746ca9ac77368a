/** RGBA of pixel (x, y) of a top-down RGBA buffer. */
export function px(buf: Uint8Array, width: number, x: number, y: number): [number, number, number, number] {
  const i = (Math.floor(y) * width + Math.floor(x)) * 4;
  return [buf[i], buf[i + 1], buf[i + 2], buf[i + 3]];
}

export function near(a: readonly number[], b: readonly number[], tol: number): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= tol);
}

/** Headless tests must not see an X server: the point is rendering with none. */
export function withoutDisplay(): void {
  delete process.env.DISPLAY;
  delete process.env.WAYLAND_DISPLAY;
}
