"""Helpers for looking up objects by name with helpful errors."""

import difflib


def unknown_name_error(kind, argument, name, known, plural=None, note=""):
    """Builds the `ValueError` for a name that is not registered.

    The message lists every known name and, where one is close, suggests it.
    """
    known = sorted(known)
    plural = plural or f"{kind}s"
    message = f"Unknown {kind} {name!r}. Known {plural}: {', '.join(known)}."
    close = difflib.get_close_matches(str(name), known, n=1)
    if close:
        message += f" Did you mean {close[0]!r}?"
    if note:
        message += f" {note}"
    return ValueError(f"{message} Received: {argument}={name!r}")
