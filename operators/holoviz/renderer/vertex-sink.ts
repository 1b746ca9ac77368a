/** A growable array of (x, y, u, v) vertices, reused from frame to frame so updates don't allocate. */
export class VertexSink {
  data = new Float32Array(4 * 256);
  count = 0;

  reset(): void { this.count = 0; }

  push(x: number, y: number, u = 0, v = 0): void {
    let i = this.count * 4;
    if (i + 4 > this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const d = this.data;
    d[i++] = x; d[i++] = y; d[i++] = u; d[i] = v;
    this.count++;
  }

  /** Two triangles for the quad a-b-c-d (in order around it). */
  quad(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): void {
    this.push(ax, ay); this.push(bx, by); this.push(cx, cy);
    this.push(ax, ay); this.push(cx, cy); this.push(dx, dy);
  }

  /** A segment `width` pixels wide with square caps, as two triangles. */
  segment(x0: number, y0: number, x1: number, y1: number, width: number): void {
    let dx = x1 - x0, dy = y1 - y0;
    const len = Math.hypot(dx, dy);
    if (len === 0) { dx = 1; dy = 0; } else { dx /= len; dy /= len; }
    const h = width / 2;
    // Square caps extend each end by half the width, so corners of strips and outlines close.
    const ax = x0 - dx * h, ay = y0 - dy * h, bx = x1 + dx * h, by = y1 + dy * h;
    const nx = -dy * h, ny = dx * h;
    this.quad(ax + nx, ay + ny, bx + nx, by + ny, bx - nx, by - ny, ax - nx, ay - ny);
  }
}
