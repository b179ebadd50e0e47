"""Reading a module's source for the tests that check what it spells."""

import ast


def docstrings(tree):
    """The ids of the docstring constants of a parsed module."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                             ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(
                    first.value, ast.Constant):
                found.add(id(first.value))
    return found
