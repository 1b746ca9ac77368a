/**
 * The time code drawn into pictures so that whoever sees them (a browser, a test, a benchmark) can tell
 * when each was made: a millisecond wall-clock time as this many black/white blocks across the top
 * eighth, most significant bit first. operators/video draws it; testkit/timecode.ts and the viewer page
 * (through WebServerOp's /holots/constants.js) read it back.
 */
export const TIME_CODE_BITS = 44;
