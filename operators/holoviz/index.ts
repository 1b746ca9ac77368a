export { HolovizOp, HolovizParams, KeyEventMessage, KeyEventSchema } from './holoviz-op.ts';
export {
  GeometryMessage, GeometryMessageSchema, GeometryType, ImageMessage, ImageMessageSchema, LayerSpec, LayerType, classifyInput,
  type HolovizInput, type LayerSpecInput,
} from './layers.ts';
export { Renderer, type LayerStyle } from './renderer/renderer.ts';
export type { ContextProvider, KeyEvent } from './context/context-provider.ts';
export { EglHeadlessProvider, type HeadlessPlatform } from './context/egl-headless.ts';
export { GlfwWindowProvider } from './context/glfw-window.ts';
export { letterbox, type PixelRect } from './renderer/letterbox.ts';
export { createContextProvider, hasDisplay } from './context/choose-provider.ts';
export { yuvToRgbMatrix } from './renderer/yuv-matrix.ts';
