"""Convolution and pooling (gpugrad/ops/conv_ops.py) against TensorFlow 2.21.

The expected numbers below came from TensorFlow 2.21 (CPU), computed once
and written here; TensorFlow is not imported. Inputs are integer ramps
(``ramp``), so every convolution result is an exact integer and the tables
stay short. For each convolution case: the output ``y``; ``dx``, ``dw`` of
``sum(y * g)``; and ``ddx``, ``ddw``, the gradients of
``sum(dx * h) + sum(dw * h)`` (second order, through TensorFlow's
Conv2DBackpropInput and Conv2DBackpropFilter gradients). For each pooling
case: ``y``, ``dx`` for the cotangent ``g``, and ``ddg``, the gradient of
``sum(dx * h)`` with respect to ``g`` (MaxPoolGradGrad, AvgPool).
TensorFlow's CPU kernels for the gradients of dilated convolutions exist in
float32 only, so those cases were computed in float32 (exact integers too).

Max-pool ties: TensorFlow 2.21 routes a window's gradient to its first
maximum in row-major order (top row first, then left to right), and only
there; ``test_max_pool_ties_follow_tensorflow`` pins the cases checked.
"""
import math
import time

import numpy as np
import pytest

import gpugrad as tf
from gpugrad import extend
from gpugrad.errors import InvalidArgumentError
from gpugrad.testing import check_gradients
from gpugrad.testing.parity import parity

X, W, G, H = (7, 3, 11, 5), (5, 1, 7, 3), (3, 2, 5, 2), (2, 1, 3, 1)


def ramp(shape, mul, add, mod, offset, dtype=np.float64):
    """((i * mul + add) mod ``mod``) - offset over the flat index i."""
    n = math.prod(shape)
    return ((np.arange(n) * mul + add) % mod - offset).astype(dtype).reshape(shape)


# ------------------------------------------- reference numbers (TF 2.21)
CONV = {
    'same_s1': dict(
        x=(2, 4, 5, 2), w=(3, 2, 2, 3), strides=1, padding='SAME',
        y=[19, -9, -23, -19, -9, 15, 9, 2, 9, 15, -9, -19, -20, -12, 10, -10, 4, 11, 12, 6, 14,
         12, 8, -38, -21, -23, 31, 14, 17, -15, -10, 25, 4, 12, 5, -37, -21, -26, 32, 12, 9, 13,
         -4, 23, -6, -6, -29, -17, -23, -9, 19, 15, 11, 0, 9, 9, -19, -7, -25, 6, 7, 2, 11, -9,
         24, -6, 19, -9, -23, -19, -9, 15, 11, 1, -2, 12, 11, -39, -10, -31, -3, -10, 4, 11, 12,
         6, 14, -3, 19, -1, -21, -23, 31, 12, 12, 12, -10, 25, 4, 12, 5, -37, -10, -41, 19, 17, 8,
         -1, 11, 6, -20, -6, -29, -17, -23, -9, 19, 14, 13, -16],
        dx=[-7, 5, 9, -12, 7, -2, 5, 8, -17, 8, 1, 12, 3, -18, 1, -9, -1, 0, -3, 24, 1, 12, 3,
         -18, 1, -9, -1, 0, -3, 24, 6, 4, -12, -12, -1, -3, 10, 6, 6, 10, -7, 5, 9, -12, 7, -2, 5,
         8, -17, 8, 1, 12, 3, -18, 1, -9, -1, 0, -3, 24, 1, 12, 3, -18, 1, -9, -1, 0, -3, 24, 6,
         4, -12, -12, -1, -3, 10, 6, 6, 10],
        dw=[13, 11, -11, -9, 0, -11, -5, -4, -3, -14, 16, 1, 10, 0, 0, -1, 11, -22, 3, 7, -14,
         -20, 8, 6, 13, 11, -11, 13, 11, -11, -7, -2, -7, -5, -4, -3],
        ddx=[6, 6, 2, 2, -8, -8, -8, -8, 2, 2, 9, 9, 3, 3, -12, -12, -12, -12, 3, 3, 9, 9, 3, 3,
         -12, -12, -12, -12, 3, 3, 6, 6, 2, 2, -8, -8, -8, -8, 2, 2, 6, 6, 2, 2, -8, -8, -8, -8,
         2, 2, 9, 9, 3, 3, -12, -12, -12, -12, 3, 3, 9, 9, 3, 3, -12, -12, -12, -12, 3, 3, 6, 6,
         2, 2, -8, -8, -8, -8, 2, 2],
        ddw=[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2, 3, 3, -2, 0, -3, 4, -3, 0, -3, 4, 1, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0],
    ),
    'valid_s2': dict(
        x=(2, 5, 6, 3), w=(2, 3, 3, 2), strides=2, padding='VALID',
        y=[-27, 8, 36, 15, 10, 17, 7, 13, -6, -52, -20, -12, -57, 1, -27, 8],
        dx=[-6, 2, -4, 4, -2, 6, -5, -4, -3, 2, 2, 2, 2, -5, 2, 0, 0, 0, -4, 4, -2, 6, 0, -6, -3,
         -2, 6, 2, 2, -5, 2, -5, 2, 0, 0, 0, -4, 2, -6, 0, 6, -2, 11, -7, 10, -2, -5, -1, -4, 7,
         -3, 0, 0, 0, -6, 0, 6, -2, 4, -4, 10, -8, -5, -1, -4, 7, -3, 8, -2, 0, 0, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, -3, 7, -4, -1, -5, -8, 10, -7, 4, -2, 6, 0,
         -6, 2, 0, 0, 0, 7, -4, -1, -5, -2, 8, -7, 11, -6, 6, 0, -6, 2, -4, 4, 0, 0, 0, -5, 2, -5,
         2, 2, 2, -2, -3, -4, 0, 6, -2, 4, -4, 2, 0, 0, 0, -5, 2, 2, 2, 2, -5, -4, -5, 8, -2, 4,
         -4, 2, -6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        dw=[-5, 7, 16, -3, 4, -2, -30, 21, 13, -22, 1, 1, -22, 13, 21, -30, -2, 4, 21, -30, -2, 4,
         -3, 16, 7, -5, -5, 7, 16, -3, 4, -2, -30, 21, 13, -22],
        ddx=[2, 0, -2, 2, 0, -2, 3, 1, -4, 1, 1, -2, 1, 1, -2, 0, 0, 0, 2, 0, -2, 2, 0, -2, 3, 1,
         -4, 1, 1, -2, 1, 1, -2, 0, 0, 0, 0, 2, -2, 0, 2, -2, -1, 0, 1, -1, -2, 3, -1, -2, 3, 0,
         0, 0, 0, 2, -2, 0, 2, -2, -1, 0, 1, -1, -2, 3, -1, -2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2, -1, 3, -2, -1, 3, 0, -1, 1, 2, 0, -2, 2, 0, -2, 0,
         0, 0, -2, -1, 3, -2, -1, 3, 0, -1, 1, 2, 0, -2, 2, 0, -2, 0, 0, 0, 1, 1, -2, 1, 1, -2, 1,
         3, -4, 0, 2, -2, 0, 2, -2, 0, 0, 0, 1, 1, -2, 1, 1, -2, 1, 3, -4, 0, 2, -2, 0, 2, -2, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ddw=[0, 0, -3, 3, 3, -3, 0, 0, -3, 3, 3, -3, 0, 0, -3, 3, 3, -3, 0, 0, -3, 3, 3, -3, 0, 0,
         -3, 3, 3, -3, 0, 0, -3, 3, 3, -3],
    ),
    'same_s2_odd': dict(
        x=(2, 6, 5, 2), w=(3, 3, 2, 2), strides=[1, 2, 2, 1], padding='SAME',
        y=[41, -50, -56, 31, 35, -51, 20, -50, 55, 14, -13, 11, -54, 4, 43, -51, -24, 28, 33, 16,
         -9, -31, 34, -8, 23, -17, -52, 29, 41, -78, -54, 0, 41, -1, 8, -4],
        dx=[-4, 4, -7, 8, -5, 2, -2, 4, -6, 0, 2, -4, 6, -7, 2, -5, 6, -2, 2, -6, 2, 0, 1, 2, 2,
         -2, -14, 3, -8, 6, -3, 8, -4, 3, -3, 7, -4, -7, 2, -4, 2, -1, 1, 0, 2, -3, 26, -9, 2, 0,
         2, -5, 6, -2, 2, -6, -4, 13, -3, 8, 7, -4, -7, -3, -4, 4, -7, 8, -5, 2, -3, 7, -4, -7, 2,
         -4, 6, -7, 2, -5, 2, -3, 26, -9, 2, 0, 1, 2, 2, -2, 2, -6, -4, 13, -3, 8, -4, 3, -3, 7,
         -8, 6, -14, 4, 2, -1, 1, 0, 2, -3, 2, -4, 6, -7, 2, -5, 6, -2, 2, -6],
        dw=[-11, -23, 21, 3, -17, 4, 4, -17, 3, 21, -23, -11, -21, 17, -11, -23, 17, 14, -17, 4,
         18, -24, 3, 21, 9, -2, -2, 13, 5, -20, 9, 13, 1, 10, 13, -27],
        ddx=[-2, 2, 1, -1, -2, 1, 1, 0, -2, 0, -2, 2, 1, -1, -2, 1, 1, 0, -2, 0, 1, 1, -3, 1, 1,
         -1, 2, 3, -4, 2, 3, -1, -4, 2, 3, -2, 1, 3, -2, 2, 1, 0, -3, 2, 1, -2, 2, -1, 1, 1, -2,
         1, 1, 0, -2, 0, 1, -4, 3, -1, 3, -2, 1, 3, -2, 2, 1, -1, -2, 1, 3, -2, 1, 3, -2, 2, 1,
         -1, -2, 1, 1, -2, 2, -1, 1, 1, -3, 1, 1, -1, -2, 0, 1, -4, 3, -1, -4, 2, 3, -2, -4, 2, 2,
         -5, 1, 0, -3, 2, 1, -2, -2, 2, 1, -1, -2, 1, 1, 0, -2, 0],
        ddw=[3, -7, -9, 6, 5, 5, 5, -10, -7, 3, 1, 6, -9, 6, 6, 1, 5, -10, -10, 5, 1, 6, 6, -9, 3,
         2, 3, -6, -7, 3, 3, 3, 5, -6, -4, 2],
    ),
    'same_s12': dict(
        x=(2, 5, 6, 2), w=(2, 3, 2, 2), strides=[1, 2], padding='SAME',
        y=[-1, 11, 26, 7, -40, 28, 25, 10, -36, -5, 28, -40, -37, -2, 34, 16, -25, 24, 0, 8, 16,
         -51, -1, 11, 6, 12, 5, 12, 0, 0, -36, -5, 46, -20, -19, 18, 34, 16, -38, 1, 5, 5, 16,
         -51, -1, 11, 18, -19, -35, 25, 25, 10, -13, 12, 24, -21, -32, 1, 14, -7],
        dx=[-6, 2, -4, 4, -7, 8, -5, 2, -2, 4, -6, 0, 7, -9, 10, -6, 9, -11, 9, -9, -1, -5, -2,
         -2, -9, 9, -8, 10, -6, 7, -9, 7, 9, -12, 10, -6, 10, -8, 9, -9, -1, -5, -2, -2, -11, 21,
         -8, 10, -6, 10, -9, 7, 9, -12, 10, -6, 9, -11, 9, -9, -6, 2, -4, 4, -7, 8, -5, 2, -2, 4,
         -6, 0, 7, -9, 10, -6, 9, -11, 9, -9, -1, -5, -2, -2, -9, 9, -8, 10, -6, 7, -9, 7, 9, -12,
         10, -6, 10, -8, 9, -9, -1, -5, -2, -2, -11, 21, -8, 10, -6, 10, -9, 7, 9, -12, 10, -6, 9,
         -11, 9, -9],
        dw=[-26, 8, 18, -25, -15, 30, 7, -25, 0, 15, -22, 4, 2, -25, 5, 32, -14, -21, 11, 3, 2, 0,
         2, -14],
        ddx=[2, 0, -2, 2, 1, -1, -2, 1, 1, 0, -2, 0, 1, -2, 1, 1, -3, 1, 1, -1, 2, 3, -4, 2, 0,
         -1, 1, 0, -3, 2, 1, -2, 2, -1, 1, 1, -1, 0, 1, -1, 2, 3, -4, 2, 2, -5, 1, 0, -2, 1, 1,
         -2, 2, -1, 1, 1, -3, 1, 1, -1, 2, 0, -2, 2, 1, -1, -2, 1, 1, 0, -2, 0, 1, -2, 1, 1, -3,
         1, 1, -1, 2, 3, -4, 2, 0, -1, 1, 0, -3, 2, 1, -2, 2, -1, 1, 1, -1, 0, 1, -1, 2, 3, -4, 2,
         2, -5, 1, 0, -2, 1, 1, -2, 2, -1, 1, 1, -3, 1, 1, -1],
        ddw=[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2, -2, 8, -2, -6, 4, -2, -2, 8, -2, -4, 0],
    ),
    'same_dil2': dict(
        x=(2, 5, 5, 1), w=(2, 2, 1, 2), strides=1, padding='SAME', dilations=2,
        y=[0, 8, 0, -6, 12, -6, -9, 16, 3, -2, 5, -1, -1, -13, -7, 12, -13, 15, 3, -7, -4, 4, -9,
         13, 7, -17, 1, 8, -7, 3, -2, -2, 16, -5, -1, -13, -7, 12, -17, 13, 0, 0, -12, 16, 3, -3,
         7, -11, -6, 9, 0, 10, 3, -6, 15, -6, -6, -6, 6, -4, 4, 2, 3, -15, -3, 10, -9, 13, 8, -12,
         -5, 7, -5, 11, 11, -19, 16, -5, -2, -2, -3, 1, -13, 15, 3, -15, -3, 10, -12, 8, -1, 1,
         -11, 14, 4, -5, 8, -13, -4, 6],
        dx=[-5, -2, 9, 10, -3, -10, -4, 19, 17, -5, -10, -4, 19, 17, -5, -10, -4, 19, 17, -5, -5,
         -2, 10, 7, -2, -5, -2, 9, 10, -3, -10, -4, 19, 17, -5, -10, -4, 19, 17, -5, -10, -4, 19,
         17, -5, -5, -2, 10, 7, -2],
        dw=[-16, -6, 4, 3, -27, 15, 42, 15],
        ddx=[1, 0, 0, 0, -2, -1, 0, 4, 3, -3, -1, 0, 4, 3, -3, -1, 0, 4, 3, -3, -2, 0, 4, 3, -1,
         1, 0, 0, 0, -2, -1, 0, 4, 3, -3, -1, 0, 4, 3, -3, -1, 0, 4, 3, -3, -2, 0, 4, 3, -1],
        ddw=[-2, 0, -1, -1, -2, 1, 4, 1],
    ),
    'valid_s2_dil2': dict(
        x=(1, 7, 7, 2), w=(2, 2, 2, 1), strides=2, padding='VALID', dilations=[2, 2],
        y=[45, -22, 10, 16, -29, 47, -24, -3, 18],
        dx=[0, 0, 0, 0, 4, -6, 0, 0, -4, 5, 0, 0, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         2, -3, 0, 0, 1, 3, 0, 0, -1, 4, 0, 0, 0, -2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7,
         -8, 0, 0, -10, 11, 0, 0, 3, -8, 0, 0, -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6,
         -4, 0, 0, -3, 6, 0, 0, 3, -4, 0, 0, 0, 2],
        dw=[-6, -20, -7, 34, -24, 6, 8, -6],
        ddx=[0, 0, 0, 0, 0, 2, 0, 0, -2, -1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         0, 1, 0, 0, 1, -4, 0, 0, 1, 3, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
         1, 0, 0, -4, 2, 0, 0, 1, -1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
         -2, 0, 0, -1, 3, 0, 0, 1, -2, 0, 0, 0, 1],
        ddw=[5, -5, -5, 0, -5, 0, 0, 5],
    ),
    'explicit': dict(
        x=(2, 4, 4, 2), w=(3, 2, 2, 2), strides=[2, 1], padding=[[0, 0], [1, 2], [0, 1], [0, 0]],
        y=[5, -41, 25, -5, 12, 20, -30, -2, 13, 4, -12, 35, -59, 11, 13, -39, -17, 14, 4, -2, 14,
         -7, -3, 2, 28, 18, 4, 32, -31, -20, 14, 5, 20, 16, -16, -52, 25, -10, 9, 9, 0, 0, 10, -5,
         -13, 12, -7, 10],
        dx=[-2, 6, 2, -4, 8, -7, -1, -5, 10, -7, 7, -9, -5, 2, -12, 18, -1, -5, -4, 14, 2, -4, 8,
         -7, 4, 4, 14, -10, 7, -9, -5, 2, 6, -2, -1, -5, -5, 2, -4, 14, -3, -4, -12, 18, -4, -1,
         14, -10, 2, 2, 8, -7, -1, -5, -5, 2, -4, -3, -5, 2, -12, 18, -4, -1],
        dw=[-20, 0, 9, -18, -14, 7, 15, -3, 1, -4, 15, -4, -3, 15, 7, -14, 25, -15, -5, 18, -22,
         14, -1, -4],
        ddx=[0, -2, 3, -2, 3, -1, -2, 5, -4, 1, 3, -3, -2, 1, 3, 0, -1, 3, -2, -3, 3, -2, 3, -1,
         2, -4, -2, 3, 3, -3, -2, 1, 2, -2, -2, 5, -2, 1, -2, -3, -1, 1, 3, 0, -2, -1, -2, 3, 1,
         -2, 3, -1, -2, 5, -2, 1, 0, 1, -2, 1, 3, 0, -2, -1],
        ddw=[-5, 8, -3, -3, 7, -3, -6, 9, 7, -8, 2, 4, -6, -1, 9, -6, -9, 4, 7, -8, -3, 7, -6, -1],
    ),
}

POOL = {
    'max_same_k2s2': dict(
        op='max', x=(2, 5, 5, 2), values=(37, 5, 101, 50), ksize=2, strides=2, padding='SAME',
        y=[29, 32, 42, 39, 49, -15, 28, 25, 35, 45, 48, 18, 21, 31, 41, 4, 14, -50, 27, 24, 34,
         44, 47, 17, 20, 30, 40, 43, 13, 50, 26, -11, -1, 36, 46, -18],
        dx=[0, 0, 0, 0, 0, -1, 0, 0, 2, 0, 0, 0, 0, -2, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0, 2,
         0, -2, 0, 0, -2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0, 2, 0, -2, 1, 0, 2, 0, 0, 0, 0,
         0, -2, 0, -1, 0, 0, -1, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, -2, 0, -1, 2, 0, 0, 0, 0,
         0, 0, 0, 1, 0, 0, 0, -2, 0, 0, 1, -1, 0, 0, 2, 0],
        ddg=[1, -1, -1, 1, 1, 0, 1, 0, 0, 0, 1, 1, -1, -1, -1, 0, 0, -1, 1, 0, 0, 0, 1, 1, -1, -1,
         -1, 0, 0, -1, 1, -1, -1, 1, 1, 0],
    ),
    'max_valid_k3s2': dict(
        op='max', x=(2, 6, 7, 2), values=(37, 5, 101, 50), ksize=3, strides=2, padding='VALID',
        y=[42, 39, 49, 39, 49, 45, 41, 44, 41, 38, 48, 37, 46, 43, 39, 42, 39, 49, 45, 42, 31, 42,
         38, 48],
        dx=[0, 0, 0, 0, 0, -3, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         1, 0, 0, 0, 0, 0, 0, 0, -2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ddg=[-1, 1, 1, 1, 1, 0, -1, 0, -1, 1, 1, 1, 1, 0, -1, 0, -1, -1, 1, 0, 0, 0, -1, -1],
    ),
    'max_ties_valid': dict(
        op='max', x=(2, 4, 5, 2), values=(1, 0, 3, 1), ksize=[2, 3], strides=1, padding='VALID',
        y=[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
         1, 1, 1, 1, 1, 1, 1],
        dx=[0, 0, 1, 0, 0, -3, 0, 0, 2, 0, 0, 1, 0, 0, -3, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 0,
         0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, -3, 0, 0, 2, 0, 0, 1, 0, 0, -3,
         0, 0, 2, 0, 0, 1, 0, 0, -3, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ddg=[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
         1, 1, 1, 1, 1, 1, 1, 1],
    ),
    'max_ties_same': dict(
        op='max', x=(1, 5, 5, 3), values=(1, 0, 3, 1), ksize=3, strides=2, padding='SAME',
        y=[-1, 0, 1, -1, 0, 1, -1, 0, 1, -1, 0, 1, -1, 0, 1, -1, 0, 1, -1, 0, 1, -1, 0, 1, -1, 0,
         1],
        dx=[0, -2, 1, -1, 2, 0, 0, 0, 0, -2, 1, -1, 0, 0, 0, 2, 0, -2, 1, -1, 2, 0, 0, 0, 0, -2,
         1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 2, 0, -2, 1, -1, 0, 0, 0, 2,
         0, -2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ddg=[0, -1, 1, 0, -1, 1, 0, -1, 1, 0, -1, 1, 0, -1, 1, 0, -1, 1, 0, -1, 1, 0, -1, 1, 0,
         -1, 1],
    ),
    'max_explicit': dict(
        op='max', x=(1, 4, 5, 2), values=(37, 5, 101, 120), ksize=2, strides=2,
        padding=[[0, 0], [1, 1], [0, 1], [0, 0]],
        y=[-41, -78, -68, -31, -21, -85, -48, -38, -28, -25, -55, -52, -42, -79, -69, -32, -22,
         -86],
        dx=[0, -2, 0, 0, 1, -1, 0, 0, 2, 0, -2, 0, 0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         2, 0, -2, 0, -1, 1, 0, 2, 0, 0, 0, -2, 1],
    ),
    'avg_same_k2s2': dict(
        op='avg', x=(2, 5, 5, 2), values=(7, 3, 11, 5), ksize=2, strides=2, padding='SAME',
        y=[1.5, 0.25, -0.75, 0.75, 1.0, -3.0, -1.5, 0.0, 1.75, 0.5, -2.0, -0.5, -1.0, 0.5, -0.5,
         1.0, 4.0, 0.0, -0.5, -1.75, 0.0, 1.5, -1.0, 0.5, -0.75, 0.75, -0.25, -1.5, 1.5, 3.0, 2.5,
         -1.5, -2.5, -1.0, 2.0, -2.0],
        dx=[0.0, -0.5, 0.0, -0.5, 0.25, -0.25, 0.25, -0.25, 1.0, 0.0, 0.0, -0.5, 0.0, -0.5, 0.25,
         -0.25, 0.25, -0.25, 1.0, 0.0, -0.5, 0.25, -0.5, 0.25, -0.25, 0.5, -0.25, 0.5, 0.0, -1.0,
         -0.5, 0.25, -0.5, 0.25, -0.25, 0.5, -0.25, 0.5, 0.0, -1.0, 0.5, -0.5, 0.5, -0.5, 1.0,
         0.0, 1.0, 0.0, -2.0, 1.0, -0.25, 0.5, -0.25, 0.5, 0.0, -0.5, 0.0, -0.5, 0.5, -0.5, -0.25,
         0.5, -0.25, 0.5, 0.0, -0.5, 0.0, -0.5, 0.5, -0.5, 0.5, 0.0, 0.5, 0.0, -0.5, 0.25, -0.5,
         0.25, -0.5, 1.0, 0.5, 0.0, 0.5, 0.0, -0.5, 0.25, -0.5, 0.25, -0.5, 1.0, 0.0, -1.0, 0.0,
         -1.0, 0.5, -0.5, 0.5, -0.5, 2.0, 0.0],
        ddg=[0.0, -0.25, -0.25, 0.25, 0.5, -0.5, 0.25, 0.0, 0.0, -0.25, 0.0, 0.5, -0.5, 0.0, 0.0,
         0.5, 0.0, -1.0, 0.25, 0.0, 0.0, -0.25, 0.0, 0.5, -0.25, 0.25, 0.25, 0.0, -0.5, 0.0, 0.5,
         -0.5, -0.5, 0.0, 1.0, 0.0],
    ),
    'avg_same_k3s1': dict(
        op='avg', x=(1, 4, 5, 2), values=(7, 3, 11, 5), ksize=3, strides=1, padding='SAME',
        y=[1.5, 0.25, 1.1666666666666667, 0.8333333333333334, 0.5, 0.16666666666666666,
         -0.16666666666666666, -0.5, -0.5, -1.75, -0.16666666666666666, 1.3333333333333333,
         0.1111111111111111, 1.0, 0.6666666666666666, 0.3333333333333333, 0.0,
         -0.3333333333333333, -0.3333333333333333, -0.6666666666666666, 0.16666666666666666,
         -0.16666666666666666, 0.4444444444444444, 0.1111111111111111, 1.0, 0.6666666666666666,
         0.3333333333333333, 0.0, 0.0, -0.3333333333333333, -1.5, 0.0, 0.0, -0.3333333333333333,
         1.1666666666666667, 0.8333333333333334, 0.5, 0.16666666666666666, -0.75, 0.75],
        dx=[0.2777777777777778, -1.1111111111111112, 0.8333333333333334, -1.1111111111111112,
         0.2777777777777778, 0.0, -0.41666666666666663, 1.111111111111111, -0.9722222222222221,
         1.111111111111111, 0.3888888888888889, -1.5555555555555556, 1.1666666666666665,
         -1.5555555555555556, 0.38888888888888895, 0.0, -0.5833333333333333, 1.5555555555555554,
         -1.361111111111111, 1.5555555555555554, 0.38888888888888884, -1.5555555555555556,
         1.1666666666666665, -1.5555555555555556, 0.3888888888888888, 0.0, -0.5833333333333333,
         1.5555555555555556, -1.361111111111111, 1.5555555555555556, 0.2777777777777778,
         -1.1111111111111112, 0.8333333333333333, -1.1111111111111112, 0.27777777777777785, 0.0,
         -0.41666666666666663, 1.1111111111111112, -0.9722222222222221, 1.1111111111111112],
        ddg=[0.0, -0.25, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.25, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
         0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.25, 0.0, 0.0,
         0.0, 0.0, 0.0, 0.0, 0.0, 0.25, 0.0],
    ),
    'avg_valid': dict(
        op='avg', x=(2, 5, 6, 1), values=(7, 3, 11, 5), ksize=[2, 3], strides=[1, 2],
        padding='VALID',
        y=[0.3333333333333333, -0.3333333333333333, 0.16666666666666666, -0.5, 0.0,
         -0.6666666666666666, -0.16666666666666666, -0.8333333333333334, -0.5, 0.6666666666666666,
         -0.6666666666666666, 0.5, -0.8333333333333334, 0.3333333333333333, 0.8333333333333334,
         0.16666666666666666],
        dx=[0.0, 0.0, -0.3333333333333333, -0.3333333333333333, -0.3333333333333333, 0.0,
         0.16666666666666666, 0.16666666666666666, -0.3333333333333333, -0.5, -0.5, 0.0, 0.5, 0.5,
         0.3333333333333333, -0.16666666666666666, -0.16666666666666666, 0.0, 0.0, 0.0,
         0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.0, -0.3333333333333333,
         -0.3333333333333333, -0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.0,
         -0.16666666666666666, -0.16666666666666666, 0.16666666666666666, 0.3333333333333333,
         0.3333333333333333, 0.0, -0.16666666666666666, -0.16666666666666666,
         -0.16666666666666666, 0.0, 0.0, 0.0, 0.16666666666666666, 0.16666666666666666,
         -0.3333333333333333, -0.5, -0.5, 0.0, 0.5, 0.5, 0.3333333333333333, -0.16666666666666666,
         -0.16666666666666666, 0.0, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333,
         0.0, 0.0, 0.0],
        ddg=[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ),
}


def _conv_kwargs(case):
    return {k: case[k] for k in ("strides", "padding", "dilations") if k in case}


def _conv_and_grads(case, dtype=tf.float64):
    x = tf.constant(ramp(case["x"], *X), dtype)
    w = tf.constant(ramp(case["w"], *W), dtype)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch([x, w])
        with tf.GradientTape() as inner:
            inner.watch([x, w])
            y = tf.nn.conv2d(x, w, **_conv_kwargs(case))
            loss = tf.reduce_sum(y * tf.constant(ramp(y.shape, *G), dtype))
        dx, dw = inner.gradient(loss, [x, w])
        s = tf.reduce_sum(dx * tf.constant(ramp(dx.shape, *H), dtype)) + \
            tf.reduce_sum(dw * tf.constant(ramp(dw.shape, *H), dtype))
    ddx, ddw = outer.gradient(s, [x, w])
    return {"y": y, "dx": dx, "dw": dw, "ddx": ddx, "ddw": ddw}


def _assert_table(got, case, names):
    for name in names:
        want = np.asarray(case[name], np.float64)
        value = got[name].numpy()
        assert value.size == want.size, \
            f"{name}: shape {value.shape}, TensorFlow has {want.size} values"
        np.testing.assert_allclose(value.reshape(-1), want, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", sorted(CONV))
def test_conv2d_matches_tensorflow(name):
    _assert_table(_conv_and_grads(CONV[name]), CONV[name], ("y", "dx", "dw", "ddx", "ddw"))


def _pool(case):
    return tf.nn.max_pool2d if case["op"] == "max" else tf.nn.avg_pool2d


def _pool_and_grads(case, dtype=tf.float64):
    x = tf.constant(ramp(case["x"], *case["values"]), dtype)
    kwargs = {k: case[k] for k in ("ksize", "strides", "padding")}
    y = _pool(case)(x, **kwargs)
    g = tf.constant(ramp(y.shape, *G), dtype)
    with tf.GradientTape() as outer:
        outer.watch(g)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = _pool(case)(x, **kwargs)
        dx = inner.gradient(y, x, output_gradients=g)
        s = tf.reduce_sum(dx * tf.constant(ramp(dx.shape, *H), dtype))
    return {"y": y, "dx": dx, "ddg": outer.gradient(s, g)}


@pytest.mark.parametrize("name", sorted(POOL))
def test_pool_matches_tensorflow(name):
    case = POOL[name]
    _assert_table(_pool_and_grads(case), case, [k for k in ("y", "dx", "ddg") if k in case])


@pytest.mark.parametrize("image, ksize, strides, padding, dx", [
    # TensorFlow 2.21: all four windows of 2x2 hold ties; each sends its
    # gradient to its first maximum in row-major order
    ([[1, 1, 0], [1, 1, 0], [2, 2, 2]], 2, 1, "VALID", [[1, 1, 0], [0, 0, 0], [1, 1, 0]]),
    ([[3, 3], [3, 3]], 2, 2, "VALID", [[1, 0], [0, 0]]),
    ([[0, 5], [5, 0]], 2, 2, "VALID", [[0, 1], [0, 0]]),
    # SAME pads at the bottom and right; padding never wins, even against -1
    ([[-1, -1, -1], [-1, -1, -1], [-1, -1, -1]], 2, 2, "SAME", [[1, 0, 1], [0, 0, 0], [1, 0, 1]]),
], ids=["overlapping", "all-equal", "anti-diagonal", "same-negative"])
def test_max_pool_ties_follow_tensorflow(image, ksize, strides, padding, dx):
    x = tf.constant(image, tf.float32)[tf.newaxis, :, :, tf.newaxis]
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, ksize, strides, padding)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy()[0, :, :, 0], dx)


def test_dilated_cases_in_float32():
    # the dilated references were computed by TensorFlow in float32
    for name in ("same_dil2", "valid_s2_dil2"):
        got = _conv_and_grads(CONV[name], tf.float32)
        assert got["dx"].dtype == tf.float32
        _assert_table(got, CONV[name], ("y", "dx", "dw", "ddx", "ddw"))


# ------------------------------------------------------------ devices
@pytest.mark.parametrize("name", ["same_s2_odd", "valid_s2"])
def test_conv2d_on_each_device(device, name):
    got = _conv_and_grads(CONV[name], tf.float32)
    assert all(t.device.startswith(device) for t in got.values())
    _assert_table(got, CONV[name], ("y", "dx", "dw", "ddx", "ddw"))


@pytest.mark.parametrize("name", ["max_valid_k3s2", "max_ties_same", "avg_same_k2s2"])
def test_pool_on_each_device(device, name):
    got = _pool_and_grads(POOL[name], tf.float32)
    assert all(t.device.startswith(device) for t in got.values())
    case = POOL[name]
    for key in ("y", "dx", "ddg"):
        np.testing.assert_allclose(got[key].numpy().reshape(-1), case[key], rtol=1e-6, atol=1e-6)


@parity
def test_random_network_parity(device):
    x = tf.random.normal([3, 9, 8, 2], seed=1)
    w1 = tf.random.normal([3, 3, 2, 4], seed=2)
    w2 = tf.random.normal([2, 3, 4, 3], seed=3)
    with tf.GradientTape() as tape:
        tape.watch([x, w1, w2])
        h = tf.nn.relu(tf.nn.conv2d(x, w1, 1, "SAME"))
        h = tf.nn.max_pool2d(h, 3, 2, "SAME")
        h = tf.nn.conv2d(h, w2, [1, 2], "VALID", dilations=[1, 1])
        loss = tf.reduce_sum(tf.nn.avg_pool2d(h, 2, 1, "SAME") ** 2)
    return [loss] + tape.gradient(loss, [x, w1, w2])


# ------------------------------------------------- numerical gradients
def _values(shape, seed):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, shape), tf.float64)


def _distinct(shape, seed):
    """All different (no ties for max-pool), 0.05 apart."""
    values = np.random.default_rng(seed).permutation(math.prod(shape)) * 0.05
    return tf.constant(values.reshape(shape), tf.float64)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 5, 6, 3), (3, 2, 3, 2), dict(strides=1, padding="SAME")),
    ((2, 6, 5, 2), (2, 3, 2, 3), dict(strides=2, padding="SAME")),
    ((2, 7, 6, 2), (3, 3, 2, 2), dict(strides=[2, 1], padding="VALID")),
    ((1, 7, 7, 1), (2, 3, 1, 2), dict(strides=1, padding="SAME", dilations=2)),
    ((1, 8, 7, 2), (2, 2, 2, 2), dict(strides=2, padding="VALID", dilations=[2, 3])),
    ((2, 4, 5, 2), (3, 2, 2, 2), dict(strides=2, padding=[[0, 0], [2, 1], [0, 1], [0, 0]])),
    ((2, 3, 5, 4), (2, 2, 3, 2), dict(strides=[1, 1, 2, 1], padding="SAME", data_format="NCHW")),
], ids=["same", "same-s2", "valid-s21", "dilated", "dilated-s2", "explicit", "nchw"])
def test_conv2d_numerical_gradients(x_shape, w_shape, kwargs):
    def conv2d(x, w):
        return tf.nn.conv2d(x, w, **kwargs)
    check_gradients(conv2d, [_values(x_shape, 1), _values(w_shape, 2)], order=2)


@pytest.mark.parametrize("ksize, strides, padding", [
    (2, 2, "SAME"), (3, 2, "VALID"), ([2, 3], 1, "SAME"),
    (2, [1, 2], [[0, 0], [1, 0], [1, 1], [0, 0]]),
], ids=["same", "valid-overlap", "same-s1", "explicit"])
def test_max_pool_numerical_gradients(ksize, strides, padding):
    def max_pool2d(x):
        return tf.nn.max_pool2d(x, ksize, strides, padding)
    check_gradients(max_pool2d, [_distinct((2, 5, 6, 2), 3)], order=2)


@pytest.mark.parametrize("ksize, strides, padding", [
    (2, 2, "SAME"), (3, 1, "SAME"), ([2, 3], 2, "VALID")])
def test_avg_pool_numerical_gradients(ksize, strides, padding):
    def avg_pool2d(x):
        return tf.nn.avg_pool2d(x, ksize, strides, padding)
    check_gradients(avg_pool2d, [_values((2, 5, 6, 2), 4)], order=2)


def test_internal_gradient_ops_numerical_gradients():
    params = {"strides": (2, 1), "dilations": (1, 2), "padding": "SAME"}
    x, w = _values((2, 5, 6, 2), 5), _values((2, 3, 2, 3), 6)
    dy = _values(tuple(tf.nn.conv2d(x, w, [2, 1], "SAME", dilations=[1, 2]).shape), 7)

    def backprop_input(w, dy):
        return extend.bind(extend.get("conv2d_backprop_input"), (w, dy),
                           dict(params, input_size=(5, 6)))

    def backprop_filter(x, dy):
        return extend.bind(extend.get("conv2d_backprop_filter"), (x, dy),
                           dict(params, filter_size=(2, 3)))
    check_gradients(backprop_input, [w, dy], order=2)
    check_gradients(backprop_filter, [x, dy], order=2)


# ---------------------------------------------------- NCHW, aliases
def test_nchw_is_the_transposed_nhwc():
    x, w = _values((2, 5, 6, 3), 8), _values((3, 2, 3, 4), 9)
    nhwc = tf.nn.conv2d(x, w, [1, 2, 1, 1], "SAME")
    nchw = tf.nn.conv2d(tf.transpose(x, [0, 3, 1, 2]), w, [1, 1, 2, 1], "SAME", data_format="NCHW")
    np.testing.assert_allclose(tf.transpose(nchw, [0, 2, 3, 1]).numpy(), nhwc.numpy(), rtol=1e-12)
    pooled = tf.nn.max_pool2d(tf.transpose(x, [0, 3, 1, 2]), 2, 2, "SAME", data_format="NCHW")
    np.testing.assert_array_equal(tf.transpose(pooled, [0, 2, 3, 1]).numpy(),
                                  tf.nn.max_pool2d(x, 2, 2, "SAME").numpy())


def test_max_pool_and_avg_pool_aliases():
    x = _values((2, 5, 5, 3), 10)
    np.testing.assert_array_equal(tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME").numpy(),
                                  tf.nn.max_pool2d(x, 2, 2, "SAME").numpy())
    np.testing.assert_array_equal(tf.nn.avg_pool(x, 3, 1, "VALID").numpy(),
                                  tf.nn.avg_pool2d(x, [3, 3], [1, 1], "VALID").numpy())


def test_integer_max_pool_and_conv():
    x = tf.constant(ramp((1, 4, 4, 2), *X, dtype=np.int32))
    assert tf.nn.max_pool2d(x, 2, 2, "SAME").dtype == tf.int32
    y = tf.nn.conv2d(x, tf.ones([2, 2, 2, 1], tf.int32), 1, "VALID")
    assert y.dtype == tf.int32 and y.shape.as_list() == [1, 3, 3, 1]


# ------------------------------------------------------------ errors
@pytest.mark.parametrize("call, message", [
    (lambda: tf.nn.conv2d(tf.ones([5, 5, 2]), tf.ones([3, 3, 2, 4]), 1, "SAME"),
     r"conv2d: input must be 4-D \[batch, height, width, channels\], "
     r"got a tensor of shape \[5, 5, 2\]"),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 2, 4]), 1, "SAME"),
     r"filters must be 4-D \[height, width, in_channels, out_channels\], got shape \[3, 2, 4\]"),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 3, 4]), 1, "SAME"),
     r"input of shape \[1, 5, 5, 2\] \(NHWC\) has 2 channels, but filters of shape \[3, 3, 3, 4\]"),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 4]), 1, "same"),
     r'padding must be "SAME" or "VALID" \(upper case, as in TensorFlow\)'),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 4]), 1, "FULL"),
     r"got 'FULL'"),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 4]), [1, 2, 2], "SAME"),
     r"strides should be of length 1, 2 or 4. Received: strides=\[1, 2, 2\] of length 3"),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 4]), [2, 1, 1, 1], "SAME"),
     r"strides \[2, 1, 1, 1\] act on the batch or channel dimension"),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 4]), 0, "SAME"),
     r"strides must be positive"),
    (lambda: tf.nn.conv2d(tf.ones([1, 2, 5, 2]), tf.ones([3, 3, 2, 4]), 1, "VALID"),
     r"the window's height of 3 is larger than the input's 2: input of shape \[1, 2, 5, 2\]"),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 4]), 1, "VALID", dilations=3),
     r"height of 3 \(dilated to 7\) is larger than the input's 5"),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 4]), 1,
                          [[0, 0], [1, 1], [1, 1], [1, 0]]),
     r"must be zero for the batch and channel dimensions"),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 4]), 1, [[1, 1], [1, 1]]),
     r"four \[before, after\] pairs"),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 4]), 1, "SAME",
                          data_format="NWHC"),
     r'data_format must be "NHWC" or "NCHW"'),
    (lambda: tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 4], tf.float64), 1, "SAME"),
     r"conv2d: operands must have the same dtype"),
    (lambda: tf.nn.max_pool2d(tf.ones([1, 5, 5, 2]), [1, 2, 2], 2, "SAME"),
     r"ksize should be of length 1, 2 or 4"),
    (lambda: tf.nn.max_pool2d(tf.ones([1, 5, 5, 2]), [2, 2, 2, 2], 2, "SAME"),
     r"ksize \[2, 2, 2, 2\] act on the batch or channel dimension"),
    (lambda: tf.nn.max_pool2d(tf.ones([1, 2, 2, 2]), 3, 1, "VALID"),
     r"max_pool2d: the window's height of 3 is larger than the input's 2"),
    (lambda: tf.nn.max_pool(tf.ones([1, 5, 2]), 2, 1, "VALID"),
     r"max_pool: input must be 4-D"),
    (lambda: tf.nn.avg_pool2d(tf.ones([1, 5, 5, 2]), 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]),
     r'avg_pool2d: padding must be "SAME" or "VALID"'),
    (lambda: tf.nn.avg_pool2d(tf.ones([1, 5, 5, 2], tf.int32), 2, 2, "SAME"),
     r"avg_pool2d: input must be a floating-point tensor, got int32"),
], ids=["input-rank", "filter-rank", "channels", "lower-case", "unknown-padding", "strides-length",
        "batch-stride", "zero-stride", "too-small", "too-small-dilated", "explicit-batch",
        "explicit-pairs", "data-format", "dtypes", "ksize-length", "ksize-batch", "pool-too-small",
        "pool-rank", "avg-explicit", "avg-int"])
def test_errors_name_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_errors_are_invalid_argument_errors():
    with pytest.raises(InvalidArgumentError):
        tf.nn.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 3, 4]), 1, "SAME")


# ------------------------------------------------------- traced and graphs
def _network(x, w1, w2):
    h = tf.nn.relu(tf.nn.conv2d(x, w1, 1, "SAME"))
    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = tf.nn.conv2d(h, w2, 2, "SAME")
    return tf.reduce_sum(tf.nn.avg_pool2d(h, 2, 1, "SAME") ** 2)


def _eager_loss_and_grads(x, w1, w2):
    with tf.GradientTape() as tape:
        tape.watch([x, w1, w2])
        loss = _network(x, w1, w2)
    return [loss] + tape.gradient(loss, [x, w1, w2])


def _network_inputs(batch):
    rng = np.random.default_rng(batch)
    return (rng.standard_normal((batch, 8, 9, 2)).astype(np.float32),
            rng.standard_normal((3, 3, 2, 4)).astype(np.float32),
            rng.standard_normal((2, 2, 4, 3)).astype(np.float32))


def test_inside_a_traced_function_with_an_unknown_batch():
    traced = tf.function(_eager_loss_and_grads, input_signature=[
        tf.TensorSpec([None, 8, 9, 2], tf.float32), tf.TensorSpec([3, 3, 2, 4], tf.float32),
        tf.TensorSpec([2, 2, 4, 3], tf.float32)])
    for batch in (2, 5, 2):
        args = [tf.constant(a) for a in _network_inputs(batch)]
        want = _eager_loss_and_grads(*args)
        got = traced(*args)
        for g, e in zip(got, want):
            np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-5)
    assert traced.experimental_get_tracing_count() == 1


def test_inside_a_traced_function_second_order():
    @tf.function
    def curvature(x, w):
        with tf.GradientTape() as outer:
            outer.watch(w)
            with tf.GradientTape() as inner:
                inner.watch(w)
                h = tf.nn.max_pool2d(tf.nn.conv2d(x, w, 2, "SAME"), 2, 1, "SAME")
                loss = tf.reduce_sum(h ** 2)
            gw = inner.gradient(loss, w)
            s = tf.reduce_sum(gw * gw)
        return outer.gradient(s, w)
    x, w = _values((2, 6, 6, 2), 11), _values((3, 3, 2, 2), 12)
    want = curvature.python_function(x, w)
    np.testing.assert_allclose(curvature(x, w).numpy(), want.numpy(), rtol=1e-12)


def test_tf1_graph_with_an_unknown_batch():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 8, 9, 2])
        w1 = tf.placeholder(tf.float32, [3, 3, 2, 4])
        w2 = tf.placeholder(tf.float32, [2, 2, 4, 3])
        loss = _network(x, w1, w2)
        grads = tf.gradients(loss, [x, w1, w2])
        pooled = tf.nn.max_pool2d(tf.nn.conv2d(x, w1, 1, "SAME"), 2, 2, "VALID")
    assert pooled.shape.as_list() == [None, 4, 4, 4]
    assert grads[0].shape.as_list() == [None, 8, 9, 2]
    for batch in (2, 3):
        arrays = _network_inputs(batch)
        want = _eager_loss_and_grads(*[tf.constant(a) for a in arrays])
        with tf.Session(graph=graph) as sess:     # the graph is the default inside
            got = sess.run([loss] + grads, dict(zip([x, w1, w2], arrays)))
        for g, e in zip(got, want):
            np.testing.assert_allclose(g, e.numpy(), rtol=1e-5, atol=1e-5)


def test_tf1_graph_with_unknown_image_sizes():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [None, None, None, 1])
        w = tf.placeholder(tf.float64, [3, 3, 1, 2])
        y = tf.nn.max_pool2d(tf.nn.conv2d(x, w, 2, "VALID"), 2, 2, "SAME")
        grads = tf.gradients(tf.reduce_sum(y * y), [x, w])
    assert y.shape.as_list() == [None, None, None, 2]     # as TensorFlow: not inferred
    for size in ((7, 9), (10, 6)):
        xs, ws = _values((2,) + size + (1,), 13), _values((3, 3, 1, 2), 14)
        with tf.GradientTape() as tape:
            tape.watch([xs, ws])
            yt = tf.nn.max_pool2d(tf.nn.conv2d(xs, ws, 2, "VALID"), 2, 2, "SAME")
            want = [yt] + tape.gradient(tf.reduce_sum(yt * yt), [xs, ws])
        with tf.Session(graph=graph) as sess:
            got = sess.run([y] + grads, {x: xs.numpy(), w: ws.numpy()})
        for g, e in zip(got, want):
            np.testing.assert_allclose(g, e.numpy(), rtol=1e-12)


# -------------------------------------------------------- performance
def test_timing_of_a_small_convnet_step():
    """Printed, not asserted (``pytest -s`` shows it): forward and backward
    of a batch of 64 28x28x1 images through a 3x3x32 SAME conv2d and a 2x2
    max-pool."""
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((64, 28, 28, 1)).astype(np.float32))
    w = tf.Variable(0.1 * rng.standard_normal((3, 3, 1, 32)).astype(np.float32))

    def step():
        with tf.GradientTape() as tape:
            y = tf.nn.max_pool2d(tf.nn.conv2d(x, w, 1, "SAME"), 2, 2, "SAME")
            loss = tf.reduce_sum(y * y)
        return tape.gradient(loss, w)
    step()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        step().numpy()
        times.append(time.perf_counter() - start)
    print(f"\nconv2d 3x3x32 SAME + max_pool 2x2, batch 64 of 28x28x1, forward + backward: "
          f"{min(times) * 1e3:.1f} ms (best of 5, {tf.get_device()})")
