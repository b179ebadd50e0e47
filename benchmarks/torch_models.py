"""Pure PyTorch (`nn.Module` + `torch.optim`) versions of the benchmark models.

Same layer shapes as the Keras models of `throughput.py` (channels first, as
PyTorch is used natively), and a training loop doing the same math as the
Keras loops: `d_steps` discriminator updates, then one generator update;
WGAN-GP's penalty through `torch.autograd.grad(create_graph=True)`.
"""

import torch
from torch import nn
from torch.nn import functional


def guide28(latent_dim):
    """The 28x28 GAN of Keras' "customizing fit()" guides."""
    generator = nn.Sequential(
        nn.Linear(latent_dim, 7 * 7 * 128),
        nn.LeakyReLU(0.2),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 128, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 128, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 7, padding=3),
        nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
        nn.Linear(128, 1),
    )
    return generator, discriminator


def dcgan64(latent_dim, width=64, channels=3):
    """keras_gans' `dcgan` architecture at 64x64."""
    top = width * 8
    layers = [
        nn.Linear(latent_dim, 4 * 4 * top, bias=False),
        nn.Unflatten(1, (top, 4, 4)),
        nn.BatchNorm2d(top, momentum=0.1),
        nn.ReLU(),
    ]
    for index in range(3):
        cin = top // 2**index
        layers += [
            nn.ConvTranspose2d(cin, cin // 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(cin // 2, momentum=0.1),
            nn.ReLU(),
        ]
    layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()]
    generator = nn.Sequential(*layers)
    layers = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
    for index in range(3):
        cin = width * 2**index
        layers += [
            nn.Conv2d(cin, cin * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(cin * 2, momentum=0.1),
            nn.LeakyReLU(0.2),
        ]
    layers += [nn.Flatten(), nn.Linear(4 * 4 * width * 8, 1)]
    return generator, nn.Sequential(*layers)


def mlp(latent_dim, width=128, size=2):
    """keras_gans' `mlp` architecture (two hidden layers)."""
    generator = nn.Sequential(
        nn.Linear(latent_dim, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, size),
    )
    discriminator = nn.Sequential(
        nn.Linear(size, width),
        nn.LeakyReLU(0.2),
        nn.Linear(width, width),
        nn.LeakyReLU(0.2),
        nn.Linear(width, 1),
    )
    return generator, discriminator


def _same(size, kernel, stride):
    """Keras' "same" padding as nn.ZeroPad2d's (left, right, top, bottom)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    before = total // 2
    return (before, total - before, before, total - before)


def _same_conv(size, cin, cout, kernel, stride):
    return [
        nn.ZeroPad2d(_same(size, kernel, stride)),
        nn.Conv2d(cin, cout, kernel, stride),
    ]


def dcgan28(latent_dim):
    """keras-io `dcgan_overriding_train_step` at 28x28 (keras_io_models.py)."""
    discriminator = nn.Sequential(
        *_same_conv(28, 1, 64, 4, 2), nn.LeakyReLU(0.2),
        *_same_conv(14, 64, 128, 4, 2), nn.LeakyReLU(0.2),
        *_same_conv(7, 128, 128, 4, 2), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(4 * 4 * 128, 1),
    )
    generator = nn.Sequential(
        nn.Linear(latent_dim, 7 * 7 * 128),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 128, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 256, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(256, 1, 5, padding=2),
        nn.Sigmoid(),
    )
    return generator, discriminator


class _Conditional(nn.Module):
    """keras-io `conditional_gan`'s one-hot concatenation around a network."""

    def __init__(self, network, num_classes, image):
        super().__init__()
        self.network = network
        self.num_classes = num_classes
        self.image = image

    def forward(self, x, labels):
        one_hot = functional.one_hot(labels.long(), self.num_classes).float()
        if self.image:
            maps = one_hot[:, :, None, None].expand(-1, -1, *x.shape[2:])
            return self.network(torch.cat([x, maps], dim=1))
        return self.network(torch.cat([x, one_hot], dim=1))


def cgan28(latent_dim, num_classes=10):
    """keras-io `conditional_gan` (keras_io_models.py)."""
    channels = latent_dim + num_classes
    discriminator = nn.Sequential(
        *_same_conv(28, 1 + num_classes, 64, 3, 2), nn.LeakyReLU(0.2),
        *_same_conv(14, 64, 128, 3, 2), nn.LeakyReLU(0.2),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(128, 1),
    )
    generator = nn.Sequential(
        nn.Linear(channels, 7 * 7 * channels),
        nn.LeakyReLU(0.2),
        nn.Unflatten(1, (channels, 7, 7)),
        nn.ConvTranspose2d(channels, 128, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 128, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 7, padding=3),
        nn.Sigmoid(),
    )
    return (
        _Conditional(generator, num_classes, image=False),
        _Conditional(discriminator, num_classes, image=True),
    )


class _Crop(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.size = size

    def forward(self, x):
        return x[:, :, self.size:-self.size, self.size:-self.size]


def wgan_gp28(latent_dim):
    """keras-io `wgan_gp` (keras_io_models.py)."""
    layers = [nn.ZeroPad2d(2)]
    size, cin = 32, 1
    for cout, dropout in ((64, False), (128, True), (256, True), (512, False)):
        layers += [*_same_conv(size, cin, cout, 5, 2), nn.LeakyReLU(0.2)]
        if dropout:
            layers.append(nn.Dropout(0.3))
        size, cin = size // 2, cout
    layers += [nn.Flatten(), nn.Dropout(0.2), nn.Linear(2 * 2 * 512, 1)]
    discriminator = nn.Sequential(*layers)
    layers = [
        nn.Linear(latent_dim, 4 * 4 * 256, bias=False),
        nn.BatchNorm1d(4 * 4 * 256, momentum=0.01),
        nn.LeakyReLU(0.2),
        nn.Unflatten(1, (256, 4, 4)),
    ]
    for cin, cout, last in ((256, 128, False), (128, 64, False), (64, 1, True)):
        layers += [
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout, momentum=0.01),
            nn.Tanh() if last else nn.LeakyReLU(0.2),
        ]
    generator = nn.Sequential(*layers, _Crop(2))
    return generator, discriminator


BUILDERS = {
    "guide28": guide28,
    "dcgan64": dcgan64,
    "mlp": mlp,
    "dcgan28": dcgan28,
    "cgan28": cgan28,
    "wgan_gp28": wgan_gp28,
}


def _d_loss(loss, real_logits, fake_logits):
    if loss == "wasserstein":
        return fake_logits.mean() - real_logits.mean()
    return (
        functional.softplus(-real_logits).mean()
        + functional.softplus(fake_logits).mean()
    )


def _g_loss(loss, fake_logits):
    if loss == "wasserstein":
        return -fake_logits.mean()
    return functional.softplus(-fake_logits).mean()


def make_loop(model, latent_dim, loss, gp_weight, d_steps):
    """Builds the named model and its loop; returns `(step, sync)`.

    `step(real, labels=None)` takes a channels-last numpy batch (the Keras
    layout) and transposes it once, as a PyTorch user's data loader would
    deliver it; labels go to conditional networks as `network(x, labels)`.
    """
    # The GPU when there is one, as Keras' torch backend chooses.
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    generator, discriminator = BUILDERS[model](latent_dim)
    generator.to(device).train()
    discriminator.to(device).train()
    g_opt = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(
        discriminator.parameters(), 2e-4, betas=(0.5, 0.999)
    )

    def noise(batch):
        return torch.randn(batch, latent_dim, device=device)

    def call(network, x, labels):
        return network(x) if labels is None else network(x, labels)

    def penalty(real, fake, labels):
        alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1),
                           device=device)
        points = (real + alpha * (fake - real)).requires_grad_(True)
        total = call(discriminator, points, labels).sum()
        (grad,) = torch.autograd.grad(total, points, create_graph=True)
        norm = torch.sqrt(grad.square().flatten(1).sum(1) + 1e-12)
        return gp_weight * (norm - 1.0).square().mean()

    def step(real, labels=None):
        real = torch.from_numpy(real).to(device)
        if real.dim() == 4:
            real = real.permute(0, 3, 1, 2).contiguous()
        if labels is not None:
            labels = torch.from_numpy(labels).to(device)
        batch = real.shape[0]
        for _ in range(d_steps):
            with torch.no_grad():
                fake = call(generator, noise(batch), labels)
            value = _d_loss(
                loss,
                call(discriminator, real, labels),
                call(discriminator, fake, labels),
            )
            if gp_weight:
                value = value + penalty(real, fake, labels)
            d_opt.zero_grad(set_to_none=True)
            value.backward()
            d_opt.step()
        fake = call(generator, noise(batch), labels)
        value = _g_loss(loss, call(discriminator, fake, labels))
        g_opt.zero_grad(set_to_none=True)
        value.backward(inputs=list(generator.parameters()))
        g_opt.step()

    def sync():
        """Waits for the GPU's queued work, so that a timed block ends
        when its steps have run."""
        if device.type == "cuda":
            torch.cuda.synchronize()

    return step, sync


def serve(model, latent_dim, loss, gp_weight, d_steps, batch, shape, classes):
    """Trains on request: reads a number of steps per line from stdin, trains
    that many, prints the seconds it took. Lets another backend's benchmark
    process time pure PyTorch interleaved with its own contenders."""
    import sys
    import time

    import numpy as np

    torch.manual_seed(0)
    step, sync = make_loop(model, latent_dim, loss, gp_weight, d_steps)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, (batch,) + shape).astype("float32")
    labels = None
    if classes:
        labels = rng.integers(0, classes, batch).astype("int32")
    print("ready", flush=True)
    for line in sys.stdin:
        start = time.perf_counter()
        for _ in range(int(line)):
            step(x, labels)
        sync()
        print(time.perf_counter() - start, flush=True)


if __name__ == "__main__":
    import json
    import sys

    spec = json.loads(sys.argv[1])
    spec["shape"] = tuple(spec["shape"])
    serve(**spec)
