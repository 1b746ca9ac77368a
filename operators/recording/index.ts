export { VideoStreamRecorderOp } from './recorder-op.ts';
export { VideoStreamReplayerOp } from './replayer-op.ts';
export { RecorderParams, ReplayerParams } from './params.ts';
export { EncodedFileWriter, RecordingError } from './encoded-file-writer.ts';
export { VideoFileReader, ReplayError, PICTURE_RING } from './video-file-reader.ts';
export { FrameEncoder, type EncodedPacket } from './frame-encoder.ts';
export { chooseContainer, EXTENSIONS, type Container } from './codecs.ts';
