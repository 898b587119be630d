"""Cross-reference helpers of the pennylane-qsgd docs.

Two fixes to how Sphinx's Python domain resolves references in this project:

* **Re-exported names.** Objects are documented where they are defined
  (``pennylane_qsgd.optim.qsgd.QSGD``), but text and demos often name them by a re-export
  (``pennylane_qsgd.QSGD``, ``pennylane_qsgd.diagnostics.hessian_spectrum``). A reference that does
  not resolve is retried under the object's defining module.
* **Shape symbols in parameter types.** numpy-style types such as ``array_like, shape (T,)`` turn
  every word into a class reference; a word that names no class falls back to any attribute of that
  name (``T``, ``dim``...), and several attributes share such names. Those words are rendered as
  plain text instead, before references are resolved.
"""

from __future__ import annotations

import importlib

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.transforms.post_transforms import SphinxPostTransform

PACKAGE = "pennylane_qsgd"


class ShapeSymbolsAsText(SphinxPostTransform):
    """Unlink fuzzy ``py:class`` references that would match several non-class objects."""

    default_priority = 5  # before ReferencesResolver (10)

    def run(self, **kwargs) -> None:
        domain = self.env.get_domain("py")
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("refdomain") != "py" or node.get("reftype") != "class":
                continue
            if not node.hasattr("refspecific"):
                continue
            target = node["reftarget"]
            module, cls = node.get("py:module"), node.get("py:class")
            if domain.find_obj(self.env, module, cls, target, "class", 1):
                continue
            others = domain.find_obj(self.env, module, cls, target, "data", 1)
            others += domain.find_obj(self.env, module, cls, target, "attr", 1)
            if len(others) > 1:
                node.replace_self(node.children)


def _canonical_name(target: str) -> str | None:
    """``module.qualname`` of the object that ``target`` names through a re-export, if any."""
    parts = target.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attr in parts[split:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        break
    else:
        return None
    owner = obj if isinstance(obj, type) or callable(obj) else None
    module = getattr(owner, "__module__", None)
    qualname = getattr(owner, "__qualname__", None)
    if not module or not qualname:  # a method or property: canonicalise its owner
        head, _, tail = target.rpartition(".")
        base = _canonical_name(head) if head.startswith(PACKAGE) else None
        return f"{base}.{tail}" if base else None
    name = f"{module}.{qualname}"
    return name if name != target and name.startswith(PACKAGE) else None


def resolve_reexport(
    app: Sphinx, env: BuildEnvironment, node: addnodes.pending_xref, contnode: nodes.Element
) -> nodes.reference | None:
    """``missing-reference`` handler: retry ``pennylane_qsgd...`` targets at their definition."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    if not target.startswith(PACKAGE + "."):
        return None
    canonical = _canonical_name(target)
    if canonical is None:
        return None
    domain = env.get_domain("py")
    retry = node.deepcopy()
    retry["reftarget"] = canonical
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], canonical, retry, contnode
    )


def setup(app: Sphinx) -> dict:
    app.add_post_transform(ShapeSymbolsAsText)
    app.connect("missing-reference", resolve_reexport)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
