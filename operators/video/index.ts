export { TestPatternOp, TestPatternParams, renderTestPattern, rgbToYuv601, fillRect, COLOR_BARS } from './test-pattern.ts';
export { ImageWriterOp, ImageWriterParams, encodePng } from './image-writer.ts';
export { frameToRgba } from './frame-to-rgb.ts';
export { drawTimeCode, TIME_CODE_BITS } from './time-code.ts';
