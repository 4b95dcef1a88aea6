import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';
import { parse as parseYaml } from 'yaml';
import { didYouMean } from '../did-you-mean';
import { deepMerge, isPlainObject } from './deep-merge';
import { PRESETS } from './presets';

/**
 * Reads a config source: a preset name or a YAML/JSON file, following `extends:` (a preset name or
 * another file, relative to the extending file) and merging each level's overrides over its base.
 * Throws `PRESET_UNKNOWN` (with the preset names and a close match), `CONFIG_FILE_INVALID` (parse
 * error with line) or `CONFIG_EXTENDS_CYCLE`.
 *
 * @example
 * loadConfigSource('webface42m-r240-distill', process.cwd()).distill; // { teacher: ..., lambda: 9 }
 */
export function loadConfigSource(source: string, directory: string, chain: string[] = []): Record<string, unknown> {
  const preset = Object.hasOwn(PRESETS, source) ? PRESETS[source]! : undefined;
  const filePath = path.resolve(directory, source);
  const looksLikeFile = /\.(ya?ml|json)$/i.test(source) || source.includes('/') || source.includes(path.sep);
  if (preset === undefined && !existsSync(filePath)) {
    const names = Object.keys(PRESETS);
    const close = didYouMean(source, names);
    throw new BigFaceError(
      looksLikeFile ? 'CONFIG_FILE_NOT_FOUND' : 'PRESET_UNKNOWN',
      looksLikeFile
        ? `config file '${source}' does not exist (looked at ${filePath})`
        : `unknown preset '${source}'${close ? ` (did you mean '${close}'?)` : ''}: choose one of ${names.join(', ')}, or give a .yaml/.json file`,
    );
  }
  const key = preset ? `preset:${source}` : filePath;
  if (chain.includes(key)) throw new BigFaceError('CONFIG_EXTENDS_CYCLE', `config 'extends' forms a cycle: ${[...chain, key].join(' -> ')}`);
  let document: Record<string, unknown>;
  let baseDirectory = directory;
  if (preset) {
    document = preset.extends ? { extends: preset.extends, ...preset.config } : structuredClone(preset.config);
  } else {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(filePath, 'utf8'));
    } catch (error) {
      throw new BigFaceError('CONFIG_FILE_INVALID', `config file '${source}' is not valid YAML/JSON: ${(error as Error).message.split('\n')[0]}`);
    }
    if (parsed === null || parsed === undefined) parsed = {};
    if (!isPlainObject(parsed))
      throw new BigFaceError(
        'CONFIG_FILE_INVALID',
        `config file '${source}' must hold a mapping (key: value), got ${Array.isArray(parsed) ? 'a list' : typeof parsed}`,
      );
    document = parsed;
    baseDirectory = path.dirname(filePath);
  }
  const { extends: parent, ...rest } = document;
  if (parent === undefined) return rest;
  if (typeof parent !== 'string' || parent === '') {
    throw new BigFaceError('CONFIG_INVALID', `extends: got ${JSON.stringify(parent)}; expected a preset name or a file path`);
  }
  return deepMerge(loadConfigSource(parent, baseDirectory, [...chain, key]), rest);
}
