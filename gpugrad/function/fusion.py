"""Elementwise fusion (filled in below)."""


def fuse(executor, raw, protected, constants, counter):
    return raw
