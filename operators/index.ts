import { OperatorRegistry } from '../framework/index.ts';
import { HolovizOp } from './holoviz/index.ts';
import { PingRxOp, PingTxOp } from './ping/index.ts';
import { VideoStreamRecorderOp, VideoStreamReplayerOp } from './recording/index.ts';
import { ThrottleOp } from './stream/index.ts';
import { ImageWriterOp, TestPatternOp } from './video/index.ts';
import { WebRTCClientOp } from './webrtc/index.ts';
import { WebServerOp } from './web-server/index.ts';
import { WebRTCServerOp } from './webrtc-server/index.ts';

export { HolovizOp, ImageWriterOp, PingRxOp, PingTxOp, TestPatternOp, ThrottleOp, VideoStreamRecorderOp, VideoStreamReplayerOp, WebRTCClientOp, WebRTCServerOp, WebServerOp };

/** Every operator that ships with holots, by the name YAML uses. */
export function builtinRegistry(): OperatorRegistry {
  return new OperatorRegistry().register(PingTxOp, PingRxOp, TestPatternOp, ImageWriterOp, ThrottleOp, HolovizOp, WebServerOp, WebRTCClientOp, WebRTCServerOp, VideoStreamReplayerOp, VideoStreamRecorderOp);
}
