import { BigFaceError } from '@bigface/backend/errors';
import { parse as parseYaml } from 'yaml';
import { isPlainObject } from './deep-merge';

/**
 * Applies one `--set key.path=value` to a config object (in place). The value is read as a YAML
 * scalar or flow collection, so `loss.m=0.5`, `model.layers=[1,1,1,1]`, `data.flip=false` and
 * `name=my-run` all mean what they say; `key=null` removes the key.
 *
 * @example
 * applySetOverride(config, 'optimizer.lr=0.02'); // config.optimizer.lr === 0.02
 */
export function applySetOverride(config: Record<string, unknown>, assignment: string): void {
  const equals = assignment.indexOf('=');
  if (equals <= 0) throw new BigFaceError('USAGE_ERROR', `--set '${assignment}': expected key.path=value, e.g. --set loss.m=0.5`);
  const keyPath = assignment.slice(0, equals).trim();
  const text = assignment.slice(equals + 1);
  const keys = keyPath.split('.');
  if (keys.some((key) => key === '')) throw new BigFaceError('USAGE_ERROR', `--set '${assignment}': the key path '${keyPath}' has an empty part`);
  let value: unknown;
  try {
    value = text === '' ? '' : parseYaml(text);
  } catch {
    value = text;
  }
  let node: Record<string, unknown> = config;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === null) delete node[last];
  else node[last] = value;
}
