import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';
import { resolveTrainConfig, type TrainConfig } from '@bigface/train/config';
import { applySetOverride } from './apply-set-override';
import { deepMerge } from './deep-merge';
import { loadConfigSource } from './load-config-source';

/** Where a training config comes from, lowest precedence first. */
export interface CliConfigSources {
  /** A preset name or a YAML/JSON file (which may itself `extends:` a preset or file). */
  config?: string;
  /** A partial config merged over the file (e.g. the `distill` command's teacher section). */
  overrides?: Record<string, unknown>;
  /** `--set key.path=value` assignments, applied in order. */
  sets?: readonly string[];
  /** First-class flags (highest precedence). */
  flags?: {
    output?: string;
    worldSize?: number;
    launcher?: string;
    seed?: number;
    backend?: string;
    precision?: string;
    steps?: number;
    epochs?: number;
    batch?: number;
    name?: string;
  };
  /** Directory relative paths (and the config file) resolve against. */
  cwd: string;
}

/**
 * Builds the training config: file/preset → command overrides → `--set` → flags; validates it with
 * @bigface/train's `resolveTrainConfig` (so an error names the key and the allowed values) and makes
 * every path in it absolute against `cwd`.
 *
 * @example
 * const { config } = resolveCliConfig({ config: 'synth-tiny-cosface', sets: ['loss.m=0.35'], flags: { seed: 3 }, cwd: process.cwd() });
 */
export function resolveCliConfig(sources: CliConfigSources): { input: Record<string, unknown>; config: TrainConfig } {
  if (sources.config === undefined) {
    throw new BigFaceError('USAGE_ERROR', 'no training config: give --config <preset | file.yaml> (see bigface train --list-presets)');
  }
  let input = loadConfigSource(sources.config, sources.cwd);
  if (sources.overrides) input = deepMerge(input, sources.overrides);
  for (const assignment of sources.sets ?? []) applySetOverride(input, assignment);
  const flags = sources.flags ?? {};
  const set = (keys: string[], value: unknown) => {
    if (value === undefined) return;
    let node = input as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) {
      if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]!] = value;
  };
  set(['outputDir'], flags.output);
  set(['distributed', 'worldSize'], flags.worldSize);
  set(['distributed', 'launcher'], flags.launcher);
  set(['seed'], flags.seed);
  set(['backend'], flags.backend);
  set(['precision'], flags.precision);
  set(['schedule', 'steps'], flags.steps);
  set(['schedule', 'epochs'], flags.epochs);
  set(['batch', 'perRank'], flags.batch);
  set(['name'], flags.name);
  const config = resolveTrainConfig(input);
  return { input, config: absolutePaths(config, sources.cwd) };
}

function absolutePaths(config: TrainConfig, cwd: string): TrainConfig {
  const absolute = (value: string) => path.resolve(cwd, value);
  const result = structuredClone(config);
  result.outputDir = absolute(result.outputDir);
  if (result.data.source === 'synth') result.data.cacheDir = absolute(result.data.cacheDir);
  else result.data.path = absolute(result.data.path);
  const teacher = result.distill?.teacher;
  if (teacher?.checkpoint) teacher.checkpoint = absolute(teacher.checkpoint);
  if (teacher?.cache) teacher.cache = absolute(teacher.cache);
  return result;
}
