/**
 * GLSL 3.30 core sources. Positions reach the vertex shaders in pixels of the render target with the
 * origin top-left; the render target is an FBO whose first row in memory is the top of the picture,
 * so pixel y maps to GL y without a flip.
 */

/** Image formats the image shader knows; each gets its own compiled variant (no per-pixel branching). */
export const IMAGE_FORMAT_IDS = { rgba: 0, rgb: 1, gray: 2, yuv420p: 3, nv12: 4 } as const;

export const IMAGE_VERTEX = `#version 330 core
out vec2 v_uv;
void main() {
  // A quad from gl_VertexID (triangle strip of 4): no vertex buffer needed.
  vec2 p = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
  v_uv = p;
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
`;

/**
 * The image shader for one format. `direct`: the frame has the render target's size, so each
 * fragment reads its own texel with texelFetch (chroma: the texel covering it) and skips filtering,
 * which is most of the cost on a software rasterizer such as llvmpipe.
 */
export function imageFragment(format: keyof typeof IMAGE_FORMAT_IDS, direct: boolean): string {
  return `#version 330 core
#define FORMAT ${IMAGE_FORMAT_IDS[format]}
#define DIRECT ${direct ? 1 : 0}
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_plane0;
uniform sampler2D u_plane1;
uniform sampler2D u_plane2;
uniform mat3 u_yuv_matrix;   // YUV (offset removed, 0..1 scale) to RGB, range scaling folded in
uniform vec3 u_yuv_offset;
uniform float u_opacity;
#if DIRECT
#define LUMA(t) texelFetch(t, ivec2(gl_FragCoord.xy), 0)
#define CHROMA(t) texelFetch(t, ivec2(gl_FragCoord.xy) >> 1, 0)
#else
#define LUMA(t) texture(t, v_uv)
#define CHROMA(t) texture(t, v_uv)
#endif
void main() {
  vec4 c;
#if FORMAT == 0
  c = LUMA(u_plane0);
#elif FORMAT == 1
  c = vec4(LUMA(u_plane0).rgb, 1.0);
#elif FORMAT == 2
  c = vec4(vec3(LUMA(u_plane0).r), 1.0);
#else
  float y = LUMA(u_plane0).r;
#if FORMAT == 3
  vec2 cbcr = vec2(CHROMA(u_plane1).r, CHROMA(u_plane2).r);
#else
  vec2 cbcr = CHROMA(u_plane1).rg;
#endif
  c = vec4(clamp(u_yuv_matrix * (vec3(y, cbcr) - u_yuv_offset), 0.0, 1.0), 1.0);
#endif
  o_color = vec4(c.rgb, c.a * u_opacity);
}
`;
}

export const GEOMETRY_VERTEX = `#version 330 core
layout(location = 0) in vec4 a_pos_uv;   // xy: pixels, zw: atlas coordinates (text)
uniform vec2 u_size;
uniform float u_point_size;
out vec2 v_uv;
void main() {
  gl_Position = vec4(a_pos_uv.xy / u_size * 2.0 - 1.0, 0.0, 1.0);
  gl_PointSize = u_point_size;
  v_uv = a_pos_uv.zw;
}
`;

export const GEOMETRY_MODE = { solid: 0, point: 1, text: 2 } as const;

export const GEOMETRY_FRAGMENT = `#version 330 core
in vec2 v_uv;
out vec4 o_color;
uniform vec4 u_color;
uniform int u_mode;
uniform sampler2D u_atlas;
void main() {
  float a = 1.0;
  if (u_mode == 1) {
    vec2 d = gl_PointCoord * 2.0 - 1.0;   // round points, as Holoviz draws them
    if (dot(d, d) > 1.0) discard;
  } else if (u_mode == 2) {
    a = texture(u_atlas, v_uv).r;
  }
  o_color = vec4(u_color.rgb, u_color.a * a);
}
`;
