/** Internal constants and helpers of the MXNet RecordIO container (dmlc-core `recordio.h`). */

/** Every record part starts with this little-endian uint32. */
export const RECORD_MAGIC = 0xced7230a;
/** The low 29 bits of the second word hold the part's length; the top 3 its continuation flag. */
export const LENGTH_MASK = (1 << 29) - 1;

/** Bytes of padding that round `length` up to a multiple of 4. */
export function paddedLength(length: number): number {
  return (length + 3) & ~3;
}
