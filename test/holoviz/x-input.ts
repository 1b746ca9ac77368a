import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';

const koffi: typeof KoffiModule = createRequire(import.meta.url)('koffi');

/** The leading fields of Xlib's XImage (the rest is not read). */
const XImageHead = koffi.struct('XImageHead', {
  width: 'int', height: 'int', xoffset: 'int', format: 'int', data: 'void *', byte_order: 'int', bitmap_unit: 'int',
  bitmap_bit_order: 'int', bitmap_pad: 'int', depth: 'int', bytes_per_line: 'int', bits_per_pixel: 'int',
});

/**
 * Real X input for window tests: XTest injects key presses into the X server, as a keyboard would,
 * so GLFW's own event path (X event -> key callback) is what gets exercised.
 */
export class XInput {
  private readonly x11 = koffi.load('libX11.so.6');
  private readonly xtst = koffi.load('libXtst.so.6');
  private readonly XOpenDisplay = this.x11.func('void *XOpenDisplay(const char *name)');
  private readonly XCloseDisplay = this.x11.func('int XCloseDisplay(void *dpy)');
  private readonly XFlush = this.x11.func('int XFlush(void *dpy)');
  private readonly XSync = this.x11.func('int XSync(void *dpy, int discard)');
  private readonly XKeysymToKeycode = this.x11.func('uint8_t XKeysymToKeycode(void *dpy, unsigned long keysym)');
  private readonly XTestFakeKeyEvent = this.xtst.func('int XTestFakeKeyEvent(void *dpy, unsigned int keycode, int is_press, unsigned long delay)');
  private readonly XTestFakeMotionEvent = this.xtst.func('int XTestFakeMotionEvent(void *dpy, int screen, int x, int y, unsigned long delay)');
  private readonly XDefaultRootWindow = this.x11.func('unsigned long XDefaultRootWindow(void *dpy)');
  private readonly XGetImage = this.x11.func('void *XGetImage(void *dpy, unsigned long drawable, int x, int y, unsigned int w, unsigned int h, unsigned long plane_mask, int format)');
  private readonly XDestroyImage = this.x11.func('int XDestroyImage(void *image)');
  private dpy: bigint | null;

  constructor(display: string) {
    this.dpy = this.XOpenDisplay(display);
    if (!this.dpy) throw new Error(`XOpenDisplay(${display}) failed`);
  }

  /** Moves the pointer (with no window manager, keyboard focus follows the pointer). */
  moveTo(x: number, y: number): void {
    this.XTestFakeMotionEvent(this.dpy, -1, x, y, 0);
    this.XSync(this.dpy, 0);
  }

  /** Presses and releases a key given by X keysym (XK_Escape = 0xff1b, XK_a = 0x61). */
  tap(keysym: number): void {
    const code = this.XKeysymToKeycode(this.dpy, keysym);
    this.XTestFakeKeyEvent(this.dpy, code, 1, 0);
    this.XTestFakeKeyEvent(this.dpy, code, 0, 0);
    this.XFlush(this.dpy);
  }

  /**
   * What the X server shows in a screen rectangle (XGetImage on the root window), RGBA top row first:
   * the pixels a user would see, independent of GL.
   */
  capture(x: number, y: number, w: number, h: number): Uint8Array {
    const img = this.XGetImage(this.dpy, this.XDefaultRootWindow(this.dpy), x, y, w, h, 0xffffffffn, 2 /* ZPixmap */);
    if (!img) throw new Error('XGetImage failed');
    try {
      const head = koffi.decode(img, XImageHead) as { data: bigint; bytes_per_line: number; bits_per_pixel: number };
      if (head.bits_per_pixel !== 32) throw new Error(`expected a 32-bit X image, got ${head.bits_per_pixel}`);
      const src = new Uint8Array(koffi.view(head.data, head.bytes_per_line * h));
      const out = new Uint8Array(w * h * 4);
      for (let row = 0; row < h; row++) for (let col = 0; col < w; col++) {
        const s = row * head.bytes_per_line + col * 4, d = (row * w + col) * 4;
        out[d] = src[s + 2]; out[d + 1] = src[s + 1]; out[d + 2] = src[s]; out[d + 3] = 255; // BGRX
      }
      return out;
    } finally {
      this.XDestroyImage(img);
    }
  }

  close(): void {
    if (this.dpy) this.XCloseDisplay(this.dpy);
    this.dpy = null;
  }
}
