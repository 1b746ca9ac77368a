import { HolovizOp } from './holoviz/index.ts';
import { PingRxOp, PingTxOp } from './ping/index.ts';
import { VideoStreamRecorderOp, VideoStreamReplayerOp } from './recording/index.ts';
import { ThrottleOp } from './stream/index.ts';
import { ImageWriterOp, TestPatternOp } from './video/index.ts';
import { WebRTCClientOp } from './webrtc/index.ts';
import { WebServerOp } from './web-server/index.ts';
import { WebRTCServerOp } from './webrtc-server/index.ts';

export { HolovizOp, ImageWriterOp, PingRxOp, PingTxOp, TestPatternOp, ThrottleOp, VideoStreamRecorderOp, VideoStreamReplayerOp, WebRTCClientOp, WebRTCServerOp, WebServerOp };

export { builtinRegistry } from './builtins.ts';
