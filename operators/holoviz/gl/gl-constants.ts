/** The OpenGL enum values the renderer uses (from the Khronos gl.xml registry). */
export const GL_NO_ERROR = 0;
export const GL_VENDOR = 0x1f00;
export const GL_RENDERER = 0x1f01;
export const GL_VERSION = 0x1f02;

export const GL_COLOR_BUFFER_BIT = 0x4000;
export const GL_BLEND = 0x0be2;
export const GL_SCISSOR_TEST = 0x0c11;
export const GL_PROGRAM_POINT_SIZE = 0x8642;
export const GL_SRC_ALPHA = 0x0302;
export const GL_ONE_MINUS_SRC_ALPHA = 0x0303;
export const GL_ONE = 1;

export const GL_UNPACK_ALIGNMENT = 0x0cf5;
export const GL_UNPACK_ROW_LENGTH = 0x0cf2;
export const GL_PACK_ALIGNMENT = 0x0d05;

export const GL_TEXTURE_2D = 0x0de1;
export const GL_TEXTURE0 = 0x84c0;
export const GL_TEXTURE_MIN_FILTER = 0x2801;
export const GL_TEXTURE_MAG_FILTER = 0x2800;
export const GL_TEXTURE_WRAP_S = 0x2802;
export const GL_TEXTURE_WRAP_T = 0x2803;
export const GL_LINEAR = 0x2601;
export const GL_NEAREST = 0x2600;
export const GL_CLAMP_TO_EDGE = 0x812f;

export const GL_UNSIGNED_BYTE = 0x1401;
export const GL_FLOAT = 0x1406;
export const GL_RED = 0x1903;
export const GL_RG = 0x8227;
export const GL_RGB = 0x1907;
export const GL_RGBA = 0x1908;
export const GL_R8 = 0x8229;
export const GL_RG8 = 0x822b;
export const GL_RGB8 = 0x8051;
export const GL_RGBA8 = 0x8058;

export const GL_FRAMEBUFFER = 0x8d40;
export const GL_READ_FRAMEBUFFER = 0x8ca8;
export const GL_DRAW_FRAMEBUFFER = 0x8ca9;
export const GL_COLOR_ATTACHMENT0 = 0x8ce0;
export const GL_FRAMEBUFFER_COMPLETE = 0x8cd5;
export const GL_BACK = 0x0405;
export const GL_FRONT = 0x0404;

export const GL_VERTEX_SHADER = 0x8b31;
export const GL_FRAGMENT_SHADER = 0x8b30;
export const GL_COMPILE_STATUS = 0x8b81;
export const GL_LINK_STATUS = 0x8b82;

export const GL_ARRAY_BUFFER = 0x8892;
export const GL_DYNAMIC_DRAW = 0x88e8;
export const GL_STREAM_DRAW = 0x88e0;
export const GL_TRIANGLES = 0x0004;
export const GL_TRIANGLE_STRIP = 0x0005;
export const GL_POINTS = 0x0000;
