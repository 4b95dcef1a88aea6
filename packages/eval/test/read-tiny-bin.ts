// Test-only reader for the reference tiny.bin (a pickle, protocol 4, of (list of JPEG bytes, list of
// bools)): just the opcodes that file uses. The real reader belongs to @bigface/data.
export function readTinyBin(bytes: Uint8Array): { jpegs: Uint8Array[]; issame: boolean[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  let position = 0;
  for (;;) {
    const op = bytes[position++]!;
    switch (op) {
      case 0x80: position += 1; break; // PROTO n
      case 0x95: position += 8; break; // FRAME length
      case 0x94: break; // MEMOIZE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x42: { // BINBYTES (uint32 length)
        const length = view.getUint32(position, true);
        position += 4;
        stack.push(bytes.subarray(position, position + length));
        position += length;
        break;
      }
      case 0x65: { // APPENDS
        const items = stack.splice(marks.pop()!);
        (stack.at(-1) as unknown[]).push(...items);
        break;
      }
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x86: stack.push(stack.splice(-2)); break; // TUPLE2
      case 0x2e: { // STOP
        const [jpegs, issame] = stack.pop() as [Uint8Array[], boolean[]];
        return { jpegs, issame };
      }
      default:
        throw new Error(`readTinyBin: unexpected opcode 0x${op.toString(16)} at ${position - 1}`);
    }
  }
}
