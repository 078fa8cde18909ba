"""The desktop app: widgets that draw and emit signals, and a window that wires them.

Nothing here recognises digits itself; :mod:`digitpad.recognizer` does, on the
worker thread owned by :mod:`digitpad.ui.inference`.
"""
