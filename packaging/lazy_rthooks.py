"""Runtime hook: PyInstaller's patches for some modules, applied when they are first imported.

PyInstaller's own runtime hooks for ``inspect``, ``pkgutil`` and
``multiprocessing`` import them (and ``zipfile`` to list ``base_library.zip``,
``pickle`` and ``socket`` with multiprocessing) before the app starts,
so every launch of the frozen window paid for modules the window never uses
(from source, the window's start imports none of them but multiprocessing). The spec
moves those hooks, unchanged, to ``_lazy_rthooks/<module>--<hook>.py`` in the
bundle; this hook runs each one right after its module is first imported, by
whoever imports it (torch, in the training child), before that importer sees it.
"""

import os
import sys


def _install() -> None:
    folder = os.path.join(sys._MEIPASS, "_lazy_rthooks")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    waiting = {}
    for name in names:
        module, _, hook = name.partition("--")
        if hook.endswith(".py"):
            waiting[module] = os.path.join(folder, name)

    class _Deferred:
        """A finder that answers only for the modules waiting for a hook, once each."""

        def find_spec(self, fullname, path=None, target=None):
            hook = waiting.pop(fullname, None)
            if hook is None:
                return None
            if not waiting:
                sys.meta_path.remove(self)
            import importlib.util

            spec = importlib.util.find_spec(fullname)
            if spec is None or spec.loader is None:
                return spec
            spec.loader = _ThenHook(spec.loader, hook)
            return spec

    class _ThenHook:
        """The module's own loader, then the hook's code once the module is complete."""

        def __init__(self, loader, hook):
            self._loader = loader
            self._hook = hook

        def __getattr__(self, name):
            return getattr(self._loader, name)

        def create_module(self, spec):
            return self._loader.create_module(spec)

        def exec_module(self, module):
            self._loader.exec_module(module)
            sys.modules[module.__name__] = module  # the hook imports it: find this one
            with open(self._hook, encoding="utf-8") as source:
                code = compile(source.read(), self._hook, "exec")
            exec(code, {"__name__": "__pyi_lazy_rthook__", "__file__": self._hook})

    if waiting:
        sys.meta_path.insert(0, _Deferred())


_install()
del _install
