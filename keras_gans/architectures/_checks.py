"""Argument checks shared by the architecture factories.

Each check raises a ValueError in Keras style (what was expected, then
`Received: name=value`) before any layer is built, so a bad recipe fails
with the argument at fault named rather than deep inside a layer.
"""


from keras_gans.arguments import is_positive_int
from keras_gans.arguments import positive_int  # noqa: F401 (re-exported)


def num_classes(value, architecture, required=False):
    """Returns `value` (None or an int >= 1); raises when it is missing."""
    if value is None:
        if required:
            raise ValueError(
                f"`{architecture}` is conditional and needs `num_classes`, "
                "the number of label values (labels are 0 ... "
                "num_classes - 1). Received: num_classes=None"
            )
        return None
    return positive_int("num_classes", value)


def label_mode(value, classes, architecture):
    """Returns `value`, `"index"` or `"one_hot_concat"`.

    `"one_hot_concat"` (the keras-io conditional_gan layout: one-hot labels
    joined to z and to the samples' channels) needs `num_classes`.
    """
    from keras_gans.labels import LABEL_MODES
    from keras_gans.labels import ONE_HOT_CONCAT

    if value not in LABEL_MODES:
        raise ValueError(
            f"`label_mode` must be one of {', '.join(LABEL_MODES)}. "
            f"Received: label_mode={value!r}"
        )
    if value == ONE_HOT_CONCAT and classes is None:
        raise ValueError(
            f"`{architecture}` with label_mode={ONE_HOT_CONCAT!r} needs "
            "`num_classes`, the number of one-hot channels. "
            "Received: num_classes=None"
        )
    return value


def sample_shape(value, ranks):
    """Returns `value` as a tuple of positive ints of one of the `ranks`."""
    try:
        shape = tuple(value)
    except TypeError:
        shape = None
    if shape is None or len(shape) not in ranks or not all(
        is_positive_int(size) for size in shape
    ):
        raise ValueError(
            "`sample_shape` must be a tuple of positive integers without the "
            f"batch dimension, of length {' or '.join(map(str, ranks))}. "
            f"Received: sample_shape={value!r}"
        )
    return tuple(int(size) for size in shape)


def image_shape(value, architecture, sizes, channels=(1, 3)):
    """Returns `value` as an `(H, W, C)` tuple the architecture supports.

    Args:
        value: the `sample_shape` argument.
        architecture: the factory's name, for the message.
        sizes: the supported square sizes H = W.
        channels: the supported channel counts C.

    Raises:
        ValueError: listing the supported shapes.
    """
    shape = sample_shape(value, ranks=(3,))
    rows, columns, depth = shape
    if rows != columns or rows not in sizes or depth not in channels:
        supported = ", ".join(f"({s}, {s}, C)" for s in sizes)
        raise ValueError(
            f"`{architecture}` supports sample_shape {supported} with C in "
            f"{set(channels)} (channels last). "
            f"Received: sample_shape={value!r}"
        )
    return shape


KINDS = ("gan", "vae")


def kind(value, architecture):
    """Returns `value`, `"gan"` (generator, discriminator) or `"vae"`
    (decoder, encoder)."""
    if value not in KINDS:
        raise ValueError(
            f"`{architecture}` builds a GAN's generator and discriminator "
            "(kind='gan') or a VAE's decoder and encoder (kind='vae'). "
            f"Received: kind={value!r}"
        )
    return value
