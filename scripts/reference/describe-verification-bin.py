#!/usr/bin/env python3
"""Describes an insightface verification .bin as CPython's pickle reads it, for tests to compare with.

Usage: python3 scripts/reference/describe-verification-bin.py test-support/reference/tiny.bin > test-support/reference/tiny-bin.json

The .bin is pickle.dumps((list of JPEG bytes, list of issame bools)): images 2i and 2i+1 are pair i.
The output is {"pairs", "issame", "images": [{"bytes", "sha256", "width", "height"}]} (the size from
each JPEG's start-of-frame marker): what a reader of the file must return, computed by CPython and
nothing of BigFace-TS.
"""
import hashlib
import json
import pickle
import struct
import sys


def jpeg_size(data):
    """(width, height) from the first start-of-frame marker of a JPEG, by the JPEG syntax alone."""
    if data[:2] != b'\xff\xd8':
        raise SystemExit('not a JPEG: no SOI marker')
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            raise SystemExit(f'JPEG marker expected at offset {offset}')
        marker = data[offset + 1]
        length = struct.unpack('>H', data[offset + 2:offset + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack('>HH', data[offset + 5:offset + 9])
            return width, height
        offset += 2 + length
    raise SystemExit('JPEG without a start-of-frame marker')


def describe_image(image):
    width, height = jpeg_size(image)
    return {'bytes': len(image), 'sha256': hashlib.sha256(image).hexdigest(), 'width': width, 'height': height}


def describe(path):
    with open(path, 'rb') as handle:
        images, issame = pickle.load(handle, encoding='bytes')
    if len(images) != 2 * len(issame):
        raise SystemExit(f'{path}: {len(images)} images for {len(issame)} pairs; a verification .bin holds 2 per pair')
    return {
        'note': f'CPython {sys.version.split()[0]} pickle.load of the .bin: images 2i and 2i+1 are pair i',
        'pairs': len(issame),
        'issame': [bool(value) for value in issame],
        'images': [describe_image(bytes(image)) for image in images],
    }


if __name__ == '__main__':
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    json.dump(describe(sys.argv[1]), sys.stdout, indent=1)
    sys.stdout.write('\n')
