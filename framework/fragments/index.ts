export { FragmentMap, checkFragments, crossingFlows, flowKey, type CrossingFlow } from './fragment-map.ts';
export { prepareFragments, runFragments, type FragmentOptions, type PreparedFragments } from './fragment-app.ts';
export { FragmentSetupError, type NatsOptions } from './nats-connect.ts';
export { CreditLedger } from './credit.ts';
export { SequenceGaps } from './sequence-gaps.ts';
