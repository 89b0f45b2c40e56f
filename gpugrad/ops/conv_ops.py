"""Convolution and pooling (``gpugrad.nn``): TensorFlow's names and semantics.

Images are NHWC: [batch, height, width, channels]; filters are [height,
width, in_channels, out_channels]. NCHW inputs are transposed to NHWC and
back by the wrappers.

A convolution is im2col and one matrix product: a strided view of the
padded input holds every window ([batch, out_h, out_w, kh, kw, channels],
no copy) and ``tensordot`` contracts it with the filters, so the work is
one BLAS or cuBLAS call on either device. Its two gradients are ops of
their own, as in TensorFlow (``conv2d_backprop_input``,
``conv2d_backprop_filter``), each differentiable again through the other
two. ``backprop_filter`` is the same view contracted with the output
gradient; ``backprop_input`` is the opposite walk (col2im): one product
makes every window's contribution, then kh * kw strided adds sum them onto
the input grid. Pooling loops over the kh * kw window offsets the same
way, each step a whole-tensor operation.

SAME padding is TensorFlow's: ``out = ceil(in / stride)``, and the padding
that needs, when odd, has its extra row and column at the bottom and right.
Padding a dimension that is not spatial is never needed: every forward reads
the sizes of the arrays it is given, so any batch size runs (graphs infer
shapes by running forwards on stand-ins of other batch sizes).
"""
from .. import context
from ..errors import InvalidArgumentError
from ..registry import defop, defvjp, bind
from ..tensor import Tensor
from ._support import pair, tensor, shape_of
from . import array_ops as A


# ----------------------------------------------------------------- geometry
def _out_and_pads(size, k, stride, dilation, padding, axis):
    """(output size, (pad before, pad after)) along one spatial axis. A
    window that does not fit gives an empty output, as a slice would: the
    wrappers reject it first wherever the sizes are known (the graph layer
    infers shapes by running forwards on stand-ins of any size)."""
    span = (k - 1) * dilation + 1
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + span - size, 0)
        return out, (total // 2, total - total // 2)
    lo, hi = (0, 0) if padding == "VALID" else padding[axis]
    return max((size + lo + hi - span) // stride + 1, 0), (lo, hi)


def _geometry(size, window, strides, dilations, padding):
    """((out_h, out_w), (pads_h, pads_w)) for an input of spatial ``size``."""
    (oh, ph), (ow, pw) = [_out_and_pads(size[a], window[a], strides[a], dilations[a], padding, a)
                          for a in (0, 1)]
    return (oh, ow), (ph, pw)


def _taps(window, out, strides, dilations):
    """(k, rows, cols) for each window offset: the slices of the padded input
    that offset k = i * kw + j reads for every output position."""
    (kh, kw), (oh, ow), (sh, sw), (dh, dw) = window, out, strides, dilations
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            yield i * kw + j, rows, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


def _padded(xp, x, pads, value=0):
    """``x`` with ``pads`` rows and columns of ``value`` around its image."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, h, w, c = x.shape
    out = xp.full((n, h + pt + pb, w + pl + pr, c), value, dtype=x.dtype)
    out[:, pt:pt + h, pl:pl + w, :] = x
    return out


def _cropped(x, size, pads):
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    return x[:, pt:pt + size[0], pl:pl + size[1], :]


def _windows(xp, x, window, out, strides, dilations):
    """Every window of the padded image ``x``, as a strided view
    [batch, out_h, out_w, kh, kw, channels] (nothing is copied)."""
    sn, sh, sw, sc = x.strides
    shape = (x.shape[0],) + tuple(out) + tuple(window) + (x.shape[3],)
    strides_ = (sn, sh * strides[0], sw * strides[1], sh * dilations[0], sw * dilations[1], sc)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides_)


def _check_out(name, dy, out):
    if tuple(dy.shape[1:3]) != tuple(out):
        raise ValueError(f"{name}: the gradient's spatial size {list(dy.shape[1:3])} is not the "
                         f"output size {list(out)} of the convolution it belongs to")


# --------------------------------------------------------------- conv2d ops
def _conv2d_forward(xp, x, w, strides, dilations, padding):
    if x.shape[3] != w.shape[2]:
        raise ValueError(f"input has {x.shape[3]} channels, filters expect {w.shape[2]}")
    window = w.shape[:2]
    out, pads = _geometry(x.shape[1:3], window, strides, dilations, padding)
    cols = _windows(xp, _padded(xp, x, pads), window, out, strides, dilations)
    return xp.tensordot(cols, w, axes=3)


def _conv2d_backprop_input_forward(xp, w, dy, input_size, strides, dilations, padding):
    """The gradient of conv2d for its input: col2im of dy times the filters."""
    window = w.shape[:2]
    out, pads = _geometry(input_size, window, strides, dilations, padding)
    _check_out("conv2d_backprop_input", dy, out)
    cols = xp.tensordot(dy, w, axes=([3], [3]))          # [n, oh, ow, kh, kw, c]
    n, c = dy.shape[0], w.shape[2]
    (pt, pb), (pl, pr) = pads
    dx = xp.zeros((n, input_size[0] + pt + pb, input_size[1] + pl + pr, c), dtype=cols.dtype)
    for k, rows, cols_ in _taps(window, out, strides, dilations):
        dx[:, rows, cols_, :] += cols[:, :, :, k // window[1], k % window[1], :]
    return _cropped(dx, input_size, pads)


def _conv2d_backprop_filter_forward(xp, x, dy, filter_size, strides, dilations, padding):
    """The gradient of conv2d for its filters: the windows of x against dy."""
    out, pads = _geometry(x.shape[1:3], filter_size, strides, dilations, padding)
    _check_out("conv2d_backprop_filter", dy, out)
    cols = _windows(xp, _padded(xp, x, pads), filter_size, out, strides, dilations)
    return xp.tensordot(cols, dy, axes=([0, 1, 2], [0, 1, 2]))


_conv2d = defop("conv2d")(_conv2d_forward)
_conv2d_backprop_input = defop("conv2d_backprop_input")(_conv2d_backprop_input_forward)
_conv2d_backprop_filter = defop("conv2d_backprop_filter")(_conv2d_backprop_filter_forward)


def _input_grad(w, dy, params, input_size):
    return bind(_conv2d_backprop_input, (w, dy), dict(params, input_size=tuple(input_size)))


def _filter_grad(x, dy, params, filter_size):
    return bind(_conv2d_backprop_filter, (x, dy), dict(params, filter_size=tuple(filter_size)))


def _conv(x, w, params):
    return bind(_conv2d, (x, w), params)


def _conv2d_dx(ans, x, w, **p):
    size = shape_of(x)[1:3]
    return lambda g: _input_grad(w, g, p, size)


def _conv2d_dw(ans, x, w, **p):
    size = shape_of(w)[:2]
    return lambda g: _filter_grad(x, g, p, size)


# backprop_input(w, dy) and backprop_filter(x, dy) are bilinear: each input's
# gradient is one of the three convolution ops
defvjp(_conv2d, _conv2d_dx, _conv2d_dw)
defvjp(_conv2d_backprop_input,
       lambda ans, w, dy, input_size, **p: (
           lambda g, fs=shape_of(w)[:2]: _filter_grad(g, dy, p, fs)),
       lambda ans, w, dy, input_size, **p: (lambda g: _conv(g, w, p)))
defvjp(_conv2d_backprop_filter,
       lambda ans, x, dy, filter_size, **p: (
           lambda g, size=shape_of(x)[1:3]: _input_grad(g, dy, p, size)),
       lambda ans, x, dy, filter_size, **p: (lambda g: _conv(x, g, p)))


# ------------------------------------------------------------- pooling ops
def _lowest(xp, dtype):
    return -float("inf") if dtype.kind == "f" else xp.iinfo(dtype).min


def _pool_geometry(x_size, ksize, strides, padding):
    return _geometry(x_size, ksize, strides, (1, 1), padding)


def _window_max(xp, x, ksize, strides, padding):
    """(the maximum of each window, the padded image, the window offsets)."""
    out, pads = _pool_geometry(x.shape[1:3], ksize, strides, padding)
    xpad = _padded(xp, x, pads, _lowest(xp, x.dtype))
    taps = list(_taps(ksize, out, strides, (1, 1)))
    y = None
    for _, rows, cols in taps:
        y = xpad[:, rows, cols, :].copy() if y is None else \
            xp.maximum(y, xpad[:, rows, cols, :], out=y)
    return y, xpad, taps


def _max_pool_forward(xp, x, ksize, strides, padding):
    return _window_max(xp, x, ksize, strides, padding)[0]


def _first_maxima(xp, x, ksize, strides, padding):
    """(output size, pads, [(rows, cols, hit)]): for each window offset, the
    slices it reads and where it holds its window's maximum, the first in
    row-major order on ties (TensorFlow routes the gradient there). Masks and
    comparisons only: numpy's where() on a random mask is many times slower."""
    out, pads = _pool_geometry(x.shape[1:3], ksize, strides, padding)
    y, xpad, taps = _window_max(xp, x, ksize, strides, padding)
    found, taken = [], None
    for _, rows, cols in taps:
        hit = xpad[:, rows, cols, :] == y
        if taken is None:
            taken = hit.copy()
        else:
            hit = xp.greater(hit, taken)     # a maximum not taken by an earlier offset
            taken |= hit
        found.append((rows, cols, hit))
    return out, pads, found


def _max_pool_grad_forward(xp, x, dy, ksize, strides, padding):
    """dy routed to the maximum of each window (summed where windows overlap)."""
    out, pads, found = _first_maxima(xp, x, ksize, strides, padding)
    _check_out("max_pool_grad", dy, out)
    n, h, w, c = x.shape
    (pt, pb), (pl, pr) = pads
    dx = xp.zeros((n, h + pt + pb, w + pl + pr, c), dtype=dy.dtype)
    for rows, cols, hit in found:
        dx[:, rows, cols, :] += xp.multiply(dy, hit, dtype=dy.dtype)
    return _cropped(dx, (h, w), pads)


def _max_pool_grad_grad_forward(xp, x, g, ksize, strides, padding):
    """The value of ``g`` (shaped like x) at each window's maximum."""
    out, pads, found = _first_maxima(xp, x, ksize, strides, padding)
    gpad = _padded(xp, g, pads)
    y = xp.zeros((x.shape[0],) + tuple(out) + (x.shape[3],), dtype=g.dtype)
    for rows, cols, hit in found:
        y += xp.multiply(gpad[:, rows, cols, :], hit, dtype=g.dtype)
    return y


def _window_counts(xp, size, ksize, strides, padding, dtype):
    """[out_h, out_w, 1]: how many input elements each window covers (SAME
    windows over the border average only those, as in TensorFlow)."""
    out, pads = _pool_geometry(size, ksize, strides, padding)
    counts = []
    for a in (0, 1):
        start = xp.arange(out[a]) * strides[a] - pads[a][0]
        counts.append(xp.minimum(start + ksize[a], size[a]) - xp.maximum(start, 0))
    return (counts[0][:, None, None] * counts[1][None, :, None]).astype(dtype), out, pads


def _avg_pool_forward(xp, x, ksize, strides, padding):
    counts, out, pads = _window_counts(xp, x.shape[1:3], ksize, strides, padding, x.dtype)
    xpad = _padded(xp, x, pads)
    total = xp.zeros((x.shape[0],) + tuple(out) + (x.shape[3],), dtype=x.dtype)
    for _, rows, cols in _taps(ksize, out, strides, (1, 1)):
        total += xpad[:, rows, cols, :]
    return total / counts


def _avg_pool_grad_forward(xp, dy, input_size, ksize, strides, padding):
    counts, out, pads = _window_counts(xp, input_size, ksize, strides, padding, dy.dtype)
    _check_out("avg_pool_grad", dy, out)
    share = dy / counts
    (pt, pb), (pl, pr) = pads
    dx = xp.zeros((dy.shape[0], input_size[0] + pt + pb, input_size[1] + pl + pr, dy.shape[3]),
                  dtype=dy.dtype)
    for _, rows, cols in _taps(ksize, out, strides, (1, 1)):
        dx[:, rows, cols, :] += share
    return _cropped(dx, input_size, pads)


_max_pool = defop("max_pool")(_max_pool_forward)
_max_pool_grad = defop("max_pool_grad")(_max_pool_grad_forward)
_max_pool_grad_grad = defop("max_pool_grad_grad")(_max_pool_grad_grad_forward)
_avg_pool = defop("avg_pool")(_avg_pool_forward)
_avg_pool_grad = defop("avg_pool_grad")(_avg_pool_grad_forward)

# max_pool_grad is linear in dy and piecewise constant in x: its gradient is
# max_pool_grad_grad for dy and zero for x (TensorFlow's MaxPoolGrad rule)
defvjp(_max_pool, lambda ans, x, **p: (lambda g: bind(_max_pool_grad, (x, g), p)))
defvjp(_max_pool_grad, None, lambda ans, x, dy, **p: (
    lambda g: bind(_max_pool_grad_grad, (x, g), p)))
defvjp(_max_pool_grad_grad, None, lambda ans, x, g, **p: (
    lambda gg: bind(_max_pool_grad, (x, gg), p)))
defvjp(_avg_pool, lambda ans, x, **p: (lambda g, size=tuple(shape_of(x)[1:3]): bind(
    _avg_pool_grad, (g,), dict(p, input_size=size))))
defvjp(_avg_pool_grad, lambda ans, dy, input_size, **p: (lambda g: bind(_avg_pool, (g,), p)))


# ---------------------------------------------------------------- arguments
def _channels_first(data_format, opname):
    if data_format in (None, "NHWC"):
        return False
    if data_format == "NCHW":
        return True
    raise InvalidArgumentError(f'{opname}: data_format must be "NHWC" or "NCHW", got '
                               f'{data_format!r}')


def _spatial(value, what, channels_first, opname):
    """TensorFlow's int or list of 1, 2 or 4 ints -> (height, width)."""
    if isinstance(value, Tensor):
        value = value.numpy().tolist()
    values = [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)]
    if len(values) == 1:
        values = values * 2
    elif len(values) == 4:
        outer = [values[0], values[1 if channels_first else 3]]
        if outer != [1, 1]:
            raise InvalidArgumentError(
                f"{opname}: {what} {values} act on the batch or channel dimension, which is not "
                f"supported: give 1 there (the layout is {'NCHW' if channels_first else 'NHWC'})")
        values = values[2:] if channels_first else values[1:3]
    elif len(values) != 2:
        raise ValueError(f"{opname}: {what} should be of length 1, 2 or 4. Received: "
                         f"{what}={values} of length {len(values)}")
    if min(values) < 1:
        raise InvalidArgumentError(f"{opname}: {what} must be positive, got {values}")
    return tuple(values)


def _padding(padding, channels_first, opname, explicit=True):
    """'SAME', 'VALID', or ((top, bottom), (left, right)) from TensorFlow's
    explicit [[0, 0], [top, bottom], [left, right], [0, 0]] (NHWC)."""
    if isinstance(padding, str):
        if padding in ("SAME", "VALID"):
            return padding
        raise InvalidArgumentError(
            f'{opname}: padding must be "SAME" or "VALID" (upper case, as in TensorFlow)'
            f'{" or a list of [before, after] pairs" if explicit else ""}, got {padding!r}')
    if not explicit:
        raise InvalidArgumentError(f'{opname}: padding must be "SAME" or "VALID", got {padding!r}')
    try:
        pairs = [[int(v) for v in p] for p in padding]
        valid = len(pairs) == 4 and all(len(p) == 2 for p in pairs)
    except TypeError:
        valid = False
    if not valid:
        raise InvalidArgumentError(f'{opname}: padding must be "SAME", "VALID" or four '
                                   f'[before, after] pairs, one per dimension, got {padding!r}')
    outer = [pairs[0], pairs[1 if channels_first else 3]]
    spatial = pairs[2:] if channels_first else pairs[1:3]
    if outer != [[0, 0], [0, 0]] or min(v for p in spatial for v in p) < 0:
        raise InvalidArgumentError(f"{opname}: explicit padding {pairs} must be zero for the batch "
                                   f"and channel dimensions and non-negative elsewhere")
    return tuple(tuple(p) for p in spatial)


def _image(x, what, opname, channels_first):
    if x.ndim != 4:
        layout = "[batch, channels, height, width]" if channels_first else \
            "[batch, height, width, channels]"
        shape = "of unknown rank" if x.ndim is None else f"of shape {list(x.shape)}"
        raise InvalidArgumentError(f"{opname}: {what} must be 4-D {layout}, got a tensor {shape}")
    return A.transpose(x, [0, 2, 3, 1]) if channels_first else x


def _fits(x, window, strides, dilations, padding, opname, described):
    """The window fits the (padded) image, along each axis whose size is known."""
    if padding == "SAME":
        return
    for axis in (0, 1):
        size, k = x.shape[1 + axis], window[axis]
        if size is None or k is None:
            continue
        lo, hi = (0, 0) if padding == "VALID" else padding[axis]
        span = (k - 1) * dilations[axis] + 1
        if size + lo + hi < span:
            dilated = f" (dilated to {span})" if dilations[axis] > 1 else ""
            raise InvalidArgumentError(
                f"{opname}: the window's {'height' if axis == 0 else 'width'} of {k}{dilated} "
                f"is larger than the {'input' if padding == 'VALID' else 'padded input'}'s "
                f"{size + lo + hi}: input of shape {list(x.shape)} (NHWC), {described}, padding "
                f"{padding!r}")


def _back(y, channels_first):
    return A.transpose(y, [0, 3, 1, 2]) if channels_first else y


# ----------------------------------------------------------- public names
def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """2-D convolution (cross-correlation, as TensorFlow): ``input``
    [batch, height, width, in_channels], ``filters`` [fh, fw, in_channels,
    out_channels]. ``strides`` and ``dilations``: an int or a list of 1, 2
    or 4 ints; ``padding``: "SAME", "VALID" or explicit [before, after]
    pairs for all four dimensions."""
    channels_first = _channels_first(data_format, "conv2d")
    params = {"strides": _spatial(strides, "strides", channels_first, "conv2d"),
              "dilations": _spatial(1 if dilations is None else dilations, "dilations",
                                    channels_first, "conv2d"),
              "padding": _padding(padding, channels_first, "conv2d")}
    x, w = pair(input, filters, "conv2d")
    return _conv2d_checked(x, w, params, channels_first)


@context.graph_function("Conv2D", retry_unknown=True)
def _conv2d_checked(x, w, params, channels_first):
    x = _image(x, "input", "conv2d", channels_first)
    if w.ndim != 4:
        raise InvalidArgumentError(f"conv2d: filters must be 4-D [height, width, in_channels, "
                                   f"out_channels], got shape {list(w.shape)}")
    c, fc = x.shape[3], w.shape[2]
    if c is not None and fc is not None and c != fc:
        raise InvalidArgumentError(
            f"conv2d: input of shape {list(x.shape)} (NHWC) has {c} channels, but filters of "
            f"shape {list(w.shape)} [height, width, in_channels, out_channels] expect {fc} "
            f"(grouped convolutions are not supported)")
    _fits(x, list(w.shape)[:2], params["strides"], params["dilations"], params["padding"], "conv2d",
          f"filters of shape {list(w.shape)}, strides {list(params['strides'])}, dilations "
          f"{list(params['dilations'])}")
    return _back(bind(_conv2d, (x, w), params), channels_first)


def _pool(opname, op, input, ksize, strides, padding, data_format, explicit):
    channels_first = _channels_first(data_format, opname)
    params = {"ksize": _spatial(ksize, "ksize", channels_first, opname),
              "strides": _spatial(strides, "strides", channels_first, opname),
              "padding": _padding(padding, channels_first, opname, explicit)}
    return _pool_checked(opname, op, tensor(input), params, channels_first)


@context.graph_function("Pool", retry_unknown=True)
def _pool_checked(opname, op, x, params, channels_first):
    x = _image(x, "input", opname, channels_first)
    _fits(x, params["ksize"], params["strides"], (1, 1), params["padding"], opname,
          f"ksize {list(params['ksize'])}, strides {list(params['strides'])}")
    if op is _avg_pool and not x.dtype.is_floating:
        raise InvalidArgumentError(f"{opname}: input must be a floating-point tensor, got "
                                   f"{x.dtype.name}")
    return _back(bind(op, (x,), params), channels_first)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """The maximum of each ``ksize`` window; the gradient goes to the
    window's maximum (the first in row-major order on ties, as TensorFlow)."""
    return _pool("max_pool2d", _max_pool, input, ksize, strides, padding, data_format, True)


def max_pool(input, ksize, strides, padding, data_format=None, name=None):
    """``tf.nn.max_pool`` for 4-D inputs (TensorFlow's N-D version picks the
    2-D pool by rank; only that one is here)."""
    return _pool("max_pool", _max_pool, input, ksize, strides, padding, data_format, True)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """The mean of each ``ksize`` window; SAME windows over the border
    average only the input elements they cover, as in TensorFlow."""
    return _pool("avg_pool2d", _avg_pool, input, ksize, strides, padding, data_format, False)


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):
    """``tf.nn.avg_pool`` for 4-D inputs."""
    return _pool("avg_pool", _avg_pool, input, ksize, strides, padding, data_format, False)
