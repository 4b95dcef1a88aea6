// The "did you mean" of the CLI is @bigface/backend's (one for commands, presets and config keys).
export { didYouMean, editDistance } from '@bigface/backend/errors';
