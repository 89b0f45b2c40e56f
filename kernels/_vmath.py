"""What the numba twins of the activation-gradient and softmax kernels share:
an ``exp`` (and a float32 ``erf``) that LLVM can vectorise, the online row
statistics of softmax, and the chunking and float16 rules.

numba compiles ``math.exp`` to a call into the C library, one element at a
time; numpy's exp uses SIMD and is several times faster. ``exp`` below is
Cephes' expf/exp (range reduction to [-ln2/2, ln2/2], a polynomial, then a
power of two built from its bits): plain arithmetic, so loops over it
vectorise, within 2 ulp of the correctly rounded result for float32 and
float64 (1 ulp measured for float32, 1.7 for float64), with the C library's
special values (exp(-inf) = 0, exp(inf) = inf, nan stays nan, results below
the smallest normal number are subnormal). Loops that use it need numpy's
error model (FLAGS): python's raises on division by zero and does not
vectorise.
"""
import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from ._threads import FLAGS  # every kernel's numba flags (numpy's error model)

#: elements per prange iteration of the elementwise kernels: large enough to
#: amortise a chunk, small enough that a 256x1024 array spreads over 16 cores
CHUNK = 1 << 14
#: elements per step of the online (max, sum of exp) scan of a row
BLOCK = 256


def work_dtype(dtype):
    """The dtype a kernel computes in: float16 in float32 (rounded once when
    stored), float32 and float64 in themselves."""
    return np.dtype(np.float64) if np.dtype(dtype) == np.float64 else np.dtype(np.float32)


def widen(array):
    """``array`` as a C-contiguous array of its work dtype (a copy for float16)."""
    return np.ascontiguousarray(array, dtype=work_dtype(array.dtype))


@numba.njit(**FLAGS)
def chunks(n):
    """How many CHUNK-element chunks cover n elements."""
    return (n + CHUNK - 1) // CHUNK


# ------------------------------------------------------------------- exp
@intrinsic
def as_int(typingctx, x):
    """The bits of a float32 (float64) as an int32 (int64)."""
    if x == types.float32:
        width, result = 32, types.int32
    elif x == types.float64:
        width, result = 64, types.int64
    else:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(width))
    return result(x), codegen


@intrinsic
def as_float(typingctx, bits):
    """The float32 (float64) whose bits are an int32 (int64)."""
    if bits == types.int32:
        llvm_type, result = ir.FloatType(), types.float32
    elif bits == types.int64:
        llvm_type, result = ir.DoubleType(), types.float64
    else:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_type)
    return result(bits), codegen


_F = np.float32


def _exp32(x):
    # clamp first (nan goes to the bound): k below stays a valid exponent
    xc = x if x > _F(-104.0) else _F(-104.0)
    xc = xc if xc < _F(89.0) else _F(89.0)
    k = np.floor(xc * _F(1.44269504088896341) + _F(0.5))
    r = xc - k * _F(0.693359375) - k * _F(-2.12194440e-4)
    p = _F(1.9875691500e-4)
    p = p * r + _F(1.3981999507e-3)
    p = p * r + _F(8.3334519073e-3)
    p = p * r + _F(4.1665795894e-2)
    p = p * r + _F(1.6666665459e-1)
    p = p * r + _F(5.0000001201e-1)
    p = p * r * r + r + _F(1.0)
    ki = np.int32(k)
    k1 = ki >> 1  # 2**k as two normal factors: subnormal results round once
    e = p * as_float(np.int32((k1 + 127) << 23)) * as_float(np.int32((ki - k1 + 127) << 23))
    e = e if x > _F(-104.0) else _F(0.0)
    e = e if x < _F(88.72283935546875) else _F(np.inf)
    return e if x == x else x


def _exp64(x):
    xc = x if x > -746.0 else -746.0
    xc = xc if xc < 710.0 else 710.0
    k = np.floor(xc * 1.4426950408889634074 + 0.5)
    r = xc - k * 6.93145751953125e-1 - k * 1.42860682030941723212e-6
    rr = r * r
    px = r * ((1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr
              + 9.99999999999999999910e-1)
    qx = ((3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr
          + 2.27265548208155028766e-1) * rr + 2.00000000000000000009e0
    p = 1.0 + 2.0 * px / (qx - px)
    ki = np.int64(k)
    k1 = ki >> 1
    e = p * as_float(np.int64((k1 + 1023) << 52)) * as_float(np.int64((ki - k1 + 1023) << 52))
    e = e if x > -746.0 else 0.0
    e = e if x < 709.782712893384 else np.inf
    return e if x == x else x


def exp(x):
    """exp of a float32 or float64 scalar inside numba-compiled code."""
    return math.exp(x)


@overload(exp)
def _exp_overload(x):
    if x == types.float32:
        return _exp32
    if x == types.float64:
        return _exp64
    return None


# ------------------------------------------------------------------- erf
_ERF_P = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
          -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
          -1.60960333262415e-02)
_ERF_Q = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
          -7.37332916720468e-03, -1.42647390514189e-02)
_P0, _P1, _P2, _P3, _P4, _P5, _P6 = (np.float32(c) for c in _ERF_P)
_Q0, _Q1, _Q2, _Q3, _Q4 = (np.float32(c) for c in _ERF_Q)


def _erf32(x):
    # Eigen's (and so TensorFlow's CPU) float erf: x p(x^2) / q(x^2) on
    # [-4, 4], +-1 beyond; within 7 ulp of erf (4.2e-7 absolute, at |x| 3.6)
    xc = x if x < _F(4.0) else _F(4.0)
    xc = xc if xc > _F(-4.0) else _F(-4.0)
    x2 = xc * xc
    p = ((((((_P0 * x2 + _P1) * x2 + _P2) * x2 + _P3) * x2 + _P4) * x2 + _P5) * x2 + _P6) * xc
    q = (((_Q0 * x2 + _Q1) * x2 + _Q2) * x2 + _Q3) * x2 + _Q4
    return p / q if x == x else x


def _erf64(x):
    return math.erf(x)


def erf(x):
    """erf of a float32 or float64 scalar inside numba-compiled code: float32
    vectorises (Eigen's rational approximation, 7 ulp); float64 calls the C
    library (1 ulp, one element at a time)."""
    return math.erf(x)


@overload(erf)
def _erf_overload(x):
    if x == types.float32:
        return _erf32
    if x == types.float64:
        return _erf64
    return None


# --------------------------------------------------- online softmax rows
def _ordered(x):
    """An integer that orders like the float x, every nan above +inf: integer
    max reductions vectorise, float ones (with their nan rules) do not."""


def _unordered(key):
    """The float of an ``_ordered`` key (nan for every nan)."""


_ORDER = {types.float32: (np.int32, np.float32, 0x7FFFFFFF, 0x7F800000),
          types.float64: (np.int64, np.float64, 0x7FFFFFFFFFFFFFFF, 0x7FF0000000000000)}


@overload(_ordered)
def _ordered_overload(x):
    if x in _ORDER:
        int_type, float_type, mask, inf_bits = _ORDER[x]
        bits = 32 if x == types.float32 else 64

        def ordered(x):
            b = as_int(x)
            key = b ^ ((b >> (bits - 1)) & mask)
            return int_type(key if (b & mask) <= inf_bits else mask)
        return ordered
    return None


@overload(_unordered)
def _unordered_overload(key):
    for x, (int_type, float_type, mask, inf_bits) in _ORDER.items():
        if key == numba.from_dtype(np.dtype(int_type)):
            bits = 32 if x == types.float32 else 64

            def unordered(key):
                if key == mask:
                    return float_type(np.nan)
                return as_float(int_type(key ^ ((key >> (bits - 1)) & mask)))
            return unordered
    return None


@numba.njit(**FLAGS)
def block_max(x):
    """max(x) of a non-empty 1-D array; nan when it holds a nan. (Loops
    index from 0 over whole arrays, slices of a row: numba then knows the
    indices are not negative, and the loop vectorises.)"""
    top = _ordered(x[0])
    for j in range(1, x.size):
        key = _ordered(x[j])
        top = key if key > top else top
    return _unordered(top)


@numba.njit(fastmath={"reassoc", "nsz"}, **FLAGS)
def block_sum_exp(x, m):
    """sum(exp(x - m)) of a 1-D array; vectorised (``reassoc``: in another
    order than numpy's pairwise sum, a float-rounding difference)."""
    total = x.dtype.type(0)
    for j in range(x.size):
        total += exp(x[j] - m)
    return total


@numba.njit(**FLAGS)
def row_stats(x):
    """(m, s) of a 1-D row: m its maximum and s = sum(exp(x - m)), in one
    pass over memory: each block of BLOCK elements is scanned for its
    maximum, s is rescaled when the maximum grows, then the block's exps are
    added while it is in L1.

    As numpy's ``x - max(x)``: a row holding a nan, or whose maximum is -inf
    or +inf, gives m = nan or s = nan, so everything computed from it is nan."""
    nan = x.dtype.type(np.nan)
    m = x.dtype.type(-np.inf)
    s = x.dtype.type(0)
    for lo in range(0, x.size, BLOCK):
        block = x[lo:lo + BLOCK]
        top = block_max(block)
        if top != top:
            return nan, nan
        if top > m:
            s = s * exp(m - top)
            m = top
        if m != -np.inf:
            s += block_sum_exp(block, m)
    if m == -np.inf or m == np.inf:
        m = nan
    return m, s
