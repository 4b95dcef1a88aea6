# The PyTorch side of vs-pytorch.mjs: the same cases on the same machine, one JSON line each.
# insightface's IResNet (IBasicBlock, features BatchNorm1d with a frozen scale) written out here,
# PyTorch's own SGD step, eval-mode inference, autocast bf16, and a PartialFC step (cosine logits +
# CosFace margin + cross-entropy + backward + LARS on the centres). Needs Debian's python3-torch.
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]); cases = sys.argv[2].split(','); steps = int(sys.argv[3])
torch.set_num_threads(threads); torch.manual_seed(0)

class Block(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes, eps=1e-5)
        self.conv1 = nn.Conv2d(inplanes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-5)
        self.prelu = nn.PReLU(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes, eps=1e-5)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes, eps=1e-5))
    def forward(self, x):
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        return out + (self.downsample(x) if self.downsample is not None else x)

class IResNet(nn.Module):
    def __init__(self, layers, widths=(64, 128, 256, 512), embedding=512, size=112):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0], eps=1e-5)
        self.prelu = nn.PReLU(widths[0])
        blocks, inplanes = [], widths[0]
        for n, planes in zip(layers, widths):
            for i in range(n):
                blocks.append(Block(inplanes, planes, 2 if i == 0 else 1)); inplanes = planes
        self.blocks = nn.Sequential(*blocks)
        self.bn2 = nn.BatchNorm2d(widths[-1], eps=1e-5)
        final = size // 16
        self.fc = nn.Linear(widths[-1] * final * final, embedding)
        self.features = nn.BatchNorm1d(embedding, eps=1e-5)
        nn.init.constant_(self.features.weight, 1.0); self.features.weight.requires_grad = False
    def forward(self, x):
        x = self.blocks(self.prelu(self.bn1(self.conv1(x))))
        return self.features(self.fc(torch.flatten(self.bn2(x), 1)))

def emit(**line):
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), **line}), flush=True)

def timed(run, warmup=1):
    for _ in range(warmup): run()
    start = time.perf_counter()
    for _ in range(steps): run()
    return (time.perf_counter() - start) / steps

LAYERS = {'r18': [2, 2, 2, 2], 'r240': [3, 25, 88, 3]}

for case in cases:
    kind, *rest = case.split(':')
    if kind in ('train', 'train-bf16'):
        batch = int(rest[0]); model = IResNet(LAYERS['r18']).train()
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        x = torch.randn(batch, 3, 112, 112)
        def step():
            opt.zero_grad(set_to_none=True)
            if kind == 'train-bf16':
                with torch.autocast('cpu', dtype=torch.bfloat16):
                    y = model(x)
                loss = y.float().square().mean()
            else:
                loss = model(x).square().mean()
            loss.backward(); opt.step()
        seconds = timed(step)
        emit(case=case, imagesPerSecond=batch / seconds, secondsPerStep=seconds)
    elif kind == 'infer':
        arch, batch = rest[0], int(rest[1]); model = IResNet(LAYERS[arch]).eval()
        x = torch.randn(batch, 3, 112, 112)
        def run():
            with torch.no_grad(): model(x)
        seconds = timed(run, warmup=3)  # steady state, as on our side (filters reordered once)
        emit(case=case, imagesPerSecond=batch / seconds, secondsPerBatch=seconds)
    elif kind == 'partialfc':
        classes, batch, dim = int(rest[0]), 32, 512
        weight = (torch.randn(classes, dim) * 0.01).requires_grad_(True)
        momentum = torch.zeros_like(weight)
        embeddings = torch.randn(batch, dim, requires_grad=True)
        labels = torch.randint(0, classes, (batch,))
        def step():
            cos = F.linear(F.normalize(embeddings), F.normalize(weight)).clamp(-1, 1)
            logits = 64 * (cos - 0.4 * F.one_hot(labels, classes))
            loss = F.cross_entropy(logits, labels)
            weight.grad = None; embeddings.grad = None
            loss.backward()
            with torch.no_grad():
                g = weight.grad; w_norm = weight.norm(); g_norm = g.norm()
                trust = 1e-3 * w_norm / (g_norm + 5e-4 * w_norm + 1e-8)
                momentum.mul_(0.9).add_(trust * (g + 5e-4 * weight))
                weight.sub_(0.01 * momentum)
        seconds = timed(step, warmup=1)
        emit(case=case, secondsPerStep=seconds)
