"""The extension API: register an op and its gradient.

    from gpugrad.extend import defop, defvjp, bind

    cube = defop("cube")(lambda xp, x: x ** 3)
    defvjp(cube, lambda ans, x: lambda g: 3.0 * g * x * x)
    y = bind(cube, (x,), {})

The forward runs on every device through ``xp``; the VJP uses gpugrad ops,
so tapes, nested tapes and the graph layer all differentiate it.
"""
from .registry import defop, defvjp, defvjp_all, bind, get, all_ops  # noqa: F401
from .ops._support import unbroadcast  # noqa: F401
