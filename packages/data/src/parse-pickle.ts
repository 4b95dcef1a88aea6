import { BigFaceError } from '@bigface/backend/errors';

/** Values the safe pickle subset can produce. */
export type PickleValue = null | boolean | number | bigint | string | Buffer | PickleValue[] | { tuple: PickleValue[] };

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/**
 * Parses the data-only subset of Python's pickle (protocols 0-5) that insightface `.bin` files use:
 * lists, tuples, bytes/str, bools, ints, floats, None, memo. Nothing is ever executed: opcodes that
 * import or call (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, EXT*, PERSID, ...) and any
 * unknown opcode are refused with PICKLE_UNSUPPORTED_OPCODE naming the byte offset. Tuples come back
 * as `{ tuple: [...] }` so they stay distinguishable from lists.
 *
 * @example
 * import { parsePickle } from '@bigface/data';
 * const value = parsePickle(buffer, 'lfw.bin');
 */
export function parsePickle(bytes: Buffer, fileName = 'pickle'): PickleValue {
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let position = 0;
  const fail = (code: string, message: string, at: number): never => {
    throw new BigFaceError(code, `${fileName}: ${message} at offset ${at}`);
  };
  const need = (count: number, at: number) => {
    if (position + count > bytes.length)
      fail('PICKLE_TRUNCATED', `pickle ends inside an opcode (needs ${count} more bytes, has ${bytes.length - position}); the file was cut short`, at);
  };
  const readLine = (at: number): string => {
    const end = bytes.indexOf(0x0a, position);
    if (end < 0) fail('PICKLE_TRUNCATED', 'pickle ends inside a text opcode', at);
    const line = bytes.toString('latin1', position, end);
    position = end + 1;
    return line;
  };
  const pop = (at: number): PickleValue => {
    const value = stack.pop();
    if (value === undefined || value === MARK) fail('PICKLE_INVALID', 'stack underflow (malformed pickle)', at);
    return value as PickleValue;
  };
  const popToMark = (at: number): PickleValue[] => {
    const markIndex = stack.lastIndexOf(MARK);
    if (markIndex < 0) fail('PICKLE_INVALID', 'no MARK on the stack (malformed pickle)', at);
    const items = stack.splice(markIndex) as PickleValue[];
    items.shift();
    return items;
  };
  const top = (at: number): PickleValue => {
    const value = stack[stack.length - 1];
    if (value === undefined || value === MARK) fail('PICKLE_INVALID', 'stack underflow (malformed pickle)', at);
    return value as PickleValue;
  };
  const appendTo = (list: PickleValue, items: PickleValue[], at: number) => {
    if (!Array.isArray(list)) fail('PICKLE_INVALID', 'APPEND to something that is not a list', at);
    (list as PickleValue[]).push(...items);
  };
  const bytesOf = (length: number, at: number): Buffer => {
    need(length, at);
    const value = bytes.subarray(position, position + length);
    position += length;
    return value;
  };

  while (position < bytes.length) {
    const at = position;
    const opcode = bytes[position++]!;
    switch (opcode) {
      case 0x80: // PROTO
        need(1, at);
        position += 1;
        break;
      case 0x95: // FRAME
        need(8, at);
        position += 8;
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail('PICKLE_INVALID', `STOP with ${stack.length} items on the stack, expected 1`, at);
        return pop(at);
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push({ tuple: [] });
        break;
      case 0x6c: // LIST
        stack.push(popToMark(at));
        break;
      case 0x74: // TUPLE
        stack.push({ tuple: popToMark(at) });
        break;
      case 0x85: // TUPLE1
        stack.push({ tuple: [pop(at)] });
        break;
      case 0x86: {
        // TUPLE2
        const b = pop(at);
        const a = pop(at);
        stack.push({ tuple: [a, b] });
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop(at);
        const b = pop(at);
        const a = pop(at);
        stack.push({ tuple: [a, b, c] });
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop(at);
        appendTo(top(at), [item], at);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popToMark(at);
        appendTo(top(at), items, at);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        need(1, at);
        stack.push(bytes.readUInt8(position));
        position += 1;
        break;
      case 0x4d: // BININT2
        need(2, at);
        stack.push(bytes.readUInt16LE(position));
        position += 2;
        break;
      case 0x4a: // BININT
        need(4, at);
        stack.push(bytes.readInt32LE(position));
        position += 4;
        break;
      case 0x8a: {
        // LONG1
        need(1, at);
        const length = bytes[position++]!;
        const data = bytesOf(length, at);
        let value = 0n;
        for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i]!);
        if (length > 0 && data[length - 1]! >= 0x80) value -= 1n << BigInt(8 * length);
        stack.push(Number.isSafeInteger(Number(value)) ? Number(value) : value);
        break;
      }
      case 0x49: {
        // INT (text); protocol 0/1 bools are I01 / I00
        const line = readLine(at);
        if (line === '01') stack.push(true);
        else if (line === '00') stack.push(false);
        else {
          const value = Number(line);
          if (!Number.isFinite(value)) fail('PICKLE_INVALID', `INT with text '${line.slice(0, 20)}'`, at);
          stack.push(value);
        }
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8, at);
        stack.push(bytes.readDoubleBE(position));
        position += 8;
        break;
      case 0x43: {
        // SHORT_BINBYTES
        need(1, at);
        const length = bytes[position++]!;
        stack.push(bytesOf(length, at));
        break;
      }
      case 0x42: {
        // BINBYTES
        need(4, at);
        const length = bytes.readUInt32LE(position);
        position += 4;
        stack.push(bytesOf(length, at));
        break;
      }
      case 0x8e: {
        // BINBYTES8
        need(8, at);
        const length = Number(bytes.readBigUInt64LE(position));
        position += 8;
        stack.push(bytesOf(length, at));
        break;
      }
      case 0x55: {
        // SHORT_BINSTRING (Python 2 str: bytes, as pickle.load(encoding='bytes') gives)
        need(1, at);
        const length = bytes[position++]!;
        stack.push(bytesOf(length, at));
        break;
      }
      case 0x54: {
        // BINSTRING
        need(4, at);
        const length = bytes.readInt32LE(position);
        position += 4;
        if (length < 0) fail('PICKLE_INVALID', `BINSTRING with negative length ${length}`, at);
        stack.push(bytesOf(length, at));
        break;
      }
      case 0x8c: {
        // SHORT_BINUNICODE
        need(1, at);
        const length = bytes[position++]!;
        stack.push(bytesOf(length, at).toString('utf8'));
        break;
      }
      case 0x58: {
        // BINUNICODE
        need(4, at);
        const length = bytes.readUInt32LE(position);
        position += 4;
        stack.push(bytesOf(length, at).toString('utf8'));
        break;
      }
      case 0x94: // MEMOIZE
        memo.set(memo.size, top(at));
        break;
      case 0x71: // BINPUT
        need(1, at);
        memo.set(bytes[position++]!, top(at));
        break;
      case 0x72: // LONG_BINPUT
        need(4, at);
        memo.set(bytes.readUInt32LE(position), top(at));
        position += 4;
        break;
      case 0x70: // PUT
        memo.set(Number(readLine(at)), top(at));
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET
        let index: number;
        if (opcode === 0x68) {
          need(1, at);
          index = bytes[position++]!;
        } else if (opcode === 0x6a) {
          need(4, at);
          index = bytes.readUInt32LE(position);
          position += 4;
        } else index = Number(readLine(at));
        if (!memo.has(index)) fail('PICKLE_INVALID', `GET of memo ${index}, which was never stored`, at);
        stack.push(memo.get(index)!);
        break;
      }
      case 0x30: // POP
        pop(at);
        break;
      default:
        fail(
          'PICKLE_UNSUPPORTED_OPCODE',
          `refusing pickle opcode 0x${opcode.toString(16).padStart(2, '0')}${OPCODE_NAMES[opcode] ? ` (${OPCODE_NAMES[opcode]})` : ''}: only plain data (lists, tuples, bytes, bools, numbers) is read, never code or objects; re-save the file as (list of bytes, list of bool)`,
          at,
        );
    }
  }
  return fail('PICKLE_TRUNCATED', 'pickle has no STOP opcode; the file was cut short', position);
}

const OPCODE_NAMES: Record<number, string> = {
  0x63: 'GLOBAL',
  0x93: 'STACK_GLOBAL',
  0x52: 'REDUCE',
  0x62: 'BUILD',
  0x69: 'INST',
  0x6f: 'OBJ',
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x7d: 'EMPTY_DICT',
  0x64: 'DICT',
  0x73: 'SETITEM',
  0x75: 'SETITEMS',
  0x8f: 'EMPTY_SET',
  0x97: 'NEXT_BUFFER',
};
