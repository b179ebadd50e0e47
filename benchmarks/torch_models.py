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


BUILDERS = {"guide28": guide28, "dcgan64": dcgan64, "mlp": mlp}


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

    `step(real)` takes a channels-last numpy batch (the Keras layout) and
    transposes it once, as a PyTorch user's data loader would deliver it.
    """
    generator, discriminator = BUILDERS[model](latent_dim)
    generator.train()
    discriminator.train()
    g_opt = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(
        discriminator.parameters(), 2e-4, betas=(0.5, 0.999)
    )

    def penalty(real, fake):
        alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1))
        points = (real + alpha * (fake - real)).requires_grad_(True)
        total = discriminator(points).sum()
        (grad,) = torch.autograd.grad(total, points, create_graph=True)
        norm = torch.sqrt(grad.square().flatten(1).sum(1) + 1e-12)
        return gp_weight * (norm - 1.0).square().mean()

    def step(real):
        real = torch.from_numpy(real)
        if real.dim() == 4:
            real = real.permute(0, 3, 1, 2).contiguous()
        batch = real.shape[0]
        for _ in range(d_steps):
            with torch.no_grad():
                fake = generator(torch.randn(batch, latent_dim))
            value = _d_loss(loss, discriminator(real), discriminator(fake))
            if gp_weight:
                value = value + penalty(real, fake)
            d_opt.zero_grad(set_to_none=True)
            value.backward()
            d_opt.step()
        fake = generator(torch.randn(batch, latent_dim))
        value = _g_loss(loss, discriminator(fake))
        g_opt.zero_grad(set_to_none=True)
        value.backward(inputs=list(generator.parameters()))
        g_opt.step()

    def sync():
        return None

    return step, sync
