import { isBigFaceError } from '@bigface/backend';

/** What `f` throws, as `CODE: message` for a BigFaceError (else its text), or undefined when it does not throw. */
export function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    return isBigFaceError(error) ? `${error.code}: ${error.message}` : String(error);
  }
  return undefined;
}
