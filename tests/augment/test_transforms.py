"""Each augmentation transform against an independent NumPy reference.

The transforms are pure functions of the images and explicit parameters,
so every backend is handed the same parameters and must give what NumPy
(and scipy.ndimage for resampling, scipy's rotations for hue) gives.
Gradients with respect to the images are checked against central finite
differences: every transform is affine in the pixel values, so a central
difference is exact for any step and only float32 rounding remains.
"""

import math

import keras
import numpy as np
import pytest
from keras import ops
from scipy import ndimage
from scipy.spatial.transform import Rotation

from keras_gans import backend
from keras_gans.augment import ada, diffaugment
from keras_gans.augment import ADA, DiffAugment

BATCH, SIZE = 3, 8
RNG = np.random.RandomState(7)
IMAGES = RNG.uniform(-1.0, 1.0, (BATCH, SIZE, SIZE, 3)).astype("float32")


def tensor(array):
    return ops.convert_to_tensor(np.asarray(array, dtype="float32"))


def numpy(value):
    return ops.convert_to_numpy(value)


# ----------------------------------------------------------------------
# DiffAugment


def reference_color(x, shift, sat, con):
    x = x + shift[:, None, None, None]
    mean = x.mean(axis=-1, keepdims=True)
    x = (x - mean) * sat[:, None, None, None] + mean
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    return (x - mean) * con[:, None, None, None] + mean


def reference_translation(x, rows, cols):
    pad = SIZE
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    return np.stack([
        padded[b, pad + r:pad + r + SIZE, pad + c:pad + c + SIZE]
        for b, (r, c) in enumerate(zip(rows, cols))
    ])


def reference_cutout(x, top, left):
    out = x.copy()
    side = (SIZE + 1) // 2
    for b in range(len(x)):
        r0, c0 = max(top[b], 0), max(left[b], 0)
        out[b, r0:max(top[b] + side, 0), c0:max(left[b] + side, 0)] = 0.0
    return out


COLOR_DRAWS = (np.array([0.3, -0.5, 0.1]), np.array([0.0, 1.7, 1.0]),
               np.array([1.5, 0.5, 0.8]))
SHIFTS = (np.array([1, -1, 0]), np.array([-1, 0, 1]))
CORNERS = (np.array([-2, 3, 6]), np.array([5, -1, 0]))

DIFFAUGMENT_CASES = {
    "color": (lambda x: diffaugment.color(x, *map(tensor, COLOR_DRAWS)),
              lambda x: reference_color(x, *COLOR_DRAWS)),
    "translation": (
        lambda x: diffaugment.translation(
            x, *(ops.convert_to_tensor(s, "int32") for s in SHIFTS)),
        lambda x: reference_translation(x, *SHIFTS)),
    "cutout": (
        lambda x: diffaugment.cutout(
            x, *(ops.convert_to_tensor(c, "int32") for c in CORNERS)),
        lambda x: reference_cutout(x, *CORNERS)),
}


# ----------------------------------------------------------------------
# ADA: NumPy matrices built from the closed forms, scipy resampling


def params_with(**values):
    params = {key: np.full(BATCH, value, "float32")
              for group in ada.IDENTITY.values()
              for key, value in group.items()}
    for key, value in values.items():
        params[key] = np.asarray(value, "float32")
    return params


def rotation(theta):
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def reference_geometric_matrix(p, b):
    flip = np.diag([1 - 2 * p["xflip"][b], 1, 1])
    shift = lambda tx, ty: np.array(  # noqa: E731
        [[1, 0, tx * SIZE], [0, 1, ty * SIZE], [0, 0, 1]])
    scale = lambda sx, sy: np.diag([sx, sy, 1])  # noqa: E731
    return (flip @ rotation(-math.pi / 2 * p["rotate90"][b])
            @ shift(p["xint_x"][b], p["xint_y"][b])
            @ scale(p["scale"][b], p["scale"][b])
            @ rotation(p["rotate_1"][b])
            @ scale(p["aniso"][b], 1 / p["aniso"][b])
            @ rotation(p["rotate_2"][b])
            @ shift(p["xfrac_x"][b], p["xfrac_y"][b]))


def reference_warp(x, p):
    centre = (SIZE - 1) / 2
    ys, xs = np.meshgrid(np.arange(SIZE) - centre, np.arange(SIZE) - centre,
                         indexing="ij")
    grid = np.stack([xs, ys, np.ones_like(xs)], axis=-1)
    out = np.empty_like(x)
    for b in range(len(x)):
        points = grid @ reference_geometric_matrix(p, b).T
        coords = [points[..., 1] + centre, points[..., 0] + centre]
        for c in range(x.shape[-1]):
            out[b, ..., c] = ndimage.map_coordinates(
                x[b, ..., c].astype("float64"), coords, order=1,
                mode="mirror")
    return out


def reference_color_matrix(p, b):
    axis = np.ones(3) / math.sqrt(3)
    luma = np.outer(axis, axis)
    linear = np.eye(3) * p["contrast"][b]
    offset = np.full(3, p["brightness"][b]) * p["contrast"][b]
    flip = np.eye(3) - 2 * luma * p["lumaflip"][b]
    hue = Rotation.from_rotvec(axis * p["hue"][b]).as_matrix()
    sat = luma + (np.eye(3) - luma) * p["saturation"][b]
    after = sat @ hue @ flip
    return after @ linear, after @ offset


def reference_ada_color(x, p):
    out = np.empty_like(x)
    for b in range(len(x)):
        linear, offset = reference_color_matrix(p, b)
        if x.shape[-1] == 3:
            out[b] = x[b] @ linear.T + offset
        else:
            out[b] = x[b] * linear.sum(axis=1).mean() + offset.mean()
    return out


def reference_ada_cutout(x, p):
    centres = (np.arange(SIZE) + 0.5) / SIZE
    out = x.copy()
    for b in range(len(x)):
        half = p["cutout_size"][b] / 2
        rows = np.abs(centres - p["cutout_y"][b]) < half
        cols = np.abs(centres - p["cutout_x"][b]) < half
        out[b][np.ix_(rows, cols)] = 0.0
    return out


def ada_case(transforms, reference, **values):
    params = params_with(**values)
    return (
        lambda x: ada.transform(
            x, {k: tensor(v) for k, v in params.items()}, transforms),
        lambda x: reference(x, params),
    )


GEOMETRIC_CASES = {
    "xflip": (["xflip"], dict(xflip=[1, 0, 1])),
    "rotate90": (["rotate90"], dict(rotate90=[1, 2, 3])),
    "xint": (["xint"], dict(xint_x=[0.125, -0.125, 0.0],
                            xint_y=[0.0, 0.125, -0.125])),
    "scale": (["scale"], dict(scale=[0.7, 1.3, 1.1])),
    "rotate": (["rotate"], dict(rotate_1=[0.4, -2.0, 3.0],
                                rotate_2=[0.0, 1.0, -0.3])),
    "aniso": (["aniso"], dict(aniso=[0.8, 1.25, 1.05])),
    "xfrac": (["xfrac"], dict(xfrac_x=[0.03, -0.2, 0.11],
                              xfrac_y=[-0.07, 0.05, 0.3])),
}
COLOR_CASES = {
    "brightness": dict(brightness=[0.3, -0.2, 0.05]),
    "contrast": dict(contrast=[0.5, 1.4, 2.0]),
    "lumaflip": dict(lumaflip=[1, 0, 1]),
    "hue": dict(hue=[0.5, -2.5, 3.0]),
    "saturation": dict(saturation=[0.3, 2.5, 1.0]),
}
EVERY_TRANSFORM = dict(
    xflip=[1, 0, 1], rotate90=[1, 3, 0], xint_x=[0.125, 0.0, -0.125],
    xint_y=[0.0, -0.125, 0.125], scale=[0.8, 1.2, 1.0],
    rotate_1=[0.3, -1.0, 2.0], aniso=[1.1, 0.9, 1.0],
    rotate_2=[-0.2, 0.0, 0.7], xfrac_x=[0.05, -0.1, 0.0],
    xfrac_y=[0.0, 0.02, -0.04], brightness=[0.1, -0.3, 0.2],
    contrast=[1.2, 0.7, 1.5], lumaflip=[0, 1, 1], hue=[1.0, -0.5, 2.0],
    saturation=[0.5, 1.5, 2.0], cutout_x=[0.2, 0.9, 0.5],
    cutout_y=[0.6, 0.1, 0.5], cutout_size=[0.5, 0.5, 0.5])

ADA_CASES = {
    **{name: ada_case(transforms, reference_warp, **values)
       for name, (transforms, values) in GEOMETRIC_CASES.items()},
    **{name: ada_case([name], reference_ada_color, **values)
       for name, values in COLOR_CASES.items()},
    "cutout": ada_case(["cutout"], reference_ada_cutout,
                       cutout_x=[0.2, 0.9, 0.5], cutout_y=[0.6, 0.1, 0.0],
                       cutout_size=[0.5, 0.5, 0.5]),
    "all": ada_case(
        ada.TRANSFORMS,
        lambda x, p: reference_ada_cutout(
            reference_ada_color(reference_warp(x, p), p), p),
        **EVERY_TRANSFORM),
}

CASES = {**{f"diffaugment_{k}": v for k, v in DIFFAUGMENT_CASES.items()},
         **{f"ada_{k}": v for k, v in ADA_CASES.items()}}


@pytest.mark.parametrize("channels", [3, 1])
@pytest.mark.parametrize("name", sorted(CASES))
def test_transform_matches_numpy_reference(name, channels):
    transform, reference = CASES[name]
    images = IMAGES[..., :channels]
    expected = reference(images.astype("float64"))
    np.testing.assert_allclose(numpy(transform(tensor(images))), expected,
                               rtol=0, atol=2e-5)


def test_geometric_references_are_the_plain_array_operations():
    """The matrix conventions, pinned to NumPy's own flips and rolls."""
    x = IMAGES
    flip = ada_case(["xflip"], reference_warp, xflip=[1, 1, 1])[0]
    np.testing.assert_array_equal(numpy(flip(tensor(x))), x[:, :, ::-1])
    quarter = ada_case(["rotate90"], reference_warp, rotate90=[1] * 3)[0]
    np.testing.assert_allclose(numpy(quarter(tensor(x))),
                               np.rot90(x, k=-1, axes=(1, 2)), atol=1e-6)
    # One pixel right with mirror padding: column j reads j + 1.
    step = ada_case(["xint"], reference_warp, xint_x=[1 / SIZE] * 3)[0]
    padded = np.pad(x, ((0, 0), (0, 0), (0, 1), (0, 0)), mode="reflect")
    np.testing.assert_allclose(numpy(step(tensor(x))), padded[:, :, 1:],
                               atol=1e-6)


@pytest.mark.parametrize("name", ["diffaugment_color",
                                  "diffaugment_translation",
                                  "diffaugment_cutout", "ada_all"])
def test_gradients_match_central_differences(name):
    transform, _ = CASES[name]
    weights = tensor(RNG.normal(size=IMAGES.shape))
    fn = lambda x: transform(x) * weights  # noqa: E731
    grad = numpy(backend.input_gradient(fn, tensor(IMAGES)))
    assert np.all(np.isfinite(grad))
    # Affine in the pixels: exact differences for any step; float32 sums
    # of 192 terms of size ~1 round to ~1e-5.
    step = 0.5
    for index in [(0, 0, 0, 0), (1, 3, 4, 2), (2, 7, 1, 1), (0, 5, 6, 0)]:
        delta = np.zeros_like(IMAGES)
        delta[index] = step
        plus = float(numpy(ops.sum(fn(tensor(IMAGES + delta)))))
        minus = float(numpy(ops.sum(fn(tensor(IMAGES - delta)))))
        assert grad[index] == pytest.approx((plus - minus) / (2 * step),
                                            abs=1e-3)


@pytest.mark.parametrize("channels", [3, 1])
def test_ada_at_p_zero_leaves_images_unchanged(channels):
    images = tensor(IMAGES[..., :channels])
    augment = ADA(p=0.0, transforms=ada.TRANSFORMS)
    out = augment(images, keras.random.SeedGenerator(0))
    np.testing.assert_array_equal(numpy(out), IMAGES[..., :channels])


def test_ada_at_p_one_changes_every_image():
    augment = ADA(p=1.0)
    out = numpy(augment(tensor(IMAGES), keras.random.SeedGenerator(0)))
    assert np.all(np.abs(out - IMAGES).max(axis=(1, 2, 3)) > 0.05)


def test_diffaugment_draws_stay_in_the_papers_ranges():
    """Translation moves at most 1/8 of the size: with an image of ones,
    the zero border it brings in is at most one pixel wide at size 8."""
    augment = DiffAugment(policy="translation")
    ones = tensor(np.ones((64, SIZE, SIZE, 1)))
    out = numpy(augment(ones, keras.random.SeedGenerator(0)))
    assert np.all(out[:, 1:-1, 1:-1] == 1.0)
    assert 0 < np.mean(out == 0.0)


@pytest.mark.parametrize("bad, expected", [
    (dict(policy="colour"), "policy"), (dict(p=1.5), "p=1.5")])
def test_diffaugment_refuses_bad_settings(bad, expected):
    with pytest.raises(ValueError, match=expected):
        DiffAugment(**bad)


def test_augmentations_refuse_samples_that_are_not_images():
    with pytest.raises(ValueError, match=r"shape \(4, 2\)"):
        ADA()(tensor(np.zeros((4, 2))), keras.random.SeedGenerator(0))
