"""scipy's compiled filter kernels without scipy.signal: IIR sections and polyphase resampling.

``from scipy import signal`` costs ~1.2 s of imports (scipy.stats, optimize, interpolate… that
the package's ``__init__`` pulls in), four times what ``broadcaster render`` of one line may
take before it works (0.3 s, issue 11). The two loops the finishing DSP needs are each one
small compiled module inside scipy.signal (``_sosfilt``, ``_upfirdn_apply``) that needs only
numpy; loading them by their file (``importlib``'s extension loader, under their own names, so a
later ``import scipy.signal`` finds and shares them) costs well under a millisecond. The Python
around them here is what scipy's public functions do for a 1-D float array, so the samples come
out the same (tests/audio/test_dsp.py compares them). If scipy ever moves or changes them, the
public functions are used instead: slower to start, same output.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import math
import sys
import threading
from pathlib import Path
from types import ModuleType

import numpy as np

_loaded: dict[str, ModuleType | None] = {}
_lock = threading.Lock()  # render's threads may ask for the same module at once


def _extension(name: str) -> ModuleType | None:
    """Return scipy.signal's compiled module ``name`` loaded alone, or None if it cannot be."""
    if name in _loaded:
        return _loaded[name]
    with _lock:
        if name not in _loaded:
            _loaded[name] = _load(name)
    return _loaded[name]


def _load(name: str) -> ModuleType | None:
    full = f"scipy.signal.{name}"
    module = sys.modules.get(full)
    if module is None:
        try:
            spec = importlib.util.find_spec("scipy")  # finds the package without running it
            origin = Path(spec.origin).parent / "signal" if spec and spec.origin else None
            path = next((origin / (name + suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES
                         if origin and (origin / (name + suffix)).is_file()), None)
            if path is None:
                raise ImportError(full)
            loader = importlib.machinery.ExtensionFileLoader(full, str(path))
            spec = importlib.util.spec_from_file_location(full, path, loader=loader)
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
            sys.modules.setdefault(full, module)
        except (ImportError, OSError, AttributeError):  # scipy.signal's own import is the fallback
            module = None
    return module


def sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray | None = None, *, overwrite_x: bool = False):
    """Return ``x`` (1-D) through the second-order sections ``sos``, and the end state with ``zi``.

    The same as ``scipy.signal.sosfilt(sos, x, zi=zi)`` for a 1-D ``x`` and ``zi`` of shape
    (sections, 2). With ``overwrite_x`` a contiguous ``x`` of the result's type is filtered in
    place (one copy less) and returned.
    """
    kernel = getattr(_extension("_sosfilt"), "_sosfilt", None)
    if kernel is not None:
        inputs = [sos, x] if zi is None else [sos, x, zi]
        dtype = np.result_type(*inputs)
        sections = sos.shape[0]
        # The kernel works in place: on a copy unless the caller gives ``x`` up.
        y = (np.ascontiguousarray(x, dtype) if overwrite_x else np.array(x, dtype, order="C")).reshape(1, -1)
        state = (np.zeros((1, sections, 2), dtype) if zi is None
                 else np.array(zi, dtype, order="C").reshape(1, sections, 2))
        try:
            kernel(np.ascontiguousarray(sos, dtype), y, state)
        except (TypeError, ValueError):  # another scipy's calling convention: refused before any work
            pass
        else:
            return y[0] if zi is None else (y[0], state[0])
    from scipy import signal

    return signal.sosfilt(sos, x) if zi is None else signal.sosfilt(sos, x, zi=zi)


def firwin_kaiser(taps: int, cutoff: float, beta: float) -> np.ndarray:
    """Return a linear-phase low-pass FIR (cutoff relative to Nyquist, Kaiser window, unit DC gain).

    What ``scipy.signal.firwin(taps, cutoff, window=("kaiser", beta))`` gives.
    """
    m = np.arange(taps) - (taps - 1) / 2
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(taps, beta)
    return h / h.sum()


def resample_poly(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """Return ``x`` (1-D float32) resampled by ``up/down``: ``scipy.signal.resample_poly``'s output.

    Zero outside the signal, scipy's default filter (Kaiser β = 5, ten zero crossings each side).
    """
    ext = _extension("_upfirdn_apply")
    if all(hasattr(ext, f) for f in ("_apply", "_output_len", "mode_enum")):
        try:
            return _resample_poly(ext, x, up, down)
        except (TypeError, ValueError):  # another scipy's calling convention: refused before any work
            pass
    from scipy import signal

    return signal.resample_poly(x, up, down)


def _resample_poly(ext: ModuleType, x: np.ndarray, up: int, down: int) -> np.ndarray:
    g = math.gcd(up, down)
    up, down = up // g, down // g
    if up == down == 1:
        return np.array(x, copy=True)
    n_in = len(x)
    n_out = -(-n_in * up // down)
    half = 10 * max(up, down)
    dtype = np.result_type(x.dtype, np.float32)
    h = firwin_kaiser(2 * half + 1, 1 / max(up, down), 5.0).astype(dtype) * up
    pre = down - half % down
    remove = (half + pre) // down
    post = 0
    while ext._output_len(len(h) + pre + post, n_in, up, down) < n_out + remove:
        post += 1
    h = np.concatenate((np.zeros(pre, dtype), h, np.zeros(post, dtype)))
    # upfirdn: each phase's coefficients, flipped, one after the other (scipy's _pad_h).
    full = np.zeros(len(h) + (-len(h) % up), dtype)
    full[:len(h)] = h
    flipped = np.ascontiguousarray(full.reshape(-1, up).T[:, ::-1].ravel())
    out = np.zeros(ext._output_len(len(h), n_in, up, down), dtype)
    ext._apply(np.asarray(x, dtype), flipped, out, up, down, 0, ext.mode_enum("constant"), 0)
    return out[remove:remove + n_out]

