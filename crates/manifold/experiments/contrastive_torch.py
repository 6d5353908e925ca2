"""How far contrastive features can go: a larger encoder trained longer, on a GPU (PyTorch).

The ceiling experiment behind the crate README's "contrastive, GPU" rows. Same protocol and
evaluation as `contrastive_keras.py` (study's 48,000-image training split, test set through
UMAP's `transform`, full-covariance GMM, K-Means on the L2-normalised features), but:
- a residual encoder (a 3x3 stem, then three stages of two residual blocks, 64/128/256 wide,
  at 28, 14 and 7 pixels; global average pooling: 256 features), and a 256-512-128 head;
- SimCLR's NT-Xent loss (temperature 0.2 by default) on two views of each image (random
  resized crop of 50-100 % of the area with aspect jitter, horizontal flip, a small rotation,
  brightness and contrast jitter, Gaussian noise), all drawn on the GPU in batches;
- SGD with momentum (learning rate 0.5, weight decay 1e-4), warm-up and cosine decay, mixed precision (bf16) on CUDA;
- clusterings at several checkpoints, so one run shows how the scores grow with training.

    python crates/manifold/experiments/contrastive_torch.py --data-dir DIR --indices FILE \
        [--epochs 150] [--checkpoints 25,50,100] [--max-seconds S] [--widths 64,128,256]

Needs torch, scikit-learn and umap-learn. Exploratory: nothing in the workspace depends on it.
Prints one JSON object (per checkpoint: epoch, seconds of training so far, scores).
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from contrastive_keras import cluster  # noqa: E402
from fmnist_reference import TEST_IMAGES, TEST_LABELS, TRAIN_LABELS, images, indices, labels, train_split  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Block(nn.Module):
    """Two 3x3 convolutions with BatchNorm and a (projected, where the shape changes) shortcut."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x):
        h = F.relu(self.b1(self.c1(x)))
        return F.relu(self.b2(self.c2(h)) + self.short(x))


def encoder(widths=(64, 128, 256)):
    layers = [nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    cin = widths[0]
    for i, w in enumerate(widths):
        layers += [Block(cin, w, 1 if i == 0 else 2), Block(w, w, 1)]
        cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


def augment(x, g):
    """Two-view augmentation of a batch (n, 1, 28, 28) in [0, 1], drawn from generator `g`."""
    n, dev = x.shape[0], x.device

    def u(lo, hi, *shape):
        return torch.rand(n, *shape, device=dev, generator=g) * (hi - lo) + lo

    area = u(0.5, 1.0)
    ratio = torch.exp(u(math.log(3 / 4), math.log(4 / 3)))
    sx = torch.sqrt(area * ratio).clamp(max=1.0)
    sy = torch.sqrt(area / ratio).clamp(max=1.0)
    tx = u(-1, 1) * (1 - sx)
    ty = u(-1, 1) * (1 - sy)
    angle = u(-10, 10) * math.pi / 180
    flip = torch.where(u(0, 1) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [
            torch.stack([sx * cos * flip, -sy * sin, tx], 1),
            torch.stack([sx * sin * flip, sy * cos, ty], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    v = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    v = v * u(0.6, 1.4, 1, 1, 1) + u(-0.2, 0.2, 1, 1, 1)
    v = v + 0.05 * torch.randn(v.shape, device=dev, generator=g)
    return v.clamp(0, 1)


def nt_xent(z, temperature):
    z = F.normalize(z.float(), dim=1)
    n = z.shape[0] // 2
    sim = z @ z.T / temperature
    sim.fill_diagonal_(-1e9)
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, partner)


def features(net, x, device, batch=2048):
    net.eval()
    out = []
    with torch.no_grad(), torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
        for i in range(0, len(x), batch):
            out.append(net(x[i : i + batch].to(device)).float().cpu())
    net.train()
    f = torch.cat(out).numpy()
    return f / np.linalg.norm(f, axis=1, keepdims=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--indices", required=True)
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--checkpoints", default="25,50,100", help="epochs to cluster at, besides the last")
    p.add_argument(
        "--max-seconds", type=float, default=float("inf"),
        help="fewer epochs, chosen after the first, so that training takes about this long",
    )
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--lr", type=float, default=0.5, help="SGD learning rate after warm-up")
    p.add_argument("--temperature", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--widths", default="64,128,256", help="channels of the three stages")
    p.add_argument("--subset", type=int, help="only the first N training and test images (a smoke test)")
    p.add_argument("--save", help="save the last features here (.npz)")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rows = indices(a.indices)
    train = torch.from_numpy(train_split(a.data_dir, a.indices).reshape(-1, 1, 28, 28))
    test = torch.from_numpy(images(a.data_dir, TEST_IMAGES).reshape(-1, 1, 28, 28))
    y_train = labels(a.data_dir, TRAIN_LABELS)[rows]
    y_test = labels(a.data_dir, TEST_LABELS)
    if a.subset:
        train, y_train, test, y_test = train[: a.subset], y_train[: a.subset], test[: a.subset], y_test[: a.subset]

    widths = tuple(int(w) for w in a.widths.split(","))
    net = encoder(widths).to(device).to(memory_format=torch.channels_last)
    head = nn.Sequential(nn.Linear(widths[-1], 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, 128)).to(device)
    params = list(net.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=a.lr, momentum=0.9, weight_decay=1e-4, nesterov=True)
    steps_per_epoch = len(train) // a.batch
    # Steps of the whole schedule; shortened after the first epoch to fit --max-seconds.
    total = [a.epochs * steps_per_epoch]
    warmup = min(5 * steps_per_epoch, total[0] // 10)

    def rate(s):
        if s < warmup:
            return (s + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (s - warmup) / max(1, total[0] - warmup))))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, rate)
    g = torch.Generator(device=device).manual_seed(a.seed)
    data = train.to(device)
    checkpoints = {int(c) for c in a.checkpoints.split(",") if c}
    report = {"device": str(torch.cuda.get_device_name() if device.type == "cuda" else "cpu"), "checkpoints": []}
    trained = 0.0
    for epoch in range(1, a.epochs + 1):
        start = time.time()
        order = torch.randperm(len(data), device=device, generator=g)
        losses = []
        for i in range(steps_per_epoch):
            x = data[order[i * a.batch : (i + 1) * a.batch]]
            views = torch.cat([augment(x, g), augment(x, g)]).contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
                projected = head(net(views))
            loss = nt_xent(projected, a.temperature)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.detach())
        if device.type == "cuda":
            torch.cuda.synchronize()
        trained += time.time() - start
        if epoch == 1 and a.max_seconds < float("inf"):
            a.epochs = max(1, min(a.epochs, int(a.max_seconds / trained)))
            total[0] = a.epochs * steps_per_epoch
        loss = float(torch.stack(losses).mean())
        print(f"epoch {epoch}: loss {loss:.4f} ({trained:.0f} s)", file=sys.stderr, flush=True)
        last = epoch >= a.epochs
        if epoch in checkpoints or last:
            f_train, f_test = features(net, train, device), features(net, test, device)
            entry = {"epoch": epoch, "seconds": trained, "loss": loss}
            entry.update(cluster(f_train, y_train, f_test, y_test, a.seed))
            report["checkpoints"].append(entry)
            print(json.dumps(entry), file=sys.stderr, flush=True)
            if last and a.save:
                np.savez_compressed(a.save, train=f_train.astype(np.float16), test=f_test.astype(np.float16))
        if last:
            break
    print(json.dumps(report))


if __name__ == "__main__":
    main()
