"""Library exceptions whose advice a front end can reword.

A library message says what went wrong (`problem`) and what to do about it
(`remedy`), in the library's words: "Resume it (resume=True) or choose
another output directory." The command line gives the same advice in its
flags ("Pass --resume to continue it, or choose another --output."): it
looks the exception's `reason` up in its own table
(`keras_gans/cli/errors.py`) and keeps the problem as it is.

Importing this module imports nothing else of keras-gans.
"""

__all__ = ["Advised", "join"]


def join(problem, remedy):
    """The message: `problem`, then `remedy` after a space (none after a
    problem ending in a line break)."""
    if not remedy:
        return problem
    return problem + ("" if problem.endswith("\n") else " ") + remedy


class Advised:
    """Mixin for an exception whose message is a problem and a remedy.

    Args:
        problem: what went wrong, with the values involved.
        remedy: what to do, worded for a Python caller; may be None.
        reason: a short key naming the case (`"not_empty"`, ...), by which
            a front end finds its own wording of the remedy.
        **details: values the remedy names, for the front end's wording.

    `str(error)` is `join(problem, remedy)`.
    """

    def __init__(self, problem, remedy=None, *, reason=None, **details):
        self.problem = problem
        self.remedy = remedy
        self.reason = reason
        self.details = details
        super().__init__(join(problem, remedy))
