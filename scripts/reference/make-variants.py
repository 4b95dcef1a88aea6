#!/usr/bin/env python3
"""Writes reference files with other sizes, to prove that the reference tests read their sizes from
the files they check (test-support/reference/README.md).

Usage (needs numpy):
    python3 scripts/reference/make-variants.py /tmp/reference-variants
    BIGFACE_REFERENCE_DIR=/tmp/reference-variants pnpm test

Every test must pass except the three that run iresnet-quarter-1111.onnx against the JSON's output
(resnet-zoo's onnx.test.ts and wasm-backend.test.ts): without PyTorch the ONNX export cannot be
remade for the variant model.

The folder gets a copy of test-support/reference/ in which these files are replaced by variants of
the same schema with other counts, shapes, seeds and hyperparameters (train-steps.* stay as they
are: no test reads them yet):

    tiny.bin + tiny-bin.json     7 pairs (4 genuine, 3 impostor) instead of 4, pickle protocol 4
    tiny.rec/.idx, property,     13 images of 5 identities (3, 2, 4, 1, 3) instead of 12 of 3, one
      tiny-rec.json              record split where the magic occurs, labels in the header and in a
                                 label array as the original has
    verification.json            237 pairs of 24-d embeddings instead of 300 of 32-d
    margin-losses.json           B 7, C 13, D 5; CosFace s 30 m 0.35, ArcFace s 48 m 0.3
    distill.json                 B 9, D 12
    lars.json                    parameters [5,3], [7], [2,2,3]; 7 steps; eta 2e-3, wd 1e-4,
                                 momentum 0.85; warm-up 4 to 0.02, x0.5 at steps 5 and 6
    iresnet-quarter-1111.json +  layers [2,1,1,2], widths 8-64, 24-d, batch 3 (the .onnx stays the
      .safetensors               original: the ONNX tests cannot run on this variant)

The expected values come from CPython (pickle, struct) and numpy only, never from BigFace-TS:
numpy forward passes in float64 with central finite differences for gradients, and insightface's
verification.py and IResNet re-written in numpy. Each re-written computation is first checked
against the original reference file (made by PyTorch / insightface), so the script fails if it
does not reproduce the reference it imitates.
"""
import importlib.util
import json
import os
import pickle
import shutil
import struct
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, '..', '..', 'test-support', 'reference')
MAGIC = 0xCED7230A


def load(name):
    with open(os.path.join(REFERENCE, name)) as handle:
        return json.load(handle)


def dump(out, name, value):
    with open(os.path.join(out, name), 'w') as handle:
        json.dump(value, handle)


def check(name, error, bound):
    print(f'  {name}: re-write vs the original reference {error:.3g} (bound {bound:g})')
    if not error <= bound:
        raise SystemExit(f'{name}: the numpy re-write does not reproduce the original reference ({error} > {bound})')


def relative(a, b):
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def finite_difference(f, x, h=1e-6):
    x = np.array(x, np.float64)
    gradient = np.zeros_like(x)
    for i in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.flat[i] += h
        minus.flat[i] -= h
        gradient.flat[i] = (f(plus) - f(minus)) / (2 * h)
    return gradient


# ---- JPEGs to build image files from: the originals' own (tiny.bin and tiny.rec) ----

def read_record(data, offset):
    parts = []
    while True:
        magic, word = struct.unpack('<II', data[offset:offset + 8])
        assert magic == MAGIC, offset
        flag, length = word >> 29, word & ((1 << 29) - 1)
        parts.append(data[offset + 8:offset + 8 + length])
        offset += 8 + (length + 3) // 4 * 4
        if flag in (0, 3):
            return struct.pack('<I', MAGIC).join(parts)


def original_jpegs():
    with open(os.path.join(REFERENCE, 'tiny.bin'), 'rb') as handle:
        images, _ = pickle.load(handle, encoding='bytes')
    jpegs = [bytes(image) for image in images]
    data = open(os.path.join(REFERENCE, 'tiny.rec'), 'rb').read()
    for line in open(os.path.join(REFERENCE, 'tiny.idx')).read().split('\n'):
        if not line:
            continue
        key, offset = map(int, line.split('\t'))
        payload = read_record(data, offset)
        flag = struct.unpack('<I', payload[:4])[0]
        image = payload[24 + 4 * flag:]
        end = image.rfind(b'\xff\xd9')
        if image[:2] == b'\xff\xd8' and end > 0:
            jpegs.append(image[:end + 2])
    return jpegs


# ---- tiny.bin ----

def make_tiny_bin(out, jpegs):
    issame = [True, False, False, True, True, False, True]
    images = jpegs[:2 * len(issame)]
    with open(os.path.join(out, 'tiny.bin'), 'wb') as handle:
        pickle.dump((images, issame), handle, protocol=4)
    spec = importlib.util.spec_from_file_location('describe_verification_bin', os.path.join(HERE, 'describe-verification-bin.py'))
    describe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(describe)
    dump(out, 'tiny-bin.json', describe.describe(os.path.join(out, 'tiny.bin')))


# ---- tiny.rec: MXNet RecordIO in the insightface layout, written as dmlc's RecordIOWriter does ----

def record_parts(payload):
    """dmlc RecordIOWriter::WriteRecord: split at every 4-byte-aligned magic word."""
    parts, start = [], 0
    for i in range(0, len(payload) // 4 * 4, 4):
        if struct.unpack('<I', payload[i:i + 4])[0] == MAGIC:
            parts.append(payload[start:i])
            start = i + 4
    parts.append(payload[start:])
    if len(parts) == 1:
        return [(0, parts[0])]
    return [(1, parts[0])] + [(2, part) for part in parts[1:-1]] + [(3, parts[-1])]


def write_rec(path, records):
    offsets, out = [], bytearray()
    for key, payload in records:
        offsets.append((key, len(out)))
        for flag, part in record_parts(payload):
            out += struct.pack('<II', MAGIC, (flag << 29) | len(part)) + part + b'\0' * ((4 - len(part) % 4) % 4)
    open(path, 'wb').write(bytes(out))
    open(path[:-4] + '.idx', 'w').write(''.join(f'{key}\t{offset}\n' for key, offset in offsets))


def make_tiny_rec(out, jpegs):
    counts = [3, 2, 4, 1, 3]
    labels = [label for label, count in enumerate(counts) for _ in range(count)]
    images = jpegs[:len(labels)]
    first_identity = len(images) + 1
    records = [(0, struct.pack('<IfQQ', 2, 0.0, 0, 0) + struct.pack('<2f', first_identity, first_identity + len(counts)))]
    for index, (label, jpeg) in enumerate(zip(labels, images)):
        key = index + 1
        # Half the images carry the label in the header, half in a one-element label array.
        if key % 2:
            payload = struct.pack('<IfQQ', 0, float(label), key, 0) + jpeg
        else:
            payload = struct.pack('<IfQQ', 1, 0.0, key, 0) + struct.pack('<f', label) + jpeg
        if key == 4:
            # Bytes after the JPEG's end put the magic at aligned offsets, so the writer splits it.
            payload += b'\0' * ((4 - len(payload) % 4) % 4) + struct.pack('<I', MAGIC) * 2 + b'tail'
            assert len(record_parts(payload)) == 3
        records.append((key, payload))
    start = 1
    for label, count in enumerate(counts):
        key = first_identity + label
        records.append((key, struct.pack('<IfQQ', 2, 0.0, key, 0) + struct.pack('<2f', start, start + count)))
        start += count
    write_rec(os.path.join(out, 'tiny.rec'), records)
    open(os.path.join(out, 'property'), 'w').write(f'{len(counts)},112,112\n')
    jpeg_bytes = [len(payload) - 24 - 4 * struct.unpack('<I', payload[:4])[0] for _, payload in records[1:1 + len(images)]]
    dump(out, 'tiny-rec.json', {
        'num_classes': len(counts),
        'images': [{'key': i + 1, 'label': label, 'jpeg_bytes': size} for i, (label, size) in enumerate(zip(labels, jpeg_bytes))],
        'note': 'variant made by scripts/reference/make-variants.py (CPython struct, dmlc/insightface layout)',
    })


def check_rec_writer():
    """The writer above must reproduce the original tiny.rec byte for byte from its own records."""
    data = open(os.path.join(REFERENCE, 'tiny.rec'), 'rb').read()
    records = []
    for line in open(os.path.join(REFERENCE, 'tiny.idx')).read().split('\n'):
        if line:
            key, offset = map(int, line.split('\t'))
            records.append((key, read_record(data, offset)))
    with tempfile.TemporaryDirectory() as directory:
        write_rec(os.path.join(directory, 'x.rec'), records)
        same = open(os.path.join(directory, 'x.rec'), 'rb').read() == data
        same_index = open(os.path.join(directory, 'x.idx')).read() == open(os.path.join(REFERENCE, 'tiny.idx')).read()
    check('RecordIO writer (byte differences)', 0 if same and same_index else 1, 0)


# ---- verification.json: insightface eval/verification.py evaluate() in numpy ----

def kfold(n, folds):
    """sklearn KFold(n_splits=folds, shuffle=False): the first n % folds folds get one more."""
    sizes = [n // folds + (1 if i < n % folds else 0) for i in range(folds)]
    start = 0
    for size in sizes:
        test = np.arange(start, start + size)
        yield np.setdiff1d(np.arange(n), test), test
        start += size


def accuracy(threshold, dist, issame):
    predict = np.less(dist, threshold)
    tp = np.sum(np.logical_and(predict, issame))
    fp = np.sum(np.logical_and(predict, np.logical_not(issame)))
    tn = np.sum(np.logical_and(np.logical_not(predict), np.logical_not(issame)))
    fn = np.sum(np.logical_and(np.logical_not(predict), issame))
    tpr = 0 if tp + fn == 0 else float(tp) / float(tp + fn)
    fpr = 0 if fp + tn == 0 else float(fp) / float(fp + tn)
    return tpr, fpr, float(tp + tn) / dist.size


def insightface_evaluate(embeddings, issame, folds=10):
    thresholds = np.arange(0, 4, 0.01)
    dist = np.sum(np.square(embeddings[0::2] - embeddings[1::2]), 1)
    tprs = np.zeros((folds, len(thresholds)))
    fprs = np.zeros((folds, len(thresholds)))
    accuracies = np.zeros(folds)
    for fold, (train, test) in enumerate(kfold(len(issame), folds)):
        train_accuracy = [accuracy(t, dist[train], issame[train])[2] for t in thresholds]
        best = int(np.argmax(train_accuracy))
        for i, t in enumerate(thresholds):
            tprs[fold, i], fprs[fold, i], _ = accuracy(t, dist[test], issame[test])
        accuracies[fold] = accuracy(thresholds[best], dist[test], issame[test])[2]
    return np.mean(tprs, 0), np.mean(fprs, 0), accuracies


def verification_arrays(reference):
    size = reference['embedding_size']
    embeddings = np.array(reference['embeddings'], np.float32).reshape(-1, size)
    return embeddings, np.array(reference['issame'], bool)


def make_verification(out, rng):
    original = load('verification.json')
    tpr, fpr, accuracies = insightface_evaluate(*verification_arrays(original))
    check('verification 10-fold accuracies', float(np.max(np.abs(accuracies - original['accuracy_per_fold']))), 0)
    check('verification TPR/FPR', max(float(np.max(np.abs(tpr - original['tpr_mean_over_folds']))), float(np.max(np.abs(fpr - original['fpr_mean_over_folds'])))), 1e-12)
    pairs, size = 237, 24
    issame = rng.random(pairs) < 0.5
    first = rng.standard_normal((pairs, size))
    noise = rng.standard_normal((pairs, size))
    second = np.where(issame[:, None], first + 0.9 * noise, noise)
    rows = np.empty((2 * pairs, size))
    rows[0::2], rows[1::2] = first, second
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    rows = rows.astype(np.float32)
    tpr, fpr, accuracies = insightface_evaluate(rows, issame)
    dump(out, 'verification.json', {
        'note': original['note'] + ' (variant made by scripts/reference/make-variants.py: numpy re-write of verification.py)',
        'embedding_size': size,
        'embeddings': [float(v) for v in rows.ravel()],
        'issame': [bool(v) for v in issame],
        'accuracy_mean': float(np.mean(accuracies)),
        'accuracy_std': float(np.std(accuracies)),
        'accuracy_per_fold': [float(v) for v in accuracies],
        'val': None, 'val_std': None, 'far': None,
        'tpr_mean_over_folds': [float(v) for v in tpr],
        'fpr_mean_over_folds': [float(v) for v in fpr],
    })


# ---- margin-losses.json: insightface CombinedMarginLoss, float64, gradients by finite differences ----

def margin_logits(case, embeddings, weights):
    e = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    w = weights / np.linalg.norm(weights, axis=1, keepdims=True)
    cosine = np.clip(e @ w.T, -1, 1)
    logits = cosine.copy()
    for row, label in enumerate(case['labels']):
        if label >= 0:
            theta = np.arccos(cosine[row, label])
            logits[row, label] = np.cos(case['m1'] * theta + case['m2']) - case['m3']
    return logits * case['s']


def margin_loss(case, embeddings, weights):
    logits = margin_logits(case, embeddings, weights)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = [row for row, label in enumerate(case['labels']) if label >= 0]
    return -np.mean([log_probabilities[row, case['labels'][row]] for row in rows])


def margin_case(case):
    B, C, D = case['B'], case['C'], case['D']
    embeddings = np.array(case['embeddings'], np.float64).reshape(B, D)
    weights = np.array(case['weights'], np.float64).reshape(C, D)
    return {
        'logits': margin_logits(case, embeddings, weights).ravel(),
        'loss': margin_loss(case, embeddings, weights),
        'grad_embeddings': finite_difference(lambda x: margin_loss(case, x, weights), embeddings).ravel(),
        'grad_weights': finite_difference(lambda x: margin_loss(case, embeddings, x), weights).ravel(),
    }


def make_margin_losses(out, rng):
    original = load('margin-losses.json')
    for case in original['cases']:
        ours = margin_case(case)
        check(f"{case['name']} logits, loss, gradients", max(relative(ours[k], case[k]) for k in ours), 1e-5)
    cases = []
    for name, s, m1, m2, m3 in [('cosface', 30.0, 1.0, 0.0, 0.35), ('arcface', 48.0, 1.0, 0.3, 0.0)]:
        B, C, D = 7, 13, 5
        case = {'name': name, 's': s, 'm1': m1, 'm2': m2, 'm3': m3, 'B': B, 'C': C, 'D': D,
                'embeddings': [float(v) for v in rng.standard_normal(B * D).astype(np.float32)],
                'weights': [float(v) for v in rng.standard_normal(C * D).astype(np.float32)],
                'labels': [int(v) for v in rng.integers(0, C, B)]}
        case.update({k: (float(v) if k == 'loss' else [float(x) for x in v]) for k, v in margin_case(case).items()})
        cases.append(case)
    dump(out, 'margin-losses.json', {'note': original['note'] + ' (variant made by scripts/reference/make-variants.py: numpy float64, finite differences)', 'cases': cases})


# ---- distill.json ----

def distill_loss(student, teacher):
    s = student / np.linalg.norm(student, axis=1, keepdims=True)
    t = teacher / np.linalg.norm(teacher, axis=1, keepdims=True)
    return np.mean(np.sum(np.square(s - t), axis=1))


def make_distill(out, rng):
    original = load('distill.json')
    B, D = original['B'], original['D']
    student = np.array(original['student'], np.float64).reshape(B, D)
    teacher = np.array(original['teacher'], np.float64).reshape(B, D)
    check('distill loss', abs(distill_loss(student, teacher) - original['loss']), 1e-6)
    check('distill gradient', float(np.max(np.abs(finite_difference(lambda x: distill_loss(x, teacher), student).ravel() - original['grad_student']))), 1e-6)
    B, D = 9, 12
    student = rng.standard_normal((B, D)).astype(np.float32).astype(np.float64)
    teacher = rng.standard_normal((B, D)).astype(np.float32).astype(np.float64)
    dump(out, 'distill.json', {
        'B': B, 'D': D,
        'student': [float(v) for v in student.ravel()], 'teacher': [float(v) for v in teacher.ravel()],
        'loss': float(distill_loss(student, teacher)),
        'grad_student': [float(v) for v in finite_difference(lambda x: distill_loss(x, teacher), student).ravel()],
        'note': original['note'] + ' (variant made by scripts/reference/make-variants.py: numpy float64, finite differences)',
    })


# ---- lars.json: the rule written in the file, in float32 as PyTorch ----

def lars_run(run):
    eta, wd, momentum, eps = (np.float32(run[k]) for k in ('eta', 'weight_decay', 'momentum', 'eps'))
    params = [np.array(p, np.float32).reshape(shape) for p, shape in zip(run['init'], run['shapes'])]
    velocity = [np.zeros_like(p) for p in params]
    trajectory = []
    for gradients, lr in zip(run['grads'], run['lrs']):
        for i, shape in enumerate(run['shapes']):
            g = np.array(gradients[i], np.float32).reshape(shape)
            w = params[i]
            if run['exclude_rank_le_1'] and len(shape) <= 1:
                d = g
            else:
                w_norm, g_norm = np.linalg.norm(w), np.linalg.norm(g)
                trust = eta * w_norm / (g_norm + wd * w_norm + eps)
                d = trust * (g + wd * w)
            velocity[i] = momentum * velocity[i] + d
            params[i] = (w - np.float32(lr) * velocity[i]).astype(np.float32)
        trajectory.append([p.ravel().copy() for p in params])
    return trajectory


def make_lars(out, rng):
    original = load('lars.json')
    for run in original['runs']:
        error = max(float(np.max(np.abs(ours - np.array(theirs)))) for step, step_ref in zip(lars_run(run), run['params_after_each_step']) for ours, theirs in zip(step, step_ref))
        check(f"LARS trajectory (exclude_rank_le_1={run['exclude_rank_le_1']})", error, 1e-6)
    shapes = [[5, 3], [7], [2, 2, 3]]
    base, warmup, milestones, gamma, steps = 0.02, 4, [5, 6], 0.5, 7
    lrs = [base * (step + 1) / warmup if step < warmup else base * gamma ** sum(step >= m for m in milestones) for step in range(steps)]
    init = [[float(v) for v in rng.standard_normal(int(np.prod(shape))).astype(np.float32)] for shape in shapes]
    grads = [[[float(v) for v in (0.1 * rng.standard_normal(int(np.prod(shape)))).astype(np.float32)] for shape in shapes] for _ in range(steps)]
    runs = []
    for exclude in (True, False):
        run = {'eta': 2e-3, 'weight_decay': 1e-4, 'momentum': 0.85, 'eps': 1e-8, 'exclude_rank_le_1': exclude,
               'shapes': shapes, 'init': init, 'grads': grads, 'lrs': lrs}
        run['params_after_each_step'] = [[[float(v) for v in p] for p in step] for step in lars_run(run)]
        runs.append(run)
    dump(out, 'lars.json', {'rule': original['rule'], 'runs': runs})


# ---- iresnet: insightface IResNet (IBasicBlock) in eval mode, numpy float64 ----

def conv(x, weight, stride, padding):
    n, c, h, w = x.shape
    out_channels, _, k, _ = weight.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_h, out_w = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    columns = np.empty((n, c, k, k, out_h, out_w))
    for i in range(k):
        for j in range(k):
            columns[:, :, i, j] = x[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride]
    return np.einsum('nckluv,ockl->nouv', columns, weight, optimize=True)


def batch_norm(x, state, name):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = state[f'{name}.running_mean'].reshape(shape), state[f'{name}.running_var'].reshape(shape)
    return (x - mean) / np.sqrt(var + 1e-5) * state[f'{name}.weight'].reshape(shape) + state[f'{name}.bias'].reshape(shape)


def prelu(x, weight):
    return np.where(x > 0, x, x * weight.reshape(1, -1, 1, 1))


def iresnet_forward(state, layers, x):
    x = prelu(batch_norm(conv(x, state['conv1.weight'], 1, 1), state, 'bn1'), state['prelu.weight'])
    for stage, blocks in enumerate(layers):
        for block in range(blocks):
            name = f'layer{stage + 1}.{block}'
            stride = 2 if block == 0 else 1
            y = batch_norm(x, state, f'{name}.bn1')
            y = conv(y, state[f'{name}.conv1.weight'], 1, 1)
            y = prelu(batch_norm(y, state, f'{name}.bn2'), state[f'{name}.prelu.weight'])
            y = batch_norm(conv(y, state[f'{name}.conv2.weight'], stride, 1), state, f'{name}.bn3')
            identity = batch_norm(conv(x, state[f'{name}.downsample.0.weight'], stride, 0), state, f'{name}.downsample.1') if block == 0 else x
            x = y + identity
    x = batch_norm(x, state, 'bn2').reshape(x.shape[0], -1)
    x = x @ state['fc.weight'].T + state['fc.bias']
    return batch_norm(x, state, 'features')


def read_safetensors(path):
    data = open(path, 'rb').read()
    length = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + length])
    return {name: np.frombuffer(data[8 + length + info['data_offsets'][0]:8 + length + info['data_offsets'][1]], np.float32).reshape(info['shape']).astype(np.float64)
            for name, info in header.items() if name != '__metadata__'}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, value in tensors:
        blob = np.ascontiguousarray(value, np.float32).tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(value.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def iresnet_state(rng, layers, widths, embedding_size, final):
    state = []

    def bn(name, channels):
        state.extend([(f'{name}.weight', 1 + 0.1 * rng.standard_normal(channels)), (f'{name}.bias', 0.1 * rng.standard_normal(channels)),
                      (f'{name}.running_mean', 0.1 * rng.standard_normal(channels)), (f'{name}.running_var', 0.5 + rng.random(channels))])

    def conv_weight(name, out, inp, k):
        state.append((name, rng.standard_normal((out, inp, k, k)) * np.sqrt(2 / (inp * k * k))))

    conv_weight('conv1.weight', widths[0], 3, 3)
    bn('bn1', widths[0])
    state.append(('prelu.weight', 0.25 + 0.05 * rng.standard_normal(widths[0])))
    inplanes = widths[0]
    for stage, blocks in enumerate(layers):
        for block in range(blocks):
            name, planes = f'layer{stage + 1}.{block}', widths[stage]
            bn(f'{name}.bn1', inplanes)
            conv_weight(f'{name}.conv1.weight', planes, inplanes, 3)
            bn(f'{name}.bn2', planes)
            state.append((f'{name}.prelu.weight', 0.25 + 0.05 * rng.standard_normal(planes)))
            conv_weight(f'{name}.conv2.weight', planes, planes, 3)
            bn(f'{name}.bn3', planes)
            if block == 0:
                conv_weight(f'{name}.downsample.0.weight', planes, inplanes, 1)
                bn(f'{name}.downsample.1', planes)
            inplanes = planes
    bn('bn2', widths[3])
    features = widths[3] * final * final
    state.extend([('fc.weight', rng.standard_normal((embedding_size, features)) / np.sqrt(features)), ('fc.bias', 0.1 * rng.standard_normal(embedding_size))])
    bn('features', embedding_size)
    # insightface fixes the BatchNorm1d scale at 1 (features.weight, requires_grad False).
    state = [(name, np.ones(embedding_size) if name == 'features.weight' else value.astype(np.float32).astype(np.float64)) for name, value in state]
    return state


def make_iresnet(out, rng):
    original = load('iresnet-quarter-1111.json')
    state = read_safetensors(os.path.join(REFERENCE, 'iresnet-quarter-1111.safetensors'))
    x = np.array(original['input_nchw'], np.float64).reshape(original['input_shape'])
    check('IResNet eval forward', relative(iresnet_forward(state, original['layers'], x), original['output']), 1e-5)
    layers, widths, embedding_size, batch = [2, 1, 1, 2], [8, 16, 32, 64], 24, 3
    state = iresnet_state(rng, layers, widths, embedding_size, final=7)
    x = rng.standard_normal((batch, 3, 112, 112)).astype(np.float32).astype(np.float64)
    output = iresnet_forward(dict(state), layers, x)
    write_safetensors(os.path.join(out, 'iresnet-quarter-1111.safetensors'), state)
    dump(out, 'iresnet-quarter-1111.json', {
        'layers': layers, 'widths': widths, 'embedding_size': embedding_size,
        'input_nchw': [float(v) for v in x.ravel()], 'input_shape': list(x.shape), 'output': [float(v) for v in output.ravel()],
        'note': original['note'] + ' (variant made by scripts/reference/make-variants.py: numpy float64; the .onnx is NOT this model)',
    })


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    shutil.copytree(REFERENCE, out, dirs_exist_ok=True)
    rng = np.random.default_rng(20261206)
    jpegs = original_jpegs()
    print('checking the numpy / CPython re-writes against the original reference files:')
    check_rec_writer()
    make_tiny_bin(out, jpegs)
    make_tiny_rec(out, jpegs)
    make_verification(out, rng)
    make_margin_losses(out, rng)
    make_distill(out, rng)
    make_lars(out, rng)
    make_iresnet(out, rng)
    print(f'wrote variants into {out}')


if __name__ == '__main__':
    main()
