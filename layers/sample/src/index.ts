export {
  computeAggregates,
  fromScaled,
  normaliseAggregate,
  type SampleAggregate,
  toScaled,
  windowMs,
  windowOf,
} from './aggregates.js';
export { SampleError } from './errors.js';
export { parseEventLines, type SampleEvent, SampleEventInvalidError, sampleEventSchema } from './events.js';
export { type GenerateOptions, generateSampleEvents, seededRandom } from './generator.js';
