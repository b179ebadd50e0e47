"""ADA (Karras et al. 2020): augmentations whose probability p adapts to
how much the discriminator overfits.

The transforms are pure functions of the images and explicit parameters
(`geometric_matrix`, `color_matrix`, `cutout`); `draw` makes the
parameters, each transform switched on per image with probability p
(each of the two rotations with `1 - sqrt(1 - p)`, so that some rotation
happens with probability p), and otherwise given its identity value. The
geometric transforms compose into one 3x3 matrix applied once with
bilinear sampling and mirror padding; the colour transforms into one 4x4
matrix. The paper's strengths: integer translation up to 1/8 of the
size, log2 scale ~ N(0, 0.2^2), rotation U[-pi, pi], fractional
translation ~ N(0, 0.125^2) of the size, brightness ~ N(0, 0.2^2),
log2 contrast ~ N(0, 0.5^2), hue rotation U[-pi, pi], log2 saturation ~
N(0, 1); cutout squares half the image.

The adaptive rule: over every `interval` steps (4), the mean sign of D's
logits on augmented reals, `r_t = E[sign(D(real))]`, is compared with
`target` (0.6) and `p += sign(r_t - target) * batch * interval /
ramp_images`, clipped to [0, 1]; with `ramp_images = 500_000`, p can go
from 0 to 1 over 500k real images, as in the paper.
"""

import math

import keras
from keras import ops

from keras_gans.augment import matrices
from keras_gans.augment.base import Augmentation, check_images
from keras_gans.augment.sampling import affine

GEOMETRIC = ("xflip", "rotate90", "xint", "scale", "rotate", "aniso",
             "xfrac")
COLOR = ("brightness", "contrast", "lumaflip", "hue", "saturation")
TRANSFORMS = GEOMETRIC + COLOR + ("cutout",)
# The paper's default pipeline, "bgc": blit, geometric and colour.
BGC = GEOMETRIC + COLOR

XINT_MAX = 0.125
SCALE_STD = 0.2
ROTATE_MAX = 1.0
ANISO_STD = 0.2
XFRAC_STD = 0.125
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5
HUE_MAX = 1.0
SATURATION_STD = 1.0
CUTOUT_SIZE = 0.5

# name -> the parameters it draws, with their identity values.
IDENTITY = {
    "xflip": {"xflip": 0.0},
    "rotate90": {"rotate90": 0.0},
    "xint": {"xint_x": 0.0, "xint_y": 0.0},
    "scale": {"scale": 1.0},
    "rotate": {"rotate_1": 0.0, "rotate_2": 0.0},
    "aniso": {"aniso": 1.0},
    "xfrac": {"xfrac_x": 0.0, "xfrac_y": 0.0},
    "brightness": {"brightness": 0.0},
    "contrast": {"contrast": 1.0},
    "lumaflip": {"lumaflip": 0.0},
    "hue": {"hue": 0.0},
    "saturation": {"saturation": 1.0},
    "cutout": {"cutout_x": 0.5, "cutout_y": 0.5, "cutout_size": 0.0},
}


def identity_parameters(batch):
    """Every parameter at its identity value: `(batch,)` tensors."""
    return {key: ops.full((batch,), value, "float32")
            for group in IDENTITY.values() for key, value in group.items()}


def geometric_matrix(params, height, width):
    """The 3x3 map from output to input pixel coordinates, per image.

    Composed in the paper's order: x-flip, 90-degree rotation, integer
    translation, isotropic scaling, rotation, anisotropic scaling,
    rotation, fractional translation. Translations are in pixels.

    Args:
        params: a dict of `(batch,)` tensors (see `IDENTITY`).
        height, width: the image size.

    Returns:
        `(batch, 3, 3)` matrices for `sampling.affine`.
    """
    m = matrices.scale2d(1.0 - 2.0 * params["xflip"],
                         ops.ones_like(params["xflip"]))
    steps = [
        matrices.rotate2d(-math.pi / 2 * params["rotate90"]),
        matrices.translate2d(params["xint_x"] * width,
                             params["xint_y"] * height),
        matrices.scale2d(params["scale"], params["scale"]),
        matrices.rotate2d(params["rotate_1"]),
        matrices.scale2d(params["aniso"], 1.0 / params["aniso"]),
        matrices.rotate2d(params["rotate_2"]),
        matrices.translate2d(params["xfrac_x"] * width,
                             params["xfrac_y"] * height),
    ]
    for step in steps:
        m = ops.matmul(m, step)
    return m


def color_matrix(params):
    """The 4x4 colour matrix per image: brightness, contrast, luma flip,
    hue rotation, saturation, each applied after the previous."""
    m = matrices.translate3d(params["brightness"])
    for step in (
        matrices.scale3d(params["contrast"]),
        matrices.luma_flip(params["lumaflip"]),
        matrices.rotate_hue(params["hue"]),
        matrices.saturate(params["saturation"]),
    ):
        m = ops.matmul(step, m)
    return m


def cutout(images, centre_x, centre_y, size):
    """Zeroes a square of side `size` (a fraction of the image) centred at
    `(centre_x, centre_y)` (fractions of width and height), per image."""
    _, height, width, _ = images.shape

    def outside(centre, length):
        positions = (ops.arange(length, dtype="float32") + 0.5) / length
        distance = ops.abs(ops.expand_dims(positions, 0)
                           - ops.expand_dims(centre, -1))
        return distance >= ops.expand_dims(size, -1) / 2.0

    keep = ops.logical_or(ops.expand_dims(outside(centre_y, height), 2),
                          ops.expand_dims(outside(centre_x, width), 1))
    return images * ops.expand_dims(ops.cast(keep, images.dtype), -1)


def transform(images, params, transforms=BGC):
    """ADA's pipeline with given parameters: geometric, colour, cutout.

    Args:
        images: `(batch, height, width, channels)`, 1 or 3 channels.
        params: `(batch,)` tensors for every key of `IDENTITY`.
        transforms: the enabled transform names; groups with none enabled
            are skipped (not computed).
    """
    _, height, width, _ = images.shape
    if any(t in GEOMETRIC for t in transforms):
        images = affine(images, geometric_matrix(params, height, width))
    if any(t in COLOR for t in transforms):
        images = matrices.apply_color(images, color_matrix(params))
    if "cutout" in transforms:
        images = cutout(images, params["cutout_x"], params["cutout_y"],
                        params["cutout_size"])
    return images


def draw(batch, p, seed, transforms=BGC):
    """Random parameters for `transform`, each transform on with
    probability p per image (see the module docstring for strengths)."""
    params = identity_parameters(batch)
    shape = (batch,)
    uniform = lambda low=0.0, high=1.0: keras.random.uniform(  # noqa: E731
        shape, low, high, seed=seed)
    normal = lambda: keras.random.normal(shape, seed=seed)  # noqa: E731
    p = ops.cast(p, "float32")
    rotate_p = 1.0 - ops.sqrt(1.0 - p)
    values = {
        "xflip": lambda: {"xflip": ops.floor(uniform(0.0, 2.0))},
        "rotate90": lambda: {"rotate90": ops.floor(uniform(0.0, 4.0))},
        "xint": lambda: {
            "xint_x": uniform(-XINT_MAX, XINT_MAX),
            "xint_y": uniform(-XINT_MAX, XINT_MAX)},
        "scale": lambda: {"scale": ops.power(2.0, normal() * SCALE_STD)},
        "rotate": lambda: {
            "rotate_1": uniform(-math.pi, math.pi) * ROTATE_MAX,
            "rotate_2": uniform(-math.pi, math.pi) * ROTATE_MAX},
        "aniso": lambda: {"aniso": ops.power(2.0, normal() * ANISO_STD)},
        "xfrac": lambda: {"xfrac_x": normal() * XFRAC_STD,
                          "xfrac_y": normal() * XFRAC_STD},
        "brightness": lambda: {"brightness": normal() * BRIGHTNESS_STD},
        "contrast": lambda: {
            "contrast": ops.power(2.0, normal() * CONTRAST_STD)},
        "lumaflip": lambda: {"lumaflip": ops.floor(uniform(0.0, 2.0))},
        "hue": lambda: {"hue": uniform(-math.pi, math.pi) * HUE_MAX},
        "saturation": lambda: {
            "saturation": ops.power(2.0, normal() * SATURATION_STD)},
        "cutout": lambda: {"cutout_x": uniform(), "cutout_y": uniform(),
                           "cutout_size": ops.full(shape, CUTOUT_SIZE)},
    }
    for name in transforms:
        drawn = values[name]()
        on = uniform() < (rotate_p if name == "rotate" else p)
        for key, value in drawn.items():
            if name == "rotate" and key == "rotate_2":
                on = uniform() < rotate_p
            params[key] = ops.where(on, value, params[key])
    return params


@keras.saving.register_keras_serializable(package="keras_gans")
class ADA(Augmentation):
    """ADA (Karras et al. 2020): p adapted to keep E[sign(D(real))] near a target.

    Args:
        target: the r_t that p steers towards (0.6 in the paper); None
            keeps p fixed at `p`.
        p: the starting probability (0 in the paper).
        interval: steps between adjustments of p (4).
        ramp_images: real images over which p can go from 0 to 1
            (500,000).
        transforms: the transforms, from `TRANSFORMS`; the paper's "bgc"
            pipeline by default (every geometric and colour transform, no
            cutout).
    """

    def __init__(self, target=0.6, p=0.0, interval=4, ramp_images=500_000,
                 transforms=BGC, *, name=None, dtype=None, trainable=True):
        # No **kwargs: a recipe's misspelt parameter is reported by name.
        super().__init__(name=name, dtype=dtype, trainable=trainable)
        if target is not None and not 0.0 <= target < 1.0:
            raise ValueError(
                "`target` must be an r_t in [0, 1) such as 0.6, or None for "
                f"a fixed p. Received: target={target!r}"
            )
        if not 0.0 <= p <= 1.0:
            raise ValueError(
                f"`p` must be a probability in [0, 1]. Received: p={p!r}")
        for name, value in (("interval", interval),
                            ("ramp_images", ramp_images)):
            if isinstance(value, bool) or not isinstance(value, int) or (
                    value < 1):
                raise ValueError(
                    f"`{name}` must be a positive integer. "
                    f"Received: {name}={value!r}")
        if isinstance(transforms, str):
            transforms = [t.strip() for t in transforms.split(",")]
        unknown = [t for t in transforms if t not in TRANSFORMS]
        if not transforms or unknown:
            raise ValueError(
                "`transforms` must name one or more of "
                f"{', '.join(TRANSFORMS)}. Received: transforms={transforms!r}"
            )
        self.target = None if target is None else float(target)
        self.interval = interval
        self.ramp_images = ramp_images
        self.transforms = tuple(t for t in TRANSFORMS if t in transforms)
        self._initial_p = float(p)
        self._p = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(float(p)),
            trainable=False, name="p", dtype="float32")
        self._rt = self.add_weight(shape=(), initializer="zeros",
                                   trainable=False, name="rt",
                                   dtype="float32")
        self._sign_sum = self.add_weight(shape=(), initializer="zeros",
                                         trainable=False, name="sign_sum",
                                         dtype="float32")
        self._sign_count = self.add_weight(shape=(), initializer="zeros",
                                           trainable=False,
                                           name="sign_count",
                                           dtype="float32")
        self._ticks = self.add_weight(shape=(), initializer="zeros",
                                      trainable=False, name="ticks",
                                      dtype="float32")

    @property
    def p(self):
        """The current probability (a float32 variable)."""
        return self._p

    @property
    def rt(self):
        """The r_t of the last finished interval."""
        return self._rt

    def call(self, images, seed):
        check_images(images)
        params = draw(ops.shape(images)[0], self._p.value, seed,
                      self.transforms)
        _, height, width, _ = images.shape
        # Integer translation moves whole pixels.
        params["xint_x"] = ops.round(params["xint_x"] * width) / width
        params["xint_y"] = ops.round(params["xint_y"] * height) / height
        return transform(images, params, self.transforms)

    def observe(self, real_logits):
        signs = ops.sign(ops.cast(real_logits, "float32"))
        self._sign_sum.assign(self._sign_sum.value + ops.sum(signs))
        self._sign_count.assign(
            self._sign_count.value + ops.cast(ops.size(signs), "float32"))

    def advance(self, batch_size):
        if self.target is None:
            return
        p, rt_old = self._p.value, self._rt.value
        total, count = self._sign_sum.value, self._sign_count.value
        ticks = self._ticks.value + 1.0
        due = ticks >= self.interval
        rt = total / ops.maximum(count, 1.0)
        step = (ops.cast(batch_size, "float32") * self.interval
                / self.ramp_images)
        adjusted = ops.clip(p + ops.sign(rt - self.target) * step, 0.0, 1.0)
        zero = ops.zeros_like(total)
        self._p.assign(ops.where(due, adjusted, p))
        self._rt.assign(ops.where(due, rt, rt_old))
        self._sign_sum.assign(ops.where(due, zero, total))
        self._sign_count.assign(ops.where(due, zero, count))
        self._ticks.assign(ops.where(due, zero, ticks))

    def logs(self):
        return {"aug/p": self._p.value, "aug/rt": self._rt.value}

    def get_config(self):
        config = super().get_config()
        config.update(target=self.target, p=self._initial_p,
                      interval=self.interval,
                      ramp_images=self.ramp_images,
                      transforms=list(self.transforms))
        return config
