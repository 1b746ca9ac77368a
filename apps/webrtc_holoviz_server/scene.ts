/**
 * What webrtc_holoviz_server draws, as Holoviz geometry: a box and a circle that move, and a text line
 * with the frame count. The viewer page (viewer.html?scene) switches each on or off and picks the colour,
 * through POST /control -> WebServerOp.control -> this operator.
 */
import { z } from 'zod';
import { defineOperator, port } from '../../framework/index.ts';
import { Control, GeometryMessage } from '../../operators/messages/index.ts';

const COLORS = { red: [1, 0.1, 0.1, 1], green: [0.1, 1, 0.1, 1], blue: [0.2, 0.3, 1, 1] } as const;
const Settings = z.object({
  box: z.boolean().default(true),
  circle: z.boolean().default(true),
  text: z.boolean().default(true),
  color: z.enum(['red', 'green', 'blue']).default('red'),
});

export const SceneOp = defineOperator({
  name: 'SceneOp',
  description: 'moving geometry and text for HolovizOp, steered by settings from the page',
  params: z.object({}).strict(),
  inputs: { control: port(Control, { condition: 'none', capacity: 8 }) },
  outputs: { geometry: port(GeometryMessage) },
  initialize: () => ({ frame: 0, settings: Settings.parse({}) }),
  compute({ control }, emit, ctx) {
    if (control) {
      const parsed = Settings.safeParse({ ...ctx.state.settings, ...control });
      if (parsed.success) ctx.state.settings = parsed.data;
      else ctx.log.warn(`ignoring a control message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const s = ctx.state.settings;
    const t = ctx.state.frame++;
    const x = 0.1 + 0.3 * (0.5 + 0.5 * Math.sin(t / 30));
    // The box stays in the left half and the circle in the right, so each can be checked on its own.
    emit.geometry({ layer: 'box', data: s.box ? [[x, 0.35], [x + 0.15, 0.65]] : [], color: [...COLORS[s.color]] });
    emit.geometry({ layer: 'circle', data: s.circle ? [[0.75, 0.5, 0.2, 0.3]] : [], color: [...COLORS[s.color]] });
    emit.geometry({ layer: 'label', data: s.text ? [[0.05, 0.85, 0.06]] : [], text: s.text ? [`holots frame ${t}`] : [] });
  },
});
